"""Issue 20, item 4: dated targets with red / amber / green bands, proposed and refined like
any definition field."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kpiworkshop.kpis import selectors, services
from kpiworkshop.kpis.forms import DefinitionForm
from kpiworkshop.kpis.models import Proposal, Revision, Suggestion
from kpiworkshop.kpis.targets import (
    AMBER,
    GREEN,
    RED,
    band_of,
    target_at,
    targets_lines,
    targets_of,
    targets_parse,
    targets_validate,
)
from kpiworkshop.workshops.models import Stage
from tests.conftest import login

from .conftest import DEFINITION

YEAR_2027 = {
    "period_kind": "year",
    "period_start": "2027-01-01",
    "value": "85",
    "amber_pct": "95",
    "red_pct": "90",
}


def _messages(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


# --- reading the lines ------------------------------------------------------------------------


def test_lines_are_read_in_the_readers_notation():
    with translation.override("it"):
        rows = targets_parse("2027; 85,5; 95; 90\nT2 2028 | 1.234,5\n\n")
    assert rows == [
        {**YEAR_2027, "value": "85.5"},
        {
            "period_kind": "quarter",
            "period_start": "2028-04-01",
            "value": "1234.5",
            "amber_pct": None,
            "red_pct": None,
        },
    ]
    with translation.override("en"):
        assert targets_parse("2027-Q3; 1,234.5")[0]["value"] == "1234.5"


def test_bad_lines_are_named_with_what_to_write():
    with pytest.raises(ValidationError) as exc:
        targets_parse("2027; 85; 95\nnext year; 80\n2028; eighty")
    text = _messages(exc)
    assert "Line 1: write period; target; amber %; red %" in text
    assert "Line 2: “next year” is not a year (2027) or a quarter (2027-Q1)." in text
    assert "Line 3: “eighty” is not a number." in text


def test_lines_round_trip_in_the_readers_notation():
    stored = targets_validate([{**YEAR_2027, "value": "85.5"}], direction="higher")
    with translation.override("it"):
        assert targets_lines(stored) == "2027; 85,5; 95; 90"
        assert targets_parse(targets_lines(stored)) == stored


# --- validation -------------------------------------------------------------------------------


def test_overlapping_periods_are_refused():
    quarter = {**YEAR_2027, "period_kind": "quarter", "period_start": "2027-04-01"}
    with pytest.raises(ValidationError) as exc:
        targets_validate([YEAR_2027, quarter], direction="higher")
    assert "2027 and Q2 2027 overlap" in _messages(exc)
    with pytest.raises(ValidationError):
        targets_validate([YEAR_2027, dict(YEAR_2027)], direction="higher")
    # Consecutive periods are fine, and come back in period order.
    q4 = {**quarter, "period_start": "2026-10-01"}
    assert [t["period_start"] for t in targets_validate([YEAR_2027, q4])] == [
        "2026-10-01",
        "2027-01-01",
    ]


@pytest.mark.parametrize(
    ("direction", "amber", "red", "ok"),
    [
        ("higher", "95", "90", True),
        ("higher", "90", "95", False),  # amber must be at least red
        ("higher", "105", "90", False),  # amber above the target is not "below the target"
        ("higher", "95", "95", True),
        ("", "95", "90", True),  # no direction written: read as higher is better
        ("lower", "105", "110", True),  # the mirrored form
        ("lower", "95", "90", False),
        ("lower", "110", "105", False),
        ("range", "95", "90", False),  # a range KPI has no single side for its bands
    ],
)
def test_bands_follow_the_direction(direction, amber, red, ok):
    item = YEAR_2027 | {"amber_pct": amber, "red_pct": red}
    if ok:
        assert targets_validate([item], direction=direction)
    else:
        with pytest.raises(ValidationError):
            targets_validate([item], direction=direction)


@pytest.mark.parametrize(
    "item",
    [
        YEAR_2027 | {"value": "0"},
        YEAR_2027 | {"value": "-5"},
        YEAR_2027 | {"value": "NaN"},
        YEAR_2027 | {"amber_pct": None},
        YEAR_2027 | {"period_start": "2027-02-01"},
        YEAR_2027 | {"period_kind": "month"},
        YEAR_2027 | {"period_kind": "quarter", "period_start": "2027-02-01"},
        YEAR_2027 | {"period_start": "not a date"},
        "2027: 85",
    ],
)
def test_malformed_targets_are_refused(item):
    with pytest.raises(ValidationError):
        targets_validate([item], direction="higher")


def test_a_value_is_banded_against_its_periods_target_in_the_kpis_direction():
    plan = targets_of([YEAR_2027])
    target = target_at(plan, datetime.date(2027, 6, 1))
    assert target_at(plan, datetime.date(2026, 12, 31)) is None
    # 95 % of 85 is 80.75, 90 % is 76.5; an edge belongs to the better band.
    assert [band_of(Decimal(v), target, "higher") for v in ("86", "80.75", "80", "76.5", "70")] == [
        GREEN,
        GREEN,
        AMBER,
        AMBER,
        RED,
    ]
    lower = targets_of([YEAR_2027 | {"value": "300", "amber_pct": "105", "red_pct": "110"}])[0]
    assert [band_of(Decimal(v), lower, "lower") for v in ("290", "315", "320", "331")] == [
        GREEN,
        GREEN,
        AMBER,
        RED,
    ]
    assert band_of(Decimal(1), None, "higher") is None


# --- through the services: refined like any field ----------------------------------------------


def test_a_proposal_with_bad_targets_stores_nothing(workshop, agent):
    bad = DEFINITION | {"direction": "higher", "targets": "2027; 85; 90; 95"}
    with pytest.raises(ValidationError) as exc:
        services.proposal_create(actor=agent, workshop=workshop, definition=bad)
    assert "targets" in exc.value.message_dict
    assert not Proposal.objects.exists() and not Revision.objects.exists()


def test_a_revision_keeps_targets_and_a_direction_change_must_fit_them(workshop, agent, proposal):
    rev = services.proposal_revise(
        actor=agent,
        proposal=proposal,
        definition={"direction": "higher", "targets": [YEAR_2027]},
    )
    assert rev.number == 2 and rev.targets == [YEAR_2027]
    # Lower is better would put the written bands on the wrong side: refused, nothing stored.
    with pytest.raises(ValidationError) as exc:
        services.proposal_revise(actor=agent, proposal=proposal, definition={"direction": "lower"})
    assert "lower is better" in " ".join(exc.value.message_dict["targets"])
    assert proposal.revisions.count() == 2
    # The same targets again is no change.
    with pytest.raises(ValidationError):
        services.proposal_revise(
            actor=agent, proposal=proposal, definition={"targets": [YEAR_2027]}
        )


def test_a_suggested_target_reads_as_words_in_the_diff(workshop, agent, facilitator, proposal):
    services.proposal_revise(actor=agent, proposal=proposal, definition={"direction": "higher"})
    workshop.stage = Stage.REFINE
    workshop.save()
    suggestion = services.suggestion_create(
        actor=facilitator, proposal=proposal, changes={"targets": [YEAR_2027]}, reason="r"
    )
    assert suggestion.changes == {"targets": [YEAR_2027]}
    revision = services.suggestion_accept(actor=agent, suggestion=suggestion)
    diff = selectors.revision_diff(proposal.revisions.get(number=2), revision)
    assert [d.name for d in diff] == ["targets"]
    assert diff[0].label == "Dated targets"
    assert diff[0].new == "2027: 85 (amber at 95 %, red at 90 % of the target)"
    with translation.override("it"):
        assert selectors.display_value("targets", [YEAR_2027 | {"value": "85.5"}]) == (
            "2027: 85,5 (ambra al 95 %, rosso al 90 % dell'obiettivo)"
        )


def test_a_suggestion_with_bad_targets_is_refused(workshop, agent, facilitator, proposal):
    workshop.stage = Stage.REFINE
    workshop.save()
    with pytest.raises(ValidationError):
        services.suggestion_create(
            actor=facilitator,
            proposal=proposal,
            changes={"targets": [YEAR_2027 | {"amber_pct": "80"}]},
        )
    assert not Suggestion.objects.exists()


# --- the form ---------------------------------------------------------------------------------


def test_the_form_reads_lines_and_checks_them_against_the_direction():
    base = DEFINITION | {"direction": "lower"}
    form = DefinitionForm(base | {"targets": "2027; 85; 95; 90"})
    assert not form.is_valid()
    assert "lower is better" in form.errors["targets"][0]
    form = DefinitionForm(base | {"targets": "2027; 300; 105; 110\n2028-Q1; 290"})
    assert form.is_valid(), form.errors
    assert [t["period_start"] for t in form.definition()["targets"]] == ["2027-01-01", "2028-01-01"]
    shown = DefinitionForm(initial={"targets": form.definition()["targets"]})["targets"].value()
    assert "2027; 300; 105; 110" in shown


def test_revise_view_in_italian_saves_targets_and_shows_errors_without_saving(
    client, workshop, agent, proposal
):
    login(client, agent)
    url = f"/w/{workshop.pk}/proposals/{proposal.pk}/edit/"
    data = DEFINITION | {"direction": "higher", "targets": "2027; 85,5; 95; 90"}
    bad = client.post(url, data | {"targets": "2027; 85,5; 90; 95"}, HTTP_ACCEPT_LANGUAGE="it")
    assert bad.status_code == 200
    assert "il rosso deve essere ≤ ambra ≤ 100" in bad.content.decode()
    assert proposal.revisions.count() == 1
    ok = client.post(url, data, HTTP_ACCEPT_LANGUAGE="it")
    assert ok.status_code == 302
    proposal.refresh_from_db()
    assert proposal.current_revision.targets == [YEAR_2027 | {"value": "85.5"}]
    page = client.get(f"/w/{workshop.pk}/proposals/{proposal.pk}/", HTTP_ACCEPT_LANGUAGE="it")
    assert "2027: 85,5 (ambra al 95 %, rosso al 90 % dell&#x27;obiettivo)" in page.content.decode()
