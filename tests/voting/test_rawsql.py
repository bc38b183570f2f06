"""Each statement of ``voting.rawsql`` gives what the ORM query it replaces gives (the
page-level comparisons of ``voter_and_ballot`` are in ``test_vote_hot_path.py``)."""

import pytest
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from kpiworkshop.voting import rawsql, selectors, services
from kpiworkshop.voting.models import Ballot, BallotItem, Criterion, Method, Vote, Voter
from tests.core.test_rawsql_modules import row
from tests.voting.conftest import make_proposal

pytestmark = pytest.mark.django_db


def _state_orm(*, ballot_id, proposal_id, criterion_ids):
    """The ORM queries ``ballot_state_for_vote`` replaces: the ballot's state, and the
    criteria the vote goes to when the proposal is one of the ballot's."""
    ballot = Ballot.objects.filter(pk=ballot_id).values("state", "closes_at").first()
    if ballot is None:
        return None
    criteria = set()
    if BallotItem.objects.filter(ballot_id=ballot_id, proposal_id=proposal_id).exists():
        found = Criterion.objects.filter(ballot_id=ballot_id)
        found = found.filter(pk__in=criterion_ids) if criterion_ids is not None else found
        criteria = set(found.filter(position=0) if criterion_ids is None else found)
        criteria = {c.pk for c in criteria}
    return ballot["state"], ballot["closes_at"], criteria


def _state_raw(**kwargs):
    rows = rawsql.ballot_state_for_vote(**kwargs)
    if not rows:
        return None
    state, closes_at, _c = rows[0]
    if isinstance(closes_at, str):
        closes_at = parse_datetime(closes_at)
    if closes_at is not None and closes_at.tzinfo is None:
        from datetime import UTC

        closes_at = closes_at.replace(tzinfo=UTC)
    return state, closes_at, {r[2] for r in rows if r[2] is not None}


def _same_state(**kwargs):
    with transaction.atomic():
        raw = _state_raw(**kwargs)
    assert raw == _state_orm(**kwargs)
    return raw


def test_ballot_state_single_criterion(open_ballot, proposals, vote_workshop, facilitator):
    ballot = open_ballot(Method.DOTS, duration_minutes=10)
    outside = make_proposal(vote_workshop, facilitator, "Not in the round")
    found = _same_state(ballot_id=ballot.pk, proposal_id=proposals[0].pk, criterion_ids=None)
    assert len(found[2]) == 1 and found[1] is not None
    assert _same_state(ballot_id=ballot.pk, proposal_id=outside.pk, criterion_ids=None)[2] == set()
    assert _same_state(ballot_id=ballot.pk, proposal_id=None, criterion_ids=None)[2] == set()
    assert _same_state(ballot_id=0, proposal_id=proposals[0].pk, criterion_ids=None) is None


def test_ballot_state_several_criteria_never_another_ballots(open_ballot, proposals):
    ballot = open_ballot(Method.SCORE, criteria=["Actionable", "Hard to game", "Cheap"])
    other = open_ballot(Method.SCORE, criteria=["Actionable"], title="Other")
    mine = list(Criterion.objects.filter(ballot=ballot).values_list("pk", flat=True))
    theirs = list(Criterion.objects.filter(ballot=other).values_list("pk", flat=True))
    for ids in ([], mine[:1], mine, mine + theirs, theirs):
        _same_state(ballot_id=ballot.pk, proposal_id=proposals[1].pk, criterion_ids=ids)
    got = _same_state(ballot_id=ballot.pk, proposal_id=proposals[1].pk, criterion_ids=mine + theirs)
    assert got[2] == set(mine)


def _dots_orm(*, ballot_id, participant_id, proposal_id):
    got = Vote.objects.filter(ballot_id=ballot_id, participant_id=participant_id).aggregate(
        all=Coalesce(Sum("value"), 0),
        here=Coalesce(Sum("value", filter=Q(proposal_id=proposal_id)), 0),
    )
    return got["all"], got["here"]


