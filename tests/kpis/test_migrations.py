"""The data migration that turns revision notes written as text into codes (and back)."""

import importlib

from django.apps import apps
from django.utils import translation

from kpiworkshop.kpis import services
from kpiworkshop.kpis.models import Proposal, Revision
from kpiworkshop.workshops.models import Stage

from .conftest import DEFINITION

migration = importlib.import_module("kpiworkshop.kpis.migrations.0003_revision_notes_as_codes")
more = importlib.import_module("kpiworkshop.kpis.migrations.0007_more_revision_notes_as_codes")


def test_old_text_notes_become_codes_and_go_back(workshop, agent, facilitator):
    p = services.proposal_create(actor=agent, workshop=workshop, definition=DEFINITION)
    workshop.stage = Stage.REFINE
    workshop.save()
    s = services.suggestion_create(actor=facilitator, proposal=p, changes={"unit": "%"})
    services.suggestion_accept(actor=agent, suggestion=s)
    services.proposal_revise(actor=agent, proposal=p, definition={"unit": "h"}, change_note="x")
    first, accepted, own = Revision.objects.filter(proposal=p).order_by("number")
    # As rows looked before: the system's words stored in the actor's language.
    Revision.objects.filter(pk=first.pk).update(change_note="Prima versione", note_code="")
    Revision.objects.filter(pk=accepted.pk).update(
        change_note="Accettata la modifica suggerita da Fran", note_code="", note_params={}
    )
    migration.forwards(apps, None)
    first.refresh_from_db()
    accepted.refresh_from_db()
    own.refresh_from_db()
    assert (first.note_code, first.change_note) == ("first_version", "")
    assert (accepted.note_code, accepted.note_params) == ("suggestion_accepted", {"name": "Fran"})
    assert (own.note_code, own.change_note) == ("", "x")
    migration.backwards(apps, None)
    first.refresh_from_db()
    accepted.refresh_from_db()
    assert (first.note_code, first.change_note) == ("", "First version")
    assert accepted.change_note == "Suggestion by Fran accepted"


def test_catalogue_and_mapping_notes_written_as_text_become_codes_and_go_back(
    workshop, agent, facilitator
):
    p = services.proposal_create(actor=agent, workshop=workshop, definition=DEFINITION)
    services.proposal_revise(actor=agent, proposal=p, definition={"unit": "h"}, change_note="x")
    services.proposal_revise(actor=agent, proposal=p, definition={"unit": "%"}, change_note="y")
    first, mapped, own = Revision.objects.filter(proposal=p).order_by("number")
    # As rows looked before: a review proposal's first note and the Map stage's note, in the
    # actor's language.
    Proposal.objects.filter(pk=p.pk).update(catalog_entry_id=None)
    Revision.objects.filter(pk=first.pk).update(change_note="Dal catalogo 1.2")
    Revision.objects.filter(pk=mapped.pk).update(
        change_note="Contro-metrica impostata durante la mappatura"
    )
    more.forwards(apps, None)
    first.refresh_from_db()
    assert first.change_note == "Dal catalogo 1.2"  # not a catalogue proposal: as typed
    mapped.refresh_from_db()
    assert (mapped.note_code, mapped.change_note) == ("counter_metric_mapped", "")
    Proposal.objects.filter(pk=p.pk).update(catalog_entry_id=1)
    more.forwards(apps, None)
    first.refresh_from_db()
    own.refresh_from_db()
    assert (first.note_code, first.note_params, first.change_note) == (
        "from_catalogue",
        {"version": "1.2"},
        "",
    )
    assert (own.note_code, own.change_note) == ("", "y")
    with translation.override("en"):
        assert (first.note, mapped.note) == (
            "From catalogue 1.2",
            "Counter-metric set while mapping",
        )
    more.backwards(apps, None)
    first.refresh_from_db()
    mapped.refresh_from_db()
    assert (first.note_code, first.change_note) == ("first_version", "From catalogue 1.2")
    assert (mapped.note_code, mapped.change_note) == ("", "Counter-metric set while mapping")
