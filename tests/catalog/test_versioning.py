"""The version rule and the changelog on hand-built releases (no database)."""

from kpiworkshop.catalog.versioning import changelog_compute, version_next


def entry(uid, name="FCR", **definition):
    base = {"measures": "m", "numerator": "solved", "denominator": "all", "unit": "%"}
    return {
        "kpi_uid": uid,
        "name": name,
        "definition": base | definition,
        "goals": [],
        "audiences": [],
        "counter_metric": "",
        "training_notes": {"en": {"how_to_read": "x"}},
        "pilot_until": None,
    }


def test_first_release_is_1_0():
    assert version_next(None, changelog_compute([], [entry("a")])) == (1, 0)


def test_added_kpi_or_text_change_is_minor():
    old = [entry("a")]
    assert version_next((1, 0), changelog_compute(old, [*old, entry("b", "NPS")])) == (1, 1)
    log = changelog_compute(old, [entry("a", measures="better words")])
    assert log.changed[0]["fields"] == [{"field": "measures", "old": "m", "new": "better words"}]
    assert version_next((1, 3), log) == (1, 4)


def test_formula_unit_or_direction_change_is_major():
    old = [entry("a")]
    for change in ({"numerator": "solved first time"}, {"unit": "s"}, {"direction": "lower"}):
        log = changelog_compute(old, [entry("a", **change)])
        assert log.is_major, change
        assert version_next((1, 3), log) == (2, 0)


def test_retirement_is_major_and_keeps_its_reason():
    old = [entry("a"), entry("b", "AHT")]
    log = changelog_compute(old, [entry("a")], retired_reasons={"b": "Pushes agents to hang up."})
    assert log.retired == [{"kpi_uid": "b", "name": "AHT", "reason": "Pushes agents to hang up."}]
    assert log.unchanged == 1
    assert version_next((1, 1), log) == (2, 0)


def test_facilitator_may_raise_to_major():
    log = changelog_compute([entry("a")], [entry("a")])
    assert log.unchanged == 1 and not log.changed
    assert version_next((1, 1), log, raise_major=True) == (2, 0)


def test_training_notes_and_links_are_compared_too():
    new = entry("a")
    new["training_notes"] = {"en": {"how_to_read": "y"}}
    new["audiences"] = [{"slug": "agents", "name": "Agents", "kind": "sees"}]
    log = changelog_compute([entry("a")], [new])
    fields = {c["field"] for c in log.changed[0]["fields"]}
    assert fields == {"training_notes", "audiences"}
    assert not log.is_major