def _my_votes_orm(*, ballot_id, viewer_id):
    return sorted(
        Vote.objects.filter(ballot_id=ballot_id, participant_id=viewer_id).values_list(
            "proposal_id", "criterion_id", "value", "revision_id", "proposal__current_revision_id"
        )
    )


def test_dots_spent_and_my_votes(open_ballot, proposals, people):
    ballot = open_ballot(Method.DOTS, dot_budget=5)
    other = open_ballot(Method.DOTS, dot_budget=5, title="Other round")
    (me, someone, _a), _customers = people
    nobody = people[1][0]

    def same(participant, proposal):
        args = {"ballot_id": ballot.pk, "participant_id": participant.pk}
        assert rawsql.dots_spent(**args, proposal_id=proposal.pk) == _dots_orm(
            **args, proposal_id=proposal.pk
        )
        viewer = {"ballot_id": ballot.pk, "viewer_id": participant.pk}
        assert sorted(rawsql.my_votes_rows(**viewer)) == _my_votes_orm(**viewer)

    same(me, proposals[0])  # nothing yet: (0, 0), no rows
    assert rawsql.dots_spent(ballot_id=ballot.pk, participant_id=me.pk, proposal_id=0) == (0, 0)
    services.vote_cast(actor=me, ballot=ballot, proposal_id=proposals[0].pk, value=2)
    services.vote_cast(actor=me, ballot=ballot, proposal_id=proposals[1].pk, value=1)
    services.vote_cast(actor=someone, ballot=ballot, proposal_id=proposals[0].pk, value=3)
    services.vote_cast(actor=me, ballot=other, proposal_id=proposals[0].pk, value=4)
    for participant in (me, someone, nobody):
        for proposal in proposals:
            same(participant, proposal)
    assert rawsql.dots_spent(
        ballot_id=ballot.pk, participant_id=me.pk, proposal_id=proposals[0].pk
    ) == (3, 2)
    mine = selectors.my_votes(ballot=ballot, participant=me)
    assert sorted(mine.values()) == [1, 2]


def test_upserts_write_what_the_orm_writes(open_ballot, proposals, people):
    ballot = open_ballot(Method.APPROVAL)
    (me, _b, _c), _customers = people
    criterion = Criterion.objects.get(ballot=ballot, position=0)
    with transaction.atomic():
        rawsql.voter_upsert(ballot_id=ballot.pk, participant_id=me.pk, role=me.role)
        rawsql.votes_upsert(
            ballot_id=ballot.pk,
            participant_id=me.pk,
            role=me.role,
            reason="why",
            values=[(proposals[0].pk, criterion.pk, 1), (proposals[1].pk, criterion.pk, 0)],
        )
    with transaction.atomic():
        rawsql.voter_upsert(ballot_id=ballot.pk, participant_id=me.pk, role=me.role)
        rawsql.votes_upsert(
            ballot_id=ballot.pk,
            participant_id=me.pk,
            role=me.role,
            reason="",
            values=[(proposals[1].pk, criterion.pk, 1)],
        )
    voter = Voter.objects.get(ballot=ballot, participant=me)
    assert (voter.changes, voter.role, voter.first_voted_at is not None) == (2, me.role, True)
    # What the ORM writes for the same taps (bulk_create with update_conflicts), side by side.
    expected = {
        (p.pk, criterion.pk): (v, r, p.current_revision_id)
        for p, v, r in ((proposals[0], 1, "why"), (proposals[1], 1, ""))
    }
    got = {
        (v.proposal_id, v.criterion_id): (v.value, v.reason, v.revision_id)
        for v in Vote.objects.filter(ballot=ballot, participant=me)
    }
    assert got == expected
    orm_ballot = open_ballot(Method.APPROVAL, title="ORM twin")
    orm_criterion = Criterion.objects.get(ballot=orm_ballot, position=0)
    for value, reason, proposal in (
        (1, "why", proposals[0]),
        (0, "why", proposals[1]),
        (1, "", proposals[1]),
    ):
        Vote.objects.bulk_create(
            [
                Vote(
                    ballot=orm_ballot,
                    participant=me,
                    proposal=proposal,
                    criterion=orm_criterion,
                    role=me.role,
                    value=value,
                    reason=reason,
                    revision_id=proposal.current_revision_id,
                )
            ],
            update_conflicts=True,
            unique_fields=["ballot", "participant", "proposal", "criterion"],
            update_fields=["value", "reason", "role", "revision", "updated_at"],
        )
    orm = {
        (v.proposal_id, v.criterion_id - orm_criterion.pk + criterion.pk): (
            v.value,
            v.reason,
            v.revision_id,
        )
        for v in Vote.objects.filter(ballot=orm_ballot, participant=me)
    }
    assert orm == got
    assert all(row(v)["role"] == me.role for v in Vote.objects.filter(ballot=ballot))
    assert not Vote.objects.filter(ballot=ballot).exclude(participant=me).exists()


