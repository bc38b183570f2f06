import duckdb

from kpiworkshop.datasets import synthetic


def test_the_same_seed_gives_the_same_rows(tmp_path):
    a = synthetic.generate(tmp_path / "a.parquet", rows=5000, seed=7)
    b = synthetic.generate(tmp_path / "b.parquet", rows=5000, seed=7)
    c = synthetic.generate(tmp_path / "c.parquet", rows=5000, seed=8)
    con = duckdb.connect()

    def fingerprint(path):
        sql = "SELECT sum(hash(COLUMNS(*))) FROM read_parquet(?)"
        return con.execute(sql, [str(path)]).fetchone()

    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)


def test_contacts_cover_twelve_months_every_channel_and_handler(contacts_parquet):
    con = duckdb.connect()
    src = [str(contacts_parquet)]
    one = con.execute(
        "SELECT count(*), count(DISTINCT date_trunc('month', started_at)), "
        "count(csat_score), count(nps_score) FROM read_parquet(?)",
        src,
    ).fetchone()
    assert one[0] == synthetic.DEFAULT_ROWS
    assert one[1] == 12
    assert 0 < one[2] < one[0] and 0 < one[3] < one[0]  # surveys answered by some
    channels = con.execute("SELECT DISTINCT channel FROM read_parquet(?)", src).fetchall()
    assert {c for (c,) in channels} == {"voice", "chat", "email", "social", "chatbot"}
    handlers = con.execute("SELECT DISTINCT handled_by FROM read_parquet(?)", src).fetchall()
    assert {h for (h,) in handlers} == {
        "in_house_agent",
        "chatbot",
        "chatbot_agent",
        "outsourced_agent",
        "expert_customer",
    }
    assert set(synthetic.DESCRIPTIONS) == {
        name
        for (name, *_rest) in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", src).fetchall()
    }
