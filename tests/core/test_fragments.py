from django.utils import translation

from kpiworkshop.core.fragments import cached_fragment, fragment_key


def key(**overrides) -> str:
    parts = {"scope": (1, 10), "version": "v1", "audience": "participant:secret"} | overrides
    return fragment_key("results", **parts)


def test_every_part_of_the_key_separates_entries():
    base = key()
    assert key() == base
    assert key(scope=(2, 10)) != base  # another organisation, same object id
    assert key(version="v2") != base
    assert key(audience="participant:open") != base  # another secrecy rule
    assert key(audience="manager:secret") != base
    with translation.override("it"):
        assert key() != base


def test_render_runs_once_per_key_and_the_markup_is_shared(db):
    calls = []

    def render():
        calls.append(1)
        return "<p>results</p>"

    kw = {"scope": (1, 10), "version": "v1", "audience": "board"}
    assert cached_fragment("results", render=render, **kw) == "<p>results</p>"
    assert cached_fragment("results", render=render, **kw) == "<p>results</p>"
    assert len(calls) == 1
    cached_fragment("results", render=render, **kw | {"version": "v2"})
    cached_fragment("results", render=render, **kw | {"scope": (2, 10)})
    assert len(calls) == 3