def _activity(ballot):
    """A ballot's columns and the annotations ``selectors._with_activity`` adds."""
    names = ("setup_version", "board_version", "roster_version", "voters_n", "votes_n")
    values = {name: getattr(ballot, name) for name in names}
    values["viewer_voted"] = bool(getattr(ballot, "viewer_voted", False))
    values["votes_n"] = values["votes_n"] or 0
    return row(ballot) | {k: str(v) if k.endswith("version") else v for k, v in values.items()}


def test_opened_ballots_with_activity_is_the_orm_query(
    open_ballot, proposals, people, vote_workshop, facilitator
):
    """``agreement_ballots``' one query: the workshop's opened rounds, newest first, with
    their activity, as the ORM compiles it; never a round not yet opened, never another
    workshop's."""
    from tests.factories import ParticipantFactory, WorkshopFactory

    (me, someone, _a), _customers = people

    def orm(workshop, viewer):
        qs = Ballot.objects.filter(workshop=workshop, opened_at__isnull=False).order_by(
            "-opened_at", "-id"
        )
        return [_activity(b) for b in selectors._with_activity(qs, viewer=viewer)]

    def same(workshop, viewer):
        raw = rawsql.opened_ballots_with_activity(
            workshop_id=workshop.pk,
            viewer_id=viewer.pk if viewer is not None else None,
            annotate=selectors._with_activity,
        )
        assert [_activity(b) for b in raw] == orm(workshop, viewer)
        return raw

    assert same(vote_workshop, me) == []  # no round yet
    first = open_ballot(Method.APPROVAL, title="First")
    second = open_ballot(Method.DOTS, dot_budget=3, title="Second")
    services.ballot_create(actor=facilitator, workshop=vote_workshop, title="Draft", method="dots")
    services.vote_cast(actor=me, ballot=first, proposal_id=proposals[0].pk, value=1)
    services.vote_cast(actor=me, ballot=second, proposal_id=proposals[1].pk, value=2)
    services.vote_cast(actor=someone, ballot=second, proposal_id=proposals[1].pk, value=1)
    other = WorkshopFactory(organisation=vote_workshop.organisation, stage="vote")
    other_fac = ParticipantFactory(workshop=other, role="facilitator")
    make_proposal(other, other_fac, "CSAT")
    theirs = services.ballot_create(actor=other_fac, workshop=other, title="Theirs", method="dots")
    services.ballot_open(actor=other_fac, ballot=theirs)
    for viewer in (None, me, someone, facilitator):
        raw = same(vote_workshop, viewer)
        assert [b.pk for b in raw] == [second.pk, first.pk]
    assert [b.viewer_voted for b in same(vote_workshop, me)] == [True, True]
    assert [b.voters_n for b in same(vote_workshop, None)] == [2, 1]
    assert [b.pk for b in same(other, other_fac)] == [theirs.pk]


