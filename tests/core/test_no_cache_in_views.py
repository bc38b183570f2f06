"""No view module touches the cache: views ask the declared fragments (``<app>/fragments.py``),
which alone reach ``core.fragments``' machinery and the cache."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "kpiworkshop"
VIEWS = sorted(p for p in ROOT.rglob("views.py") if "migrations" not in p.parts)
#: ``django.views.decorators.cache`` (``never_cache``) only sets HTTP headers: allowed.
FORBIDDEN_MODULES = {"django.core.cache", "django.core.cache.utils"}


def offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module in FORBIDDEN_MODULES or module.startswith("django.core.cache"):
                found.append(module)
            if module == "kpiworkshop.core.fragments":
                found += [f"{module}.{a.name}" for a in node.names if a.name != "versioned_key"]
            if module == "django.core" and any(a.name == "cache" for a in node.names):
                found.append("django.core.cache")
    return found


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_view_module_touches_the_cache(path):
    assert offences(path) == []


def test_the_guard_catches_a_view_that_does(tmp_path):
    bad = tmp_path / "views.py"
    bad.write_text(
        "from django.core.cache import cache\nfrom kpiworkshop.core.fragments import Fragment\n"
    )
    assert offences(bad) == ["django.core.cache", "kpiworkshop.core.fragments.Fragment"]
