"""The room's live signal (core/live.py): a counter per workshop that moves after each committed
change a room sees, read through a signed, session-free endpoint answering 304 when unchanged."""

import os
import tempfile
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from kpiworkshop.core.live import live_bump, live_token, live_token_valid, live_version
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.voting import services as voting_services
from kpiworkshop.voting.models import Ballot
from kpiworkshop.workshops import services as workshop_services
from kpiworkshop.workshops.models import Stage
from tests.conftest import as_guest, login
from tests.factories import proposal_with_revision

pytestmark = pytest.mark.django_db(transaction=True)

DEFINITION = {
    "name": "First contact resolution",
    "measures": "Solved at once.",
    "category": "customer",
}


def _url(workshop_id: int, token: str | None = None) -> str:
    token = live_token(workshop_id=workshop_id) if token is None else token
    return f"{reverse('core:live', args=[workshop_id])}?t={token}"


def test_live_version_is_zero_before_any_change(workshop):
    assert live_version(workshop_id=workshop.pk) == 0


def test_live_bump_moves_the_version_only_after_commit(workshop):
    with transaction.atomic():
        live_bump(workshop_id=workshop.pk)
        assert live_version(workshop_id=workshop.pk) == 0
    assert live_version(workshop_id=workshop.pk) == 1


def test_live_bump_in_a_rolled_back_transaction_moves_nothing(workshop):
    with pytest.raises(RuntimeError), transaction.atomic():
        live_bump(workshop_id=workshop.pk)
        raise RuntimeError
    assert live_version(workshop_id=workshop.pk) == 0


def test_live_versions_of_two_workshops_are_independent(workshop, other_org_participant):
    live_bump(workshop_id=workshop.pk)
    live_bump(workshop_id=workshop.pk)
    assert live_version(workshop_id=workshop.pk) == 2
    assert live_version(workshop_id=other_org_participant.workshop_id) == 0


def test_a_comment_moves_the_live_version(workshop, agent):
    proposal = proposal_with_revision(workshop, agent, **DEFINITION)
    before = live_version(workshop_id=workshop.pk)
    kpi_services.comment_create(actor=agent, proposal=proposal, body="Measured how?")
    assert live_version(workshop_id=workshop.pk) > before


def test_a_refused_comment_moves_nothing(workshop, agent):
    proposal = proposal_with_revision(workshop, agent, **DEFINITION)
    before = live_version(workshop_id=workshop.pk)
    with pytest.raises(Exception):  # noqa: B017 - the refusal itself is tested in kpis
        kpi_services.comment_create(actor=agent, proposal=proposal, body="   ")
    assert live_version(workshop_id=workshop.pk) == before


def test_a_stage_move_moves_the_live_version(workshop, facilitator):
    before = live_version(workshop_id=workshop.pk)
    workshop_services.workshop_set_stage(
        actor=facilitator, workshop=workshop, stage=Stage.REFINE, expected_stage=Stage.PROPOSE
    )
    assert live_version(workshop_id=workshop.pk) > before


def test_a_vote_moves_the_live_version(workshop, facilitator, agent):
    proposal = proposal_with_revision(workshop, agent, **DEFINITION)
    workshop.stage = Stage.VOTE
    workshop.save()
    ballot = voting_services.ballot_create(
        actor=facilitator, workshop=workshop, title="Round", method="approval"
    )
    ballot = voting_services.ballot_open(actor=facilitator, ballot=ballot)
    ballot = Ballot.objects.select_related("workshop").get(pk=ballot.pk)
    before = live_version(workshop_id=workshop.pk)
    voting_services.vote_cast(actor=agent, ballot=ballot, proposal_id=proposal.pk, value=1)
    assert live_version(workshop_id=workshop.pk) > before


def test_live_token_is_valid_only_for_its_workshop(workshop, other_org_participant):
    token = live_token(workshop_id=workshop.pk)
    assert live_token_valid(token=token, workshop_id=workshop.pk)
    assert not live_token_valid(token=token, workshop_id=other_org_participant.workshop_id)
    assert not live_token_valid(token="forged", workshop_id=workshop.pk)
    assert not live_token_valid(token="", workshop_id=workshop.pk)


def test_live_endpoint_answers_the_version_then_304_until_a_change(client, workshop, agent):
    first = client.get(_url(workshop.pk))
    assert first.status_code == 200
    etag = first["ETag"]
    same = client.get(_url(workshop.pk), HTTP_IF_NONE_MATCH=etag)
    assert same.status_code == 304
    kpi_services.proposal_create(actor=agent, workshop=workshop, definition=dict(DEFINITION))
    moved = client.get(_url(workshop.pk), HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200
    assert moved["ETag"] != etag


def test_live_endpoint_refuses_a_missing_forged_or_foreign_token(
    client, workshop, other_org_participant
):
    other = other_org_participant.workshop_id
    assert client.get(reverse("core:live", args=[workshop.pk])).status_code == 404
    assert client.get(_url(workshop.pk, token="x" * 40)).status_code == 404
    assert client.get(_url(workshop.pk, token="x" * 5000)).status_code == 404
    assert client.get(_url(other, token=live_token(workshop_id=workshop.pk))).status_code == 404


def test_live_endpoint_with_the_in_process_cache_asks_the_database_once_then_follows_bumps(
    client, workshop, django_assert_num_queries
):
    with django_assert_num_queries(1):
        etag = client.get(_url(workshop.pk))["ETag"]
    with django_assert_num_queries(0):  # kept for KPIW_LIVE_LOCAL_SECONDS
        assert client.get(_url(workshop.pk), HTTP_IF_NONE_MATCH=etag).status_code == 304
    live_bump(workshop_id=workshop.pk)  # this process drops its copy at once
    assert client.get(_url(workshop.pk), HTTP_IF_NONE_MATCH=etag).status_code == 200


SHARED_CACHE_DIR = str(Path(tempfile.gettempdir()) / f"kpiw-test-live-{os.getpid()}")


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": SHARED_CACHE_DIR,
        }
    }
)
def test_live_endpoint_with_a_shared_cache_reads_it_and_follows_bumps(
    client, workshop, django_assert_num_queries
):
    from django.core.cache import cache

    cache.clear()
    with django_assert_num_queries(1):  # the first poll fills the cache from the database
        etag = client.get(_url(workshop.pk))["ETag"]
    with django_assert_num_queries(0):  # then a room's polls cost no query at all
        assert client.get(_url(workshop.pk), HTTP_IF_NONE_MATCH=etag).status_code == 304
    live_bump(workshop_id=workshop.pk)  # drops the cached value: the next poll sees the change
    assert client.get(_url(workshop.pk), HTTP_IF_NONE_MATCH=etag).status_code == 200
    cache.clear()


def test_every_workshop_page_carries_its_signed_live_link(client, workshop, guest_customer):
    as_guest(client, guest_customer)
    html = client.get(reverse("workshops:detail", args=[workshop.pk])).content.decode()
    assert f'data-live-url="/live/{workshop.pk}/?t=' in html
    token = html.split(f'data-live-url="/live/{workshop.pk}/?t=')[1].split('"')[0]
    assert live_token_valid(token=token, workshop_id=workshop.pk)


def test_a_page_without_a_workshop_has_no_live_link(client, facilitator):
    login(client, facilitator)
    assert b"data-live-url" not in client.get(reverse("home")).content