def test_ballot_page_read_is_the_three_queries_it_replaces(
    open_ballot, proposals, people, vote_workshop, facilitator, django_assert_num_queries
):
    """``ballot_page_read``'s one query gives what ``participant_with_workshop``,
    ``ballot_get(with_activity=True)`` with ``viewer_voted`` and ``my_votes_rows`` give: the
    request's participant (by account or guest cookie), the ballot with its activity as the
    ORM compiles it, and that person's votes (one row per proposal and criterion; none of
    another person's or another round's). No ballot for another workshop's id; nothing for
    someone who has not joined."""
    from kpiworkshop.workshops.selectors import participant_with_workshop
    from tests.factories import ParticipantFactory, UserFactory, WorkshopFactory

    (me, someone, _a), (customer, *_c) = people
    score = open_ballot(Method.SCORE, criteria=["Actionable", "Hard to game"], secret=False)
    dots = open_ballot(Method.DOTS, dot_budget=5, title="Dots")
    actionable, hard = selectors.ballot_criteria(ballot=score)
    services.vote_submit(
        actor=me, ballot=score, proposal_id=proposals[0].pk, scores={actionable.pk: 4, hard.pk: 2}
    )
    services.vote_submit(actor=me, ballot=score, proposal_id=proposals[1].pk, scores={hard.pk: 5})
    services.vote_cast(actor=me, ballot=dots, proposal_id=proposals[0].pk, value=2)
    services.vote_cast(actor=me, ballot=dots, proposal_id=proposals[1].pk, value=0)  # taken back
    services.vote_cast(actor=someone, ballot=dots, proposal_id=proposals[0].pk, value=3)
    services.vote_cast(actor=facilitator, ballot=dots, proposal_id=proposals[2].pk, value=1)
    # A vote from before votes recorded their revision: no revision.
    Vote.objects.filter(ballot=dots, participant=someone).update(revision=None)

    def who(person):
        return {"user": person.user, "guest_key": person.guest_key}

    def orm(ballot, viewer):
        qs = Ballot.objects.filter(workshop=vote_workshop, pk=ballot.pk)
        return _activity(selectors._with_activity(qs, viewer=viewer).get())

    for ballot in (score, dots):
        for viewer in (me, someone, customer, facilitator):
            got_viewer, got = selectors.ballot_page_read(
                workshop_id=vote_workshop.pk, ballot_id=ballot.pk, **who(viewer)
            )
            expected = participant_with_workshop(workshop_id=vote_workshop.pk, **who(viewer))
            assert row(got_viewer) == row(expected) == row(viewer)
            assert row(got_viewer.workshop) == row(expected.workshop)
            assert row(got_viewer.workshop.organisation) == row(expected.workshop.organisation)
            assert got.workshop is got_viewer.workshop
            assert _activity(got) == orm(ballot, viewer)
            rows = _my_votes_orm(ballot_id=ballot.pk, viewer_id=viewer.pk)
            assert sorted(rawsql.viewer_votes_of(got, viewer.pk)) == rows
            assert rawsql.viewer_votes_of(got, viewer.pk + 1000) is None  # read for one viewer
            with django_assert_num_queries(0):  # my_votes reads them from the ballot
                mine = selectors.my_votes(ballot=got, participant=viewer)
            assert sorted(mine.items()) == sorted(((p, c), v) for p, c, v, _r, _c in rows)
    _viewer, got = selectors.ballot_page_read(
        workshop_id=vote_workshop.pk, ballot_id=score.pk, **who(me)
    )
    assert len(rawsql.viewer_votes_of(got, me.pk)) == 3
    other = WorkshopFactory(organisation=vote_workshop.organisation, stage="vote")
    theirs = ParticipantFactory(workshop=other, role="facilitator")
    # Another workshop's ballot id: the viewer, no ballot.
    found = selectors.ballot_page_read(workshop_id=other.pk, ballot_id=score.pk, **who(theirs))
    assert found[0] == theirs and found[1] is None
    # Not joined (another workshop's participant, an account that never joined): nothing.
    assert selectors.ballot_page_read(workshop_id=other.pk, ballot_id=score.pk, **who(me)) is None
    stranger = {"user": UserFactory(), "guest_key": None}
    assert (
        selectors.ballot_page_read(workshop_id=vote_workshop.pk, ballot_id=dots.pk, **stranger)
        is None
    )
    with django_assert_num_queries(0):  # no credentials, no query
        assert (
            selectors.ballot_page_read(
                workshop_id=vote_workshop.pk, ballot_id=dots.pk, user=None, guest_key=None
            )
            is None
        )
