"""Each statement of ``mapping.rawsql`` gives what the ORM query it replaces gives."""

import pytest

from kpiworkshop.mapping import rawsql
from kpiworkshop.mapping.models import TreeLink, TreeLinkStance
from tests.factories import ParticipantFactory, WorkshopFactory

from .conftest import make_kpi

pytestmark = pytest.mark.django_db


def _orm(*, workshop_id, participant_id):
    return dict(
        TreeLinkStance.objects.filter(
            link__workshop_id=workshop_id, participant_id=participant_id
        ).values_list("link_id", "stance")
    )


def _link(workshop, author, a, b):
    return TreeLink.objects.create(
        workshop=workshop,
        from_proposal=make_kpi(workshop, author, a),
        to_proposal=make_kpi(workshop, author, b),
        kind="drives",
        why="w",
        proposed_by=author,
    )


def test_tree_stances_of_gives_the_orm_querys_answer(map_workshop, manager, agent):
    one, two = _link(map_workshop, manager, "A", "B"), _link(map_workshop, manager, "C", "D")
    _link(map_workshop, manager, "E", "F")  # no stance on it
    TreeLinkStance.objects.create(link=one, participant=agent, stance="support")
    TreeLinkStance.objects.create(link=two, participant=agent, stance="object")
    TreeLinkStance.objects.create(link=one, participant=manager, stance="object")
    # Another workshop's link and stance (another participant: one workshop each).
    other = WorkshopFactory(organisation=map_workshop.organisation, stage=map_workshop.stage)
    someone = ParticipantFactory(workshop=other)
    TreeLinkStance.objects.create(
        link=_link(other, someone, "G", "H"), participant=someone, stance="support"
    )
    for workshop_id, participant_id in (
        (map_workshop.pk, agent.pk),
        (map_workshop.pk, manager.pk),
        (map_workshop.pk, someone.pk),
        (other.pk, someone.pk),
        (other.pk, agent.pk),
    ):
        raw = rawsql.tree_stances_of(workshop_id=workshop_id, participant_id=participant_id)
        assert raw == _orm(workshop_id=workshop_id, participant_id=participant_id)
    assert rawsql.tree_stances_of(workshop_id=map_workshop.pk, participant_id=agent.pk) == {
        one.pk: "support",
        two.pk: "object",
    }
