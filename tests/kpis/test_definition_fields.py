"""Issue 20, item 3: the KPI design template's fields (key performance question, intended use
and non-use, collection method and frequency, data custodian, limitations, leading or lagging)
in the model, the services, the library, the forms and the proposal page."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import escape

from kpiworkshop.kpis import definition_fields, selectors, services
from kpiworkshop.kpis.forms import DefinitionForm, InternalFieldsForm
from kpiworkshop.kpis.models import (
    DEFINITION_FIELDS,
    USE_FIELDS,
    Frequency,
    LeadLag,
    LibraryKPI,
    Proposal,
    Revision,
    Suggestion,
)
from kpiworkshop.workshops.models import Stage
from tests.conftest import as_guest, login

from .conftest import DEFINITION

LIBRARY = json.loads((Path(settings.BASE_DIR) / "fixtures" / "kpi_library.json").read_text())

FULL = DEFINITION | {
    "key_question": "Do customers have to write twice?",
    "intended_use": "Team reviews of **digital journeys**.",
    "not_used_for": "Not for individual bonuses.",
    "collection_method": "Chat and ticket sessions matched by customer in the warehouse.",
    "collection_frequency": "daily",
    "custodian": "Digital channels lead",
    "limitations": "Anonymous chats cannot be matched.",
    "lead_lag": "leading",
}


def test_every_new_field_is_a_definition_field_that_suggestions_and_diffs_follow():
    assert set(USE_FIELDS) <= set(DEFINITION_FIELDS)
    # Appended together after the fields that were there, in the form's order (only the dated
    # targets, added by the same issue, come after them).
    start = DEFINITION_FIELDS.index(USE_FIELDS[0])
    assert DEFINITION_FIELDS[start : start + len(USE_FIELDS)] == USE_FIELDS
    assert DEFINITION_FIELDS[start + len(USE_FIELDS) :] == ["targets"]


def test_proposal_create_stores_every_new_field(workshop, agent):
    p = services.proposal_create(actor=agent, workshop=workshop, definition=dict(FULL))
    rev = p.current_revision
    for field in USE_FIELDS:
        assert getattr(rev, field) == FULL[field]
    assert rev.get_lead_lag_display() == "Leading"
    assert rev.get_collection_frequency_display() == "Daily"


def test_new_fields_are_optional(workshop, agent):
    rev = services.proposal_create(
        actor=agent, workshop=workshop, definition=dict(DEFINITION)
    ).current_revision
    assert all(getattr(rev, f) == "" for f in USE_FIELDS)


@pytest.mark.parametrize(
    "bad",
    [
        {"lead_lag": "sideways"},
        {"collection_frequency": "hourly"},
        {"key_question": "?" * 301},
        {"custodian": "x" * 151},
    ],
)
def test_bad_values_of_new_fields_are_refused_and_nothing_is_stored(workshop, agent, bad):
    with pytest.raises(ValidationError) as exc:
        services.proposal_create(actor=agent, workshop=workshop, definition=DEFINITION | bad)
    assert set(bad) <= set(exc.value.message_dict)
    assert not Proposal.objects.exists()
    assert not Revision.objects.exists()


def test_the_database_refuses_an_unknown_lead_lag(workshop, agent):
    from django.db import IntegrityError, transaction

    p = services.proposal_create(actor=agent, workshop=workshop, definition=dict(DEFINITION))
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.filter(pk=p.current_revision_id).update(lead_lag="sideways")


def test_intended_use_and_non_use_cannot_be_made_internal(workshop, agent, facilitator):
    p = services.proposal_create(actor=agent, workshop=workshop, definition=dict(FULL))
    for field in ("intended_use", "not_used_for"):
        with pytest.raises(ValidationError):
            services.proposal_set_internal_fields(
                actor=facilitator, proposal=p, fields=["owner", field]
            )
        p.refresh_from_db()
        assert p.internal_fields == []
    offered = {value for value, _label in InternalFieldsForm().fields["fields_"].choices}
    assert {"custodian", "limitations", "key_question"} <= offered
    assert not offered & {"intended_use", "not_used_for"}


def test_suggestion_on_new_fields_is_accepted_into_a_revision_and_diffed(
    workshop, agent, facilitator, supervisor
):
    p = services.proposal_create(actor=agent, workshop=workshop, definition=dict(FULL))
    workshop.stage = Stage.REFINE
    workshop.save()
    s = services.suggestion_create(
        actor=supervisor,
        proposal=p,
        changes={
            "not_used_for": "Not for individual bonuses, nor for agent leaderboards.",
            "lead_lag": "lagging",
            "collection_frequency": "daily",  # unchanged: not part of the suggestion
        },
        reason="A leaderboard is a target by another name.",
    )
    assert s.changes == {
        "not_used_for": "Not for individual bonuses, nor for agent leaderboards.",
        "lead_lag": "lagging",
    }
    rev = services.suggestion_accept(actor=agent, suggestion=s)
    assert rev.number == 2 and rev.lead_lag == LeadLag.LAGGING
    assert rev.credited_to == supervisor
    diff = {d.name: d for d in selectors.revision_diff(p.revisions.get(number=1), rev)}
    assert set(diff) == {"not_used_for", "lead_lag"}
    assert diff["lead_lag"].label == "Leading or lagging"
    assert (diff["lead_lag"].old, diff["lead_lag"].new) == ("Leading", "Lagging")
    assert "<ins>bonuses, nor for agent leaderboards.</ins>" in str(diff["not_used_for"].html)
    with translation.override("it"):
        assert selectors.field_label("not_used_for") == "Da non usare per"
        assert selectors.display_value("lead_lag", "lagging") == "Ritardato (lagging)"


def test_a_bad_suggestion_on_a_new_field_is_refused(workshop, agent, supervisor):
    p = services.proposal_create(actor=agent, workshop=workshop, definition=dict(FULL))
    workshop.stage = Stage.REFINE
    workshop.save()
    with pytest.raises(ValidationError):
        services.suggestion_create(
            actor=supervisor, proposal=p, changes={"collection_frequency": "fortnightly"}
        )
    assert not Suggestion.objects.exists()


# --- the library ---------------------------------------------------------------------------


def test_every_library_kpi_has_every_new_field_in_english_and_italian():
    assert len(LIBRARY) == 47
    for row in LIBRARY:
        assert row["collection_frequency"] in Frequency.values, row["slug"]
        assert row["lead_lag"] in LeadLag.values, row["slug"]
        for field in definition_fields.TEXTS:
            en, it = row["en"].get(field, ""), row["it"].get(field, "")
            assert en.strip() and it.strip(), (row["slug"], field)
            if field != "custodian":  # Italian teams keep English role names ("Sales operations")
                assert en != it, (row["slug"], field)  # translated, not copied
            limit = Revision._meta.get_field(field).max_length
            assert limit is None or (len(en) <= limit and len(it) <= limit), (row["slug"], field)
        assert row["en"]["key_question"].endswith("?"), row["slug"]
        assert row["it"]["key_question"].endswith("?"), row["slug"]
        # The source articles: control is only one purpose. Every KPI says what it is not for.
        assert row["en"]["not_used_for"].startswith(("Not", "Never")), row["slug"]


def test_library_load_fills_the_new_fields_of_an_existing_install(db):
    # An install from before issue 20: the row exists without the new fields.
    LibraryKPI.objects.create(
        slug="average-handling-time",
        category="technical",
        translations={"en": {"name": "AHT", "measures": "Old text."}},
    )
    created, updated = services.library_load()
    assert (created, updated) == (46, 1)
    aht = LibraryKPI.objects.get(slug="average-handling-time")
    assert aht.collection_frequency == "realtime" and aht.lead_lag == "leading"
    assert "bonuses" in aht.translations["en"]["not_used_for"]
    assert "premi" in aht.translations["it"]["not_used_for"]


def test_a_proposal_from_the_library_starts_with_the_new_fields_in_the_readers_language(
    db, workshop, agent
):
    services.library_load()
    kpi = LibraryKPI.objects.get(slug="first-contact-resolution")
    italian = services.library_definition(library_kpi=kpi, language="it")
    english = services.library_definition(library_kpi=kpi, language="en")
    assert italian["lead_lag"] == english["lead_lag"] == "leading"
    assert italian["collection_frequency"] == "daily"
    assert italian["not_used_for"].startswith("Non per premi individuali")
    assert english["custodian"] == "CRM / customer analytics team"
    p = services.proposal_create(
        actor=agent, workshop=workshop, definition=italian, library_kpi=kpi
    )
    assert p.current_revision.key_question == kpi.translations["it"]["key_question"]


# --- the form and the page -----------------------------------------------------------------


def test_the_form_folds_the_new_fields_into_one_closed_group():
    form = DefinitionForm()
    groups = {g["id"]: g for g in form.fieldsets()}
    more = groups["more"]
    assert [f.name for f in more["fields"]] == USE_FIELDS
    assert not more["open"]
    assert all(not form.fields[f].required for f in USE_FIELDS)
    assert form.fields["frequency"].label == "Reporting frequency"


def test_proposing_with_the_grouped_fields_stores_them(client, workshop, agent):
    login(client, agent)
    page = client.get(f"/w/{workshop.pk}/proposals/new/").content.decode()
    # The group is a closed <details> with its legend: short on a phone until opened.
    assert '<details class="card mb-3"  id="fs-more">' in page
    assert "More about this KPI" in page
    data = {k: v for k, v in FULL.items() if k != "channels"} | {"channels": ["chat"]}
    response = client.post(f"/w/{workshop.pk}/proposals/new/", data)
    assert response.status_code == 302
    rev = Proposal.objects.get().current_revision
    assert rev.not_used_for == "Not for individual bonuses."
    assert rev.lead_lag == "leading" and rev.custodian == "Digital channels lead"


def test_a_bad_choice_in_the_form_is_shown_and_nothing_is_saved(client, workshop, agent):
    login(client, agent)
    data = dict(DEFINITION) | {"lead_lag": "sideways", "channels": ["chat"]}
    response = client.post(f"/w/{workshop.pk}/proposals/new/", data)
    assert response.status_code == 200
    # The folded group opens to show the error.
    assert 'id="fs-more"' in response.content.decode()
    assert "is-invalid" in response.content.decode()
    assert not Proposal.objects.exists()


def test_the_proposal_page_shows_intended_use_and_non_use_to_a_customer(
    client, workshop, agent, guest_customer
):
    p = services.proposal_create(actor=agent, workshop=workshop, definition=dict(FULL))
    as_guest(client, guest_customer)
    page = client.get(f"/w/{workshop.pk}/proposals/{p.pk}/").content.decode()
    callout = page.split('data-testid="use-callout"')[1].split("</section>")[0]
    assert "What this KPI is for, and not for" in callout
    assert "<strong>digital journeys</strong>" in callout  # Markdown, rendered
    assert "Not for individual bonuses." in callout
    # Shown once, in the callout, not again among the definition's rows.
    assert page.count("Not for individual bonuses.") == 1
    assert "Digital channels lead" in page and "Leading" in page


def test_the_proposal_page_in_italian_labels_the_callout(client, workshop, agent):
    p = services.proposal_create(actor=agent, workshop=workshop, definition=dict(FULL))
    login(client, agent)
    page = client.get(
        f"/w/{workshop.pk}/proposals/{p.pk}/", HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert "A cosa serve questo KPI, e a cosa no" in page
    assert "Da non usare per" in page and "Uso previsto" in page


def test_no_callout_without_intended_use_or_non_use(client, workshop, agent):
    p = services.proposal_create(actor=agent, workshop=workshop, definition=dict(DEFINITION))
    login(client, agent)
    page = client.get(f"/w/{workshop.pk}/proposals/{p.pk}/").content.decode()
    assert 'data-testid="use-callout"' not in page


def test_library_api_carries_the_new_fields(client, workshop, agent):
    services.library_load()
    login(client, agent)
    rows = client.get("/api/v1/library?q=occupancy").json()
    row = next(r for r in rows if r["slug"] == "occupancy")
    assert row["collection_frequency"] == "realtime" and row["lead_lag"] == "leading"
    assert "maximise" in row["texts"]["not_used_for"]


def test_the_library_shows_each_kpis_key_question_in_the_readers_language(client, workshop, agent):
    services.library_load()
    occupancy = LibraryKPI.objects.get(slug="occupancy")
    login(client, agent)
    page = client.get(f"/w/{workshop.pk}/library/?q=occupancy").content.decode()
    assert escape(occupancy.translations["en"]["key_question"]) in page
    page = client.get(
        f"/w/{workshop.pk}/library/?q=occupancy", HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert escape(occupancy.translations["it"]["key_question"]) in page


def test_the_proposals_api_carries_the_new_fields(client, workshop, agent):
    services.proposal_create(actor=agent, workshop=workshop, definition=dict(FULL))
    login(client, agent)
    [row] = client.get(f"/api/v1/workshops/{workshop.pk}/proposals").json()
    for field in USE_FIELDS:
        assert row["definition"][field] == FULL[field], field
