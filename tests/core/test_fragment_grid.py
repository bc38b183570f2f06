"""Every declared shared fragment × role × stage (``core.fragments.REGISTRY``):

- the same key gives the same markup (each viewer's markup rendered on its own, from an empty
  cache, is what the key's first viewer left in the cache for everyone else);
- viewers the predicates tell apart (different audience flags) never share a key, and viewers
  with the same flags share one (the cache is actually shared);
- nothing personal is in the shared markup: no viewer's name, no unfilled slot after filling.

Viewers: a participant of every role, a member of the organisation who has not joined (for
each role), and a participant of another organisation's workshop (a different scope)."""

import datetime
import uuid

import pytest
from django.core.cache import cache

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease
from kpiworkshop.catalog.permissions import Reader
from kpiworkshop.core.fragments import autodiscover
from kpiworkshop.kpis.models import Comment
from kpiworkshop.voting.models import Ballot, BallotItem, Criterion
from kpiworkshop.workshops.access import WorkshopAccess
from kpiworkshop.workshops.models import STAGE_ORDER
from kpiworkshop.workshops.moderation import Moderation
from tests.factories import (
    AudienceFactory,
    BusinessGoalFactory,
    InvitationFactory,
    MembershipFactory,
    ParticipantFactory,
    WorkshopFactory,
    proposal_with_revision,
)

REGISTRY = autodiscover()


class CatalogueViewer:
    """What the catalogue's fragments take as a viewer (``catalog.views.CatalogueAccess``)."""

    def __init__(self, organisation, role):
        self.organisation = organisation
        self.reader = Reader(organisation.pk, role) if role else None


def _world(workshop):
    org = workshop.organisation
    author = ParticipantFactory(workshop=workshop, role=Role.AGENT, display_name="Author A")
    proposals = [
        proposal_with_revision(
            workshop,
            author,
            state="shortlisted",
            name=f"KPI {i}",
            measures="What it measures.",
            category="customer",
        )
        for i in range(3)
    ]
    # An open proposal with a discussion: a comment, a reply, a comment resolved, one hidden
    # by the facilitator, and one waiting for the facilitator (never in the shared list).
    discussed = proposal_with_revision(
        workshop, author, name="Discussed", measures="M.", category="customer"
    )
    first = Comment.objects.create(proposal=discussed, author=author, body="First *point*")
    Comment.objects.create(proposal=discussed, author=author, parent=first, body="A reply")
    now = datetime.datetime.now(datetime.UTC)
    Comment.objects.create(proposal=discussed, author=author, body="Done", resolved_at=now)
    Comment.objects.create(
        proposal=discussed, author=author, body="Rude", hidden_at=now, hidden_reason="Personal"
    )
    Comment.objects.create(
        proposal=discussed, author=author, body="Still waiting", moderation=Moderation.HELD
    )
    BusinessGoalFactory(organisation=org)
    AudienceFactory(organisation=org)
    invitation = InvitationFactory(workshop=workshop, role=Role.AGENT)
    ballot = Ballot.objects.create(workshop=workshop, title="Round", method="approval")
    Criterion.objects.create(ballot=ballot, position=0, label="Overall")
    for i, p in enumerate(proposals):
        BallotItem.objects.create(ballot=ballot, proposal=p, position=i)
    release = CatalogRelease.objects.create(
        organisation=org,
        major=1,
        minor=0,
        language="en",
        workshop=workshop,
        effective_date=datetime.date(2026, 1, 1),
        published_by_name="Fran",
    )
    entry = CatalogEntry.objects.create(
        release=release,
        kpi_uid=uuid.uuid4(),
        position=0,
        name="First contact resolution",
        category="customer",
        definition={"measures": "Resolved at once.", "thresholds": "Below 70: act."},
        internal_fields=["thresholds"],
        channels=["chat"],
        training_notes={"en": {"how_to_read": "Read it."}},
        audiences=[],
        goals=[],
        decisions=[],
        search_text="first contact resolution",
    )
    return {
        "invitation": invitation,
        "ballot": ballot,
        "release": release,
        "entry": entry,
        "proposal": discussed,
    }


def _inputs(name, workshop, world):
    ballot = world["ballot"]
    ballot.workshop = workshop
    org = workshop.organisation
    return {
        "board-cards": dict(
            workshop=workshop,
            filters={"category": "", "channel": "", "state": "", "q": "", "sort": ""},
            author=None,
            page=1,
            next_query="page=2",
        ),
        "board-filter": dict(workshop=workshop, form_data={"q": ["wait"]}),
        "comment-list": dict(workshop=workshop, proposal=_on(world["proposal"], workshop)),
        "stage-panel": dict(workshop=workshop),
        "workshop-who": dict(workshop=workshop),
        "invitation-expiries": dict(workshop=workshop),
        "invitations-panel": dict(workshop=workshop, site="https://kpi.example/", clock=()),
        "join-qr": dict(
            workshop=workshop,
            invitation=world["invitation"],
            join_url=f"https://kpi.example/j/{world['invitation'].code}/",
        ),
        "map-cards": dict(workshop=workshop, page=1, more=False),
        "map-audiences": dict(workshop=workshop),
        "map-coverage": dict(workshop=workshop),
        "map-audience": dict(workshop=workshop, audience_id=0),
        "map-tree": dict(workshop=workshop),
        "ballot-results": dict(ballot=ballot, equal=False),
        "ballot-cards": dict(ballot=ballot),
        "ballot-board": dict(ballot=ballot, equal=False),
        "ballot-agreement": dict(
            workshop=workshop, ballots=(ballot,), sort="agreement", projector=False
        ),
        "catalogue-list": dict(organisation=org, release=world["release"]),
        "catalogue-entry": dict(organisation=org, release=world["release"], entry=world["entry"]),
        "catalogue-entry-forms": dict(
            organisation=org,
            release=world["release"],
            entry=world["entry"],
            is_current=getattr(workshop, "stage", "") != "draft",  # both answers, across stages
            today="2026-12-06",
            next_review=None if getattr(workshop, "stage", "") == "draft" else "2027-06-01",
        ),
        "catalogue-diff": dict(
            organisation=org, old=world["release"], new=world["release"], between=[]
        ),
    }[name]


