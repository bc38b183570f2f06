"""The KPI tree under real concurrency (PostgreSQL only: row locks, parallel transactions).

Two facilitators accept, at the same moment, two proposed links that together would close a
cycle (A drives B, B drives C, C drives A with the first already accepted): the workshop's row
lock makes the second wait for the first and then see its link, so exactly one succeeds."""

from django.core.exceptions import ValidationError

from kpiworkshop.accounts.models import Role
from kpiworkshop.mapping import services
from kpiworkshop.mapping.models import LinkState, TreeLink
from kpiworkshop.mapping.tree import in_cycles
from tests.factories import ParticipantFactory
from tests.races import RACE_TEST, run_at_once

from .conftest import make_kpi

pytestmark = RACE_TEST


def test_two_acceptances_that_would_close_a_cycle_one_succeeds(map_workshop, manager, facilitator):
    second = ParticipantFactory(workshop=map_workshop, role=Role.FACILITATOR)
    deciders = (facilitator, second)
    for round_ in range(10):
        a, b, c = (make_kpi(map_workshop, manager, f"{x}{round_}") for x in "ABC")

        def propose(x, y):
            return services.tree_link_propose(
                actor=manager, workshop=map_workshop, from_id=x.pk, to_id=y.pk,
                kind="drives", why="w",
            )  # fmt: skip

        services.tree_link_decide(actor=facilitator, link=propose(a, b), accept=True)
        pending = (propose(b, c), propose(c, a))
        results = run_at_once(
            2,
            lambda i, pending=pending: services.tree_link_decide(
                actor=deciders[i], link=pending[i], accept=True
            ),
        )
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1, results
        assert isinstance(errors[0], ValidationError), results
        states = sorted(
            TreeLink.objects.filter(pk__in=[p.pk for p in pending]).values_list("state", flat=True)
        )
        assert states == [LinkState.ACCEPTED, LinkState.PROPOSED]
    accepted = TreeLink.objects.filter(workshop=map_workshop, state=LinkState.ACCEPTED)
    assert not in_cycles(accepted.values_list("from_proposal_id", "to_proposal_id", "kind"))


def test_letting_a_waiting_link_through_while_the_same_link_is_proposed_shows_one(
    map_workshop, manager, facilitator
):
    """A waiting link let through while someone proposes the same link, straight through:
    whichever comes second either folds into the first (the let-through) or is told the link
    exists (the proposal). Never two shown links, never an unexpected error."""
    from kpiworkshop.workshops import services as workshop_services
    from kpiworkshop.workshops.moderation import Moderation

    workshop_services.workshop_set_hold_open_text(
        actor=facilitator, workshop=map_workshop, hold=True
    )
    map_workshop.refresh_from_db()
    for round_ in range(10):
        a, b = (make_kpi(map_workshop, manager, f"{x}{round_}") for x in "AB")
        waiting = services.tree_link_propose(
            actor=manager, workshop=map_workshop, from_id=a.pk, to_id=b.pk, kind="drives",
            why="w",
        )  # fmt: skip
        assert waiting.moderation == Moderation.HELD

        def act(i, waiting=waiting, a=a, b=b):
            if i == 0:
                return workshop_services.moderation_release(
                    actor=facilitator, workshop=map_workshop, kind="tree_link",
                    item_id=waiting.pk,
                )  # fmt: skip
            return services.tree_link_propose(
                actor=facilitator, workshop=map_workshop, from_id=a.pk, to_id=b.pk,
                kind="drives", why="mine",
            )  # fmt: skip

        results = run_at_once(2, act)
        errors = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(e, ValidationError) for e in errors), results
        rows = TreeLink.objects.filter(from_proposal=a, to_proposal=b, kind="drives")
        assert list(rows.values_list("moderation", flat=True)) == [Moderation.SHOWN]
