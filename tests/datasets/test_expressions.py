import pytest
from django.core.exceptions import ValidationError

from kpiworkshop.datasets.expressions import expression_check

COLUMNS = ["handle_time_s", "wait_time_s", "channel", "abandoned", "started_at"]


@pytest.mark.parametrize(
    "text",
    [
        "handle_time_s + wait_time_s",
        "handle_time_s / 60.0",
        "channel IN ('chat', 'email') AND NOT abandoned",
        "CASE WHEN channel = 'voice' THEN wait_time_s ELSE 0 END",
        "coalesce(wait_time_s, 0) BETWEEN 10 AND 20",
        "CAST(handle_time_s AS DOUBLE) > 3.5",
        "lower(channel) LIKE 'ch%'",
        "round(abs(handle_time_s - wait_time_s), 1)",
        "extract(hour FROM started_at) < 9",
    ],
)
def test_expression_check_accepts_scalar_expressions_over_own_columns(text):
    assert expression_check(text, columns=COLUMNS) is not None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1; DROP TABLE ds", "one expression"),
        ("DROP TABLE ds", "not allowed"),
        ("SELECT 1", "Queries and tables"),
        ("wait_time_s + (SELECT max(wait_time_s) FROM ds)", "Queries and tables"),
        ("channel IN (SELECT channel FROM ds)", "Queries and tables"),
        ("EXISTS (SELECT 1)", "not allowed"),
        ("read_csv('/etc/passwd')", "not allowed"),
        ("read_parquet('https://example.com/x.parquet')", "not allowed"),
        ("read_text('/etc/passwd')", "not allowed"),
        ("glob('/*')", "not allowed"),
        ("getenv('HOME')", "not allowed"),
        ("current_setting('memory_limit')", "not allowed"),
        ("query('SELECT 1')", "not allowed"),
        ("ATTACH 'other.db'", "not allowed"),
        ("INSTALL httpfs", "not allowed"),
        ("LOAD httpfs", "not allowed"),
        ("COPY ds TO '/tmp/out.csv'", "not allowed"),
        ("PRAGMA version", "not allowed"),
        ("SET memory_limit = '64GB'", "not allowed"),
        ("sum(handle_time_s)", "aggregate"),
        ("count(*)", "aggregate"),
        ("ds.handle_time_s", "name alone"),
        ("other_column + 1", "no column other_column"),
        ("?", "not allowed"),
        ("$1 + 1", "not allowed"),
        ("CAST(channel AS BLOB)", "type"),
        ("", "empty"),
        ("handle_time_s +", "could not be read"),
        ("x" * 3000, "longer than"),
    ],
)
def test_expression_check_refuses_with_a_clear_message(text, says):
    with pytest.raises(ValidationError) as info:
        expression_check(text, columns=COLUMNS)
    message = " ".join(info.value.messages)
    assert says in message


def test_expression_without_a_column_list_checks_only_the_shape():
    # The dataset has no version yet: the preview names missing columns later.
    assert expression_check("not_yet_collected * 2") is not None
    with pytest.raises(ValidationError):
        expression_check("read_csv('x')")