def _on(proposal, workshop):
    """The proposal as the page has it: on the workshop whose stage the grid moves."""
    if proposal is not None:
        proposal.workshop = workshop
    return proposal


def _viewers(name, workshop):
    """(label, viewer, personal name) for every role, joined or only a member."""
    out = []
    for role in Role.values:
        if name.startswith("catalogue-"):
            out.append((f"reader:{role}", CatalogueViewer(workshop.organisation, role), None))
            continue
        person = f"Viewer {role} zq"
        participant = ParticipantFactory(workshop=workshop, role=role, display_name=person)
        participant.workshop = workshop
        out.append((f"participant:{role}", WorkshopAccess(workshop, participant, None), person))
        membership = MembershipFactory(organisation=workshop.organisation, role=role)
        out.append((f"member:{role}", WorkshopAccess(workshop, None, membership), None))
    return out


def test_every_declared_fragment_is_walked_by_the_grid():
    from types import SimpleNamespace

    names = set(REGISTRY)
    assert names, "no fragment declared"
    dummy = SimpleNamespace(organisation=None)
    world = {"ballot": SimpleNamespace(), "invitation": SimpleNamespace(code=""), "release": None}
    world["entry"] = world["proposal"] = None
    walked = set()
    for name in names:
        try:
            _inputs(name, dummy, world)
        except KeyError:
            continue
        walked.add(name)
    assert walked == names, f"add these fragments to the grid: {sorted(names - walked)}"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_same_key_same_markup_and_distinguished_viewers_never_share_a_key(name, workshop):
    fragment = REGISTRY[name]
    world = _world(workshop)
    viewers = _viewers(name, workshop)
    names = [person for _label, _viewer, person in viewers if person]
    for stage in STAGE_ORDER:
        workshop.stage = stage
        cache.clear()
        inputs = _inputs(name, workshop, world)
        keys, flags, served = {}, {}, {}
        for label, viewer, _person in viewers:
            keys[label] = fragment.key(viewer, **inputs)
            flags[label] = repr(fragment.flags(viewer, **inputs))
            served[label] = fragment.get(viewer, **inputs)  # the cache, shared by all
        # Distinguished viewers never share a key; viewers with the same flags share one.
        by_key = {}
        for label in keys:
            by_key.setdefault(keys[label], set()).add(flags[label])
        assert all(len(f) == 1 for f in by_key.values()), (stage, by_key)
        assert len(by_key) == len(set(flags.values())), (stage, by_key)
        for label, viewer, _person in viewers:
            # Same key, same markup: what the cache served this viewer is what rendering for
            # this viewer alone gives.
            own = fragment.render(fragment.flags(viewer, **inputs), **inputs)
            shared = served[label]
            assert own.pieces == shared.pieces or _same_but_nonce(own, shared), (stage, label)
            assert own.extra == shared.extra, (stage, label)  # parts of markup kept beside it
            text = "".join(shared.pieces) + repr(shared.extra)
            assert not any(person in text for person in names), (stage, label)
            filled = shared.fill({slot: "" for slot in shared.slot_names()})
            assert "\x00" not in filled


def _same_but_nonce(a, b) -> bool:
    """Two renderings with slots differ only by their random markers' nonce: compare the
    pieces around the slots and the slots' names."""
    return a.pieces[0::2] == b.pieces[0::2] and a.slot_names() == b.slot_names()


def test_two_organisations_never_share_a_key(workshop):
    other = WorkshopFactory()
    my_world, their_world = _world(workshop), _world(other)
    for name, fragment in REGISTRY.items():
        if name.startswith("catalogue-"):
            continue
        mine = _inputs(name, workshop, my_world)
        theirs = _inputs(name, other, their_world)
        viewer = WorkshopAccess(workshop, None, None)
        assert fragment.key(viewer, **mine) != fragment.key(viewer, **theirs), name


def test_a_comment_waiting_for_the_facilitator_never_reaches_the_shared_comment_list(workshop):
    world = _world(workshop)
    fragment = REGISTRY["comment-list"]
    inputs = _inputs("comment-list", workshop, world)
    for label, viewer, _person in _viewers("comment-list", workshop):
        text = "".join(fragment.get(viewer, **inputs).pieces)
        assert "First <em>point</em>" in text and "A reply" in text, label
        assert "Still waiting" not in text, label
        assert "Waiting for the facilitator" not in text, label
