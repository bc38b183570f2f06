import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kpiworkshop.accounts.models import ApiToken, hash_token
from kpiworkshop.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)
from tests.factories import UserFactory

TOKENS = "/accounts/tokens/"


@pytest.fixture
def user(db):
    return UserFactory()


def test_token_create_stores_only_the_hash(user):
    token, raw = api_token_create(user=user, name="  BI import  ")
    assert raw.startswith("kpiw_")
    assert len(raw) > 40
    assert token.name == "BI import"
    assert token.prefix == raw[:12]
    assert token.token_hash == hash_token(raw)
    assert raw not in {token.token_hash, token.prefix, token.name}


def test_two_tokens_differ(user):
    assert api_token_create(user=user, name="a")[1] != api_token_create(user=user, name="b")[1]


@pytest.mark.parametrize("name", ["", "   ", None])
def test_token_needs_a_name(user, name):
    with pytest.raises(ValidationError) as exc_info:
        api_token_create(user=user, name=name)
    assert "name" in exc_info.value.message_dict
    assert not ApiToken.objects.exists()


def test_token_authenticates_its_user_until_revoked(user):
    token, raw = api_token_create(user=user, name="BI")
    assert api_token_authenticate(raw=raw) == user
    assert api_token_authenticate(raw=raw + "x") is None
    assert api_token_authenticate(raw=raw.replace("kpiw_", "")) is None
    assert api_token_authenticate(raw="") is None
    api_token_revoke(user=user, token_id=token.pk)
    assert api_token_authenticate(raw=raw) is None


def test_nobody_can_revoke_another_users_token(user):
    token, raw = api_token_create(user=user, name="BI")
    with pytest.raises(PermissionDenied):
        api_token_revoke(user=UserFactory(), token_id=token.pk)
    assert api_token_authenticate(raw=raw) == user


def test_token_page_shows_the_raw_token_once(client, user):
    client.force_login(user)
    response = client.post(TOKENS, {"name": "Power BI"})
    assert response.status_code == 200
    html = response.content.decode()
    token = ApiToken.objects.get(user=user)
    shown = html.split('data-testid="new-token">')[1].split("<")[0]
    assert shown.startswith("kpiw_")
    assert hash_token(shown) == token.token_hash
    again = client.get(TOKENS).content.decode()
    assert shown not in again
    assert 'data-testid="new-token"' not in again
    assert "Power BI" in again
    assert token.prefix in again


def test_token_page_needs_sign_in(client, db):
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_token_page_blank_name_shows_error_and_creates_nothing(client, user):
    client.force_login(user)
    response = client.post(TOKENS, {"name": "   "})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_token_page_escapes_token_names(client, user):
    client.force_login(user)
    client.post(TOKENS, {"name": "<script>alert(1)</script>"})
    html = client.get(TOKENS).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_revoking_from_the_page(client, user):
    token, _raw = api_token_create(user=user, name="BI")
    client.force_login(user)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "revoked" in client.get(TOKENS).content.decode()


def test_revoking_someone_elses_token_from_the_page_is_403(client, user):
    token, _raw = api_token_create(user=user, name="BI")
    client.force_login(UserFactory())
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 403
    assert client.post("/accounts/tokens/999999/revoke/").status_code == 403
    assert client.post("/accounts/tokens/abc/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
