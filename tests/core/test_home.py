import pytest

from kpiworkshop.accounts.models import Role
from tests.factories import MembershipFactory, WorkshopFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_anonymous_home_offers_join_code_and_sign_in(client, db, headers):
    response = client.get("/", **headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="code"' in html
    assert "/accounts/login/" in html


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_home_lists_only_my_organisations_workshops(client, organisation, headers):
    user = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    WorkshopFactory(organisation=organisation, title="Ours")
    WorkshopFactory(title="Somebody else's")
    client.force_login(user)
    html = client.get("/", **headers).content.decode()
    assert "Ours" in html
    assert "Somebody else" not in html
    assert "New workshop" not in html


def test_facilitators_get_the_new_workshop_button(client, organisation):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user)
    assert "New workshop" in client.get("/").content.decode()


def test_user_without_organisation_is_told_what_to_do(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert "You do not belong to an organisation yet" in client.get("/").content.decode()
