"""A review workshop continues from the release's KPI tree (issue 20): the release's accepted
links become accepted links between the review proposals of their entries, in the same
transaction that opens the workshop, and the map's version moves with them."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from kpiworkshop.accounts.models import Role
from kpiworkshop.core import versions
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.mapping import services as mapping_services
from kpiworkshop.mapping.models import LinkState, TreeLink
from kpiworkshop.mapping.tree import in_cycles
from kpiworkshop.reviews import services
from kpiworkshop.workshops.models import Participant, Workshop
from kpiworkshop.workshops.moderation import Moderation
from tests.catalog.review_helpers import make_release, member

pytestmark = pytest.mark.django_db


def _with_tree(organisation, links):
    """A release of FCR, NPS, AHT whose tree is ``links`` [(from name, kind, to name, why)];
    a name not in the release stands for a KPI it does not hold."""
    release = make_release(organisation, names=("FCR", "NPS", "AHT"))
    uid = {e.name: str(e.kpi_uid) for e in release.entries.all()}
    release.tree = [
        {"from": uid.get(a, str(uuid.uuid4())), "to": uid.get(b, str(uuid.uuid4())), "kind": k}
        | ({"why": why} if why else {})
        for a, k, b, why in links
    ]
    release.save(update_fields=["tree"])
    return release


def _start(organisation):
    fac, reader = member(organisation, Role.FACILITATOR)
    return services.review_workshop_start(reader=reader, user=fac, organisation_id=organisation.pk)


def _named(workshop):
    return sorted(
        (
            link.from_proposal.current_revision.name,
            link.kind,
            link.to_proposal.current_revision.name,
            link.state,
            link.moderation,
        )
        for link in TreeLink.objects.filter(workshop=workshop).select_related(
            "from_proposal__current_revision", "to_proposal__current_revision"
        )
    )


def test_the_review_workshop_starts_from_the_releases_accepted_links(organisation):
    _with_tree(
        organisation,
        [
            ("NPS", "drives", "FCR", "Happy customers call less"),
            ("AHT", "guards", "FCR", "Rushing hurts resolution"),
        ],
    )
    workshop = _start(organisation)
    assert _named(workshop) == [
        ("AHT", "guards", "FCR", LinkState.ACCEPTED, Moderation.SHOWN),
        ("NPS", "drives", "FCR", LinkState.ACCEPTED, Moderation.SHOWN),
    ]
    facilitator = Participant.objects.get(workshop=workshop, role=Role.FACILITATOR)
    link = TreeLink.objects.get(workshop=workshop, kind="drives")
    assert link.why == "Happy customers call less"
    assert link.proposed_by == facilitator and link.decided_by == facilitator
    assert link.decided_at is not None
    # The map's version moved with the links (its pages show the tree at once).
    assert versions.versions_read((versions.MAP, workshop.pk)) != "0"
    event = AuditEvent.objects.get(workshop_id=workshop.pk, action="tree_link.import")
    assert event.details == {"imported": 2, "skipped": 0}


def test_links_whose_ends_are_not_in_the_review_workshop_are_skipped(organisation):
    _with_tree(
        organisation,
        [
            ("NPS", "drives", "FCR", "kept"),
            ("GONE", "drives", "FCR", "an entry the release no longer has"),
            ("NPS", "unknown", "AHT", "a kind this version does not know"),
            ("AHT", "part_of", "NPS", ""),  # an older release without a why
        ],
    )
    workshop = _start(organisation)
    assert _named(workshop) == [
        ("AHT", "part_of", "NPS", LinkState.ACCEPTED, Moderation.SHOWN),
        ("NPS", "drives", "FCR", LinkState.ACCEPTED, Moderation.SHOWN),
    ]
    assert TreeLink.objects.get(kind="part_of").why.startswith("Agreed in catalogue")
    event = AuditEvent.objects.get(workshop_id=workshop.pk, action="tree_link.import")
    assert event.details == {"imported": 2, "skipped": 2}


def test_a_release_tree_that_would_close_a_cycle_is_not_imported_whole(organisation):
    _with_tree(
        organisation,
        [
            ("NPS", "drives", "FCR", "a"),
            ("FCR", "drives", "AHT", "b"),
            ("AHT", "drives", "NPS", "c"),
        ],
    )
    _start(organisation)
    edges = list(TreeLink.objects.values_list("from_proposal_id", "to_proposal_id", "kind"))
    assert len(edges) == 2 and not in_cycles(edges)


def test_starting_twice_imports_once(organisation):
    _with_tree(organisation, [("NPS", "drives", "FCR", "why")])
    workshop = _start(organisation)
    fac, reader = member(organisation, Role.FACILITATOR)
    again = services.review_workshop_start(reader=reader, user=fac, organisation_id=organisation.pk)
    assert again == workshop and TreeLink.objects.count() == 1


def test_the_import_fails_with_the_workshop(organisation, monkeypatch):
    """One transaction: a failure after the links were written leaves no workshop and no
    link behind."""
    _with_tree(organisation, [("NPS", "drives", "FCR", "why")])

    def boom(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(services, "audit_in_workshop", boom)
    with pytest.raises(RuntimeError), transaction.atomic():
        _start(organisation)
    assert not Workshop.objects.exists() and not TreeLink.objects.exists()


def test_only_the_facilitator_imports_links(organisation):
    _with_tree(organisation, [("NPS", "drives", "FCR", "why")])
    workshop = _start(organisation)
    agent = Participant.objects.create(
        workshop=workshop, user=member(organisation, Role.AGENT)[0], role=Role.AGENT
    )
    with pytest.raises(PermissionDenied):
        mapping_services.tree_links_import(actor=agent, workshop=workshop, links=[])
