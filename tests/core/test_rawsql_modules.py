"""Raw SQL lives in one module per app (issue 18): ``<app>/rawsql.py``, each statement tested
against the ORM query it replaces in ``tests/<app>/test_rawsql.py``."""

from pathlib import Path

import kpiworkshop

#: Where a cursor may be opened besides the apps' ``rawsql.py``: the row loader the statements
#: share, and the health probe's ``SELECT 1`` (a probe, not a query replacing an ORM one).
ALLOWED = {"core/rawrows.py", "core/views.py"}


def row(instance):
    """Every concrete column of a model instance, to compare two loads of the same row."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_cursors_are_opened_only_in_rawsql_modules():
    source = Path(kpiworkshop.__file__).parent
    found = sorted(
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if ("cursor(" in path.read_text() or ".raw(" in path.read_text())
        and path.name != "rawsql.py"
        and str(path.relative_to(source)) not in ALLOWED
    )
    assert found == []


def test_every_rawsql_module_has_its_equivalence_tests():
    source = Path(kpiworkshop.__file__).parent
    tests = Path(__file__).parent.parent
    apps = sorted(p.parent.name for p in source.glob("*/rawsql.py"))
    assert apps  # the rule is about something
    assert [a for a in apps if not (tests / a / "test_rawsql.py").exists()] == []


def test_the_health_probe_is_the_only_cursor_in_core_views():
    text = (Path(kpiworkshop.__file__).parent / "core/views.py").read_text()
    assert text.count("cursor(") == 1
    assert "SELECT 1" in text
