import json

import pytest
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.accounts.services import api_token_create, api_token_revoke
from kpiworkshop.workshops.models import Participant, Stage, new_guest_key
from tests.factories import MembershipFactory, ParticipantFactory, UserFactory, WorkshopFactory

URL = "/api/v1/workshops"


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def member(organisation):
    return MembershipFactory(organisation=organisation, role=Role.AGENT).user


@pytest.fixture
def their_workshops(organisation, member):
    """Two workshops of the member's organisation and one of a stranger organisation."""
    mine = WorkshopFactory(organisation=organisation, title="Ours", stage=Stage.VOTE)
    ParticipantFactory(workshop=mine)
    ParticipantFactory(workshop=mine, guest=True)
    Participant.objects.create(
        workshop=mine, guest_key=new_guest_key(), display_name="Gone", role=Role.AGENT,
        is_active=False,
    )  # fmt: skip
    empty = WorkshopFactory(organisation=organisation, title="Empty", stage=Stage.DRAFT)
    foreign = WorkshopFactory(title="Theirs")
    ParticipantFactory(workshop=foreign)
    return mine, empty, foreign


def by_title(response) -> dict:
    assert response.status_code == 200
    return {w["title"]: w for w in response.json()}


def test_session_user_lists_only_own_organisations_workshops(client, member, their_workshops):
    client.force_login(member)
    found = by_title(client.get(URL))
    assert set(found) == {"Ours", "Empty"}
    assert found["Ours"]["stage"] == "vote"
    assert found["Ours"]["stage_label"] == "Vote"
    assert found["Ours"]["participant_count"] == 2  # the inactive one does not count
    assert found["Empty"]["participant_count"] == 0
    assert found["Ours"]["organisation"] == their_workshops[0].organisation.name


def test_bearer_token_lists_the_same_workshops(client, member, their_workshops):
    _token, raw = api_token_create(user=member, name="BI")
    found = by_title(client.get(URL, **bearer(raw)))
    assert set(found) == {"Ours", "Empty"}
    assert found["Ours"]["participant_count"] == 2


def test_member_of_two_organisations_sees_both(client, member, their_workshops):
    foreign = their_workshops[2]
    MembershipFactory(user=member, organisation=foreign.organisation, role=Role.CUSTOMER)
    _token, raw = api_token_create(user=member, name="BI")
    assert set(by_title(client.get(URL, **bearer(raw)))) == {"Ours", "Empty", "Theirs"}


def test_inactive_membership_hides_the_organisation(client, member, their_workshops):
    member.memberships.update(is_active=False)
    client.force_login(member)
    assert by_title(client.get(URL)) == {}


def test_user_without_organisation_gets_an_empty_list(client, db, their_workshops):
    client.force_login(UserFactory())
    assert client.get(URL).json() == []


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kpiw_not-a-real-token",
        "Bearer ",
        "Bearer garbage",
        "Token kpiw_whatever",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "x" * 5000,
        "kpiw_no_scheme",
    ],
)
def test_garbage_token_is_401(client, db, header):
    response = client.get(URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_no_credentials_is_401(client, db):
    assert client.get(URL).status_code == 401


def test_revoked_token_is_401(client, member, their_workshops):
    token, raw = api_token_create(user=member, name="BI")
    assert client.get(URL, **bearer(raw)).status_code == 200
    api_token_revoke(user=member, token_id=token.pk)
    assert client.get(URL, **bearer(raw)).status_code == 401


def test_token_of_deactivated_user_is_401(client, member):
    _token, raw = api_token_create(user=member, name="BI")
    member.is_active = False
    member.save()
    assert client.get(URL, **bearer(raw)).status_code == 401


def test_token_use_is_recorded(client, member):
    token, raw = api_token_create(user=member, name="BI")
    assert token.last_used_at is None
    client.get(URL, **bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_openapi_document_is_valid_json_with_the_workshops_path(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "kpiworkshop API"
    operation = doc["paths"]["/api/v1/workshops"]["get"]
    schema_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema_ref["type"] == "array"
    fields = doc["components"]["schemas"]["WorkshopOut"]["properties"]
    assert {"stage", "participant_count", "title", "organisation"} <= set(fields)


def test_api_docs_link_in_footer_resolves(client, db):
    assert client.get(reverse("api:openapi-view")).status_code == 200
