import pytest

from kpiworkshop.datasets import engine


@pytest.fixture
def parquet(contacts_parquet):
    return str(contacts_parquet)


def test_sandbox_reads_its_own_dataset(parquet):
    with engine.sandbox(parquet) as con:
        assert engine.query(con, "SELECT count(*) FROM ds") == [(40000,)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/*')",
        "SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')",
        "ATTACH '/tmp/kpiw-other.db' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "COPY (SELECT 1) TO '/tmp/kpiw-leak.csv'",
    ],
)
def test_sandbox_refuses_files_network_and_extensions(parquet, sql):
    with engine.sandbox(parquet) as con, pytest.raises(engine.QueryFailed):
        engine.query(con, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SET enable_external_access = true",
        "SET memory_limit = '64GB'",
        "SET threads = 64",
        "SET allowed_paths = ['/']",
        "PRAGMA enable_external_access",
        "RESET lock_configuration",
    ],
)
def test_sandbox_configuration_cannot_be_changed(parquet, sql):
    with engine.sandbox(parquet) as con:
        with pytest.raises(engine.QueryFailed):
            engine.query(con, sql)
        assert engine.query(con, "SELECT current_setting('enable_external_access')") == [(False,)]


def test_sandbox_has_memory_and_thread_limits(parquet, settings):
    settings.KPIW_DUCKDB_MEMORY_LIMIT = "100MB"
    settings.KPIW_DUCKDB_THREADS = 1
    with engine.sandbox(parquet) as con:
        [(memory, threads)] = engine.query(
            con, "SELECT current_setting('memory_limit'), current_setting('threads')"
        )
    assert memory.startswith(("95.3 MiB", "100.0 MB", "100 MB")) or "MiB" in memory
    assert threads == 1


def test_a_slow_query_is_interrupted_with_a_clear_message(parquet):
    slow = "SELECT count(*) FROM range(100000000000) a"
    with engine.sandbox(parquet) as con, pytest.raises(engine.QueryFailed) as info:
        engine.query(con, slow, timeout=0.2)
    assert info.value.code == "timeout"
    assert "longer than 0.2 seconds" in str(info.value)


def test_a_query_over_the_memory_limit_is_stopped(parquet, settings):
    settings.KPIW_DUCKDB_MEMORY_LIMIT = "20MB"
    greedy = "SELECT list(i ORDER BY i DESC) FROM range(20000000) t(i)"
    with engine.sandbox(parquet) as con, pytest.raises(engine.QueryFailed) as info:
        engine.query(con, greedy, timeout=30)
    assert info.value.code == "memory"
    assert "more memory than allowed" in str(info.value)


def test_the_timeout_message_is_translated(parquet):
    from django.utils import translation

    with translation.override("it"), engine.sandbox(parquet) as con:
        with pytest.raises(engine.QueryFailed) as info:
            engine.query(con, "SELECT count(*) FROM range(100000000000) a", timeout=0.1)
        assert "secondi" in str(info.value)


def test_the_sandbox_runs_one_statement_at_a_time(parquet):
    with engine.sandbox(parquet) as con, pytest.raises(engine.QueryFailed) as info:
        engine.query(con, "SELECT 1; DROP VIEW ds")
    assert info.value.code == "statements"
    with engine.sandbox(parquet) as con:
        assert engine.query(con, "SELECT count(*) FROM ds") == [(40000,)]


@pytest.mark.parametrize(
    "value",
    [
        "chat' OR 1=1 --",
        "a\\' OR 1=1 --",
        "back\\slash\\",
        "line\nbreak; DROP VIEW ds",
        "*/ SELECT 1 /*",
        '"double" $$dollar$$ `tick`',
        "unicode “quotes” è ß 中",
    ],
)
def test_filter_values_reach_duckdb_as_the_same_text(parquet, value):
    from sqlglot import exp

    literal = exp.select(exp.convert(value)).sql(dialect="duckdb", comments=False)
    with engine.sandbox(parquet) as con:
        assert engine.query(con, literal) == [(value,)]
