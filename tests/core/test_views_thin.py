"""Views stay thin (issue 18): the views of workshops, kpis, voting and mapping reach the
database only through selectors and services, never with the ORM themselves."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "kpiworkshop"
ORM = {
    "objects",
    "filter",
    "exclude",
    "values_list",
    "order_by",
    "select_related",
    "prefetch_related",
    "annotate",
    "aggregate",
    "first",
    "exists",
    "refresh_from_db",
    "save",
    "delete",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "select_for_update",
}


def orm_uses(source: str) -> list[str]:
    return [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in ORM
    ]


@pytest.mark.parametrize("app", ["workshops", "kpis", "voting", "mapping", "runsheet"])
def test_views_use_no_orm(app):
    assert orm_uses((ROOT / app / "views.py").read_text()) == []


def test_the_check_sees_orm_in_a_view():
    uses = orm_uses("x = Comment.objects.filter(pk=1).first()")
    assert sorted(uses) == ["line 1: .filter", "line 1: .first", "line 1: .objects"]
