"""The declaration of shared fragments (``core.fragments``): what goes into a key, that
``compute`` runs once per key, that a fragment takes exactly its declared inputs, and slots."""

import pytest
from django.template import engines
from django.utils import timezone, translation

from kpiworkshop.core import fragments
from kpiworkshop.core.fragments import REGISTRY, Fragment, key_part, template_digest


@pytest.fixture
def declared():
    calls = []

    def compute(*, audience, slots, thing):
        calls.append(thing)
        return f"<p>{thing}{slots.slot('who')}</p>"

    frag = Fragment(
        "test-fragment",
        templates=("base.html",),
        inputs=("thing",),
        scope=lambda thing, **_: (1, thing),
        version=lambda **_: "v1",
        audience=lambda viewer, **_: {"boss": viewer == "boss"},
        compute=compute,
        slots=("who",),
    )
    yield frag, calls
    REGISTRY.pop("test-fragment")


def test_every_part_of_the_key_separates_entries(declared):
    frag, _calls = declared
    base = frag.key("boss", thing="a")
    assert frag.key("boss", thing="a") == base
    assert frag.key("clerk", thing="a") != base  # audience
    assert frag.key("boss", thing="b") != base  # input (and scope)
    with translation.override("it"):
        assert frag.key("boss", thing="a") != base  # language
    with timezone.override("Asia/Tokyo"):
        assert frag.key("boss", thing="a") != base  # time zone


def test_the_template_digest_is_in_the_key_and_follows_includes(declared, monkeypatch):
    frag, _calls = declared
    base = frag.key("boss", thing="a")
    real = fragments._template_source
    # base.html includes or extends nothing here that we change; change base.html itself.
    monkeypatch.setattr(
        fragments,
        "_template_source",
        lambda n: real(n) + ("<!-- new -->" if n == "base.html" else ""),
    )
    fragments._digest_cached.cache_clear()
    try:
        assert frag.key("boss", thing="a") != base
    finally:
        monkeypatch.undo()
        fragments._digest_cached.cache_clear()


def test_a_digest_covers_the_templates_a_template_includes(monkeypatch):
    """coverage.html includes _field.html: a change to the included template alone changes
    the digest of the including one."""
    before = fragments._digest(("mapping/coverage.html#coverage-body",))
    real = fragments._template_source
    assert "_field.html" in fragments._REFERENCE.findall(real("mapping/coverage.html"))
    monkeypatch.setattr(
        fragments,
        "_template_source",
        lambda n: real(n) + ("<!-- changed -->" if n == "_field.html" else ""),
    )
    assert fragments._digest(("mapping/coverage.html#coverage-body",)) != before
    monkeypatch.undo()
    assert fragments._digest(("mapping/coverage.html",)) == before  # the partial: its file
    assert template_digest(["mapping/coverage.html"]) == before


def test_compute_runs_once_per_key_and_slots_are_filled_per_viewer(declared):
    frag, calls = declared
    first = frag.get("boss", thing="a")
    second = frag.get("boss", thing="a")
    assert calls == ["a"]
    assert first.fill({"who": "Ann"}) == "<p>aAnn</p>"
    assert second.fill({"who": "Bob"}) == "<p>aBob</p>"
    with pytest.raises(KeyError):
        second.fill({})  # a slot is never left in the page


def test_a_fragment_takes_exactly_its_declared_inputs(declared):
    frag, _calls = declared
    with pytest.raises(TypeError):
        frag.get("boss")
    with pytest.raises(TypeError):
        frag.get("boss", thing="a", request=object())


def test_an_input_that_cannot_be_told_apart_is_refused():
    with pytest.raises(TypeError):
        key_part(object())
    assert key_part({"b": [1, None], "a": "x"}) == "{'a':'x','b':[1,None]}"


def test_a_fragment_is_declared_once(declared):
    with pytest.raises(ValueError):
        Fragment(
            "test-fragment",
            templates=(),
            inputs=(),
            scope=lambda **_: (),
            version=lambda **_: "",
            audience=lambda viewer, **_: {},
            compute=lambda **_: "",
        )


def test_no_template_uses_the_cache_tag():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.html")
        if "{% cache" in p.read_text() or "{%cache" in p.read_text()
    ]
    assert offenders == []
    assert engines["django"]  # the engine loads without the cache library being needed
