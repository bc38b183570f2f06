import pytest
from django.core.exceptions import ValidationError

from kpiworkshop.datasets.definition import Definition

from .conftest import REPEAT_RATE


def test_definition_round_trips_through_json():
    definition = Definition.from_dict(REPEAT_RATE)
    assert Definition.from_dict(definition.to_dict()) == definition
    assert definition.columns() == {
        "repeat_contact_7d",
        "started_at",
        "channel",
        "handled_by",
    }


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"numerator": None}, "Describe the numerator"),
        ({"numerator": {"agg": "mode", "column": "x"}}, "how the numerator is counted"),
        ({"numerator": {"agg": "sum"}}, "column the numerator reads"),
        ({"numerator": {"agg": "sum", "column": "a", "expr": "a + 1"}}, "not both"),
        ({"numerator": {"agg": "sum", "expr": "sum(a)"}}, "aggregate"),
        ({"denominator": {"agg": "avg", "expr": "read_csv('/etc/passwd')"}}, "not allowed"),
        ({"time_column": ""}, "time column"),
        ({"grain": "year"}, "day, week, month or quarter"),
        ({"filters": [{"column": "channel", "op": "matches", "value": "x"}]}, "no valid"),
        ({"filters": [{"column": "channel", "op": "in", "value": "chat"}]}, "list of values"),
        ({"filters": [{"column": "channel", "op": "in", "value": [["nested"]]}]}, "list of"),
        ({"filters": [{"column": "channel", "op": "is"}]}, "needs a value"),
        ({"filters": [{"column": 'bad"name', "op": "is_true"}]}, "name a column"),
        ({"filters": "channel = 'chat'"}, "At most"),
        ({"where": "1; SELECT 2"}, "one expression"),
        ({"dimensions": ["channel", "channel"]}, "twice"),
        ({"dimensions": [f"d{i}" for i in range(9)]}, "at most 8"),
        ({"scale": "100"}, "scale"),
        ({"scale": float("nan")}, "scale"),
    ],
)
def test_definition_from_dict_refuses_bad_specs(change, says):
    with pytest.raises(ValidationError) as info:
        Definition.from_dict({**REPEAT_RATE, **change})
    assert says in " ".join(info.value.messages)


def test_definition_from_dict_refuses_what_is_not_an_object():
    with pytest.raises(ValidationError):
        Definition.from_dict(["numerator"])


def test_user_values_become_quoted_literals_never_sql():
    spec = {
        **REPEAT_RATE,
        "filters": [{"column": "channel", "op": "is", "value": "chat' OR 1=1 --"}],
    }
    sql = Definition.from_dict(spec).sql()
    assert "'chat'' OR 1=1 --'" in sql
    assert "WHERE \"channel\" = 'chat'' OR 1=1 --'" in sql


def test_column_names_from_headers_are_quoted_identifiers():
    spec = {**REPEAT_RATE, "numerator": {"agg": "sum", "column": "Handle time; DROP"}}
    sql = Definition.from_dict(spec).sql()
    assert 'SUM("Handle time; DROP")' in sql


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("duckdb", 'QUANTILE_CONT("wait_time_s", 0.9)'),
        ("postgres", 'PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY "wait_time_s")'),
        ("snowflake", 'PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY "wait_time_s")'),
    ],
)
def test_definition_renders_per_dialect(dialect, expected):
    spec = {**REPEAT_RATE, "numerator": {"agg": "p90", "column": "wait_time_s"}}
    spec.pop("denominator")
    assert expected in Definition.from_dict(spec).sql(dialect=dialect)


def test_measure_filters_become_conditional_aggregates():
    spec = {
        **REPEAT_RATE,
        "numerator": {
            "agg": "avg",
            "column": "csat_score",
            "filters": [{"column": "resolved_first_contact", "op": "is_false"}],
        },
    }
    sql = Definition.from_dict(spec).sql()
    assert 'AVG(CASE WHEN "resolved_first_contact" = FALSE THEN "csat_score" END)' in sql


def test_comments_in_expressions_never_reach_the_sql():
    # sqlglot keeps comments and renders a line comment as /* … */: a "*/" inside one would
    # close it early and let the rest run as SQL. Comments are dropped before rendering.
    spec = {
        **REPEAT_RATE,
        "numerator": {"agg": "sum", "expr": "handle_time_s -- */ ; DROP TABLE ds; /*\n + 1"},
        "where": "wait_time_s > 1 /* note */",
    }
    sql = Definition.from_dict(spec).sql()
    assert "DROP" not in sql
    assert "/*" not in sql and "--" not in sql
