"""The data migrations of issue 20 bind existing votes and supports to their proposal's current
revision, and migrating back empties the column again (reversible)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kpiworkshop.kpis.models import Support
from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method, Vote

from .conftest import make_proposal

BEFORE = [("voting", "0006_vote_revision"), ("kpis", "0008_support_revision")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_backfill_binds_votes_and_supports_and_migrates_back(
    vote_workshop, facilitator, agent, people
):
    fcr = make_proposal(vote_workshop, facilitator, "FCR")
    ballot = services.ballot_create(
        actor=facilitator, workshop=vote_workshop, title="R", method=Method.APPROVAL
    )
    ballot = services.ballot_open(actor=facilitator, ballot=ballot)
    services.vote_cast(actor=people[0][0], ballot=ballot, proposal_id=fcr.pk, value=1)
    Support.objects.create(proposal=fcr, participant=agent)
    Vote.objects.update(revision=None)  # as rows written before the column existed

    _migrate(BEFORE)
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert set(Vote.objects.values_list("revision_id", flat=True)) == {fcr.current_revision_id}
    assert set(Support.objects.values_list("revision_id", flat=True)) == {fcr.current_revision_id}

    # Backwards the column is emptied (the backfill undone), and forwards it is filled again.
    _migrate(BEFORE)
    assert set(Vote.objects.values_list("revision_id", flat=True)) == {None}
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert set(Vote.objects.values_list("revision_id", flat=True)) == {fcr.current_revision_id}
