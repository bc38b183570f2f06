"""Valid HTML and a strict Content-Security-Policy (issue 13), dates in the reader's format."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kpiworkshop.accounts.models import Role
from tests.conftest import login
from tests.factories import MembershipFactory

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy")
    assert header, "no enforced Content-Security-Policy header"
    parts = (p.strip().split(None, 1) for p in header.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def assert_strict(response) -> None:
    policy = directives(response)
    for name, value in STRICT.items():
        assert policy.get(name) == value, f"{name}: {policy.get(name)!r} on {response}"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_public_pages_send_a_strict_policy(client, db):
    for url in ["/", "/join/", reverse("accounts:login")]:
        assert_strict(client.get(url))


def test_fragments_errors_and_api_send_the_policy(client, workshop, facilitator, invitation):
    login(client, facilitator)
    url = reverse("workshops:join_screen", args=[workshop.pk, invitation.pk])
    fragment = client.get(url + "?fragment=count", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert_strict(fragment)
    assert_strict(client.get("/w/999999999/"))  # a 404 too
    assert_strict(client.get("/api/v1/openapi.json"))
    assert_strict(client.get(reverse("api:openapi-view")))


def test_no_inline_script_or_style_on_pages(client, workshop, facilitator, invitation):
    login(client, facilitator)
    for url in [
        reverse("workshops:detail", args=[workshop.pk]),
        reverse("workshops:join_screen", args=[workshop.pk, invitation.pk]),
        reverse("workshops:history", args=[workshop.pk]),
        reverse("api:openapi-view"),
    ]:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html, url
        assert " style=" not in html, url


def test_htmx_is_configured_without_eval(client, db):
    html = client.get("/").content.decode()
    assert '"allowEval":false' in html
    assert '"includeIndicatorStyles":false' in html


# --- issue 13 items 1-4 ----------------------------------------------------------------------


def test_api_token_help_shows_the_placeholder(client, db):
    client.force_login(MembershipFactory().user)
    html = client.get(reverse("accounts:tokens")).content.decode()
    assert "Authorization: Bearer &lt;token&gt;" in html
    assert "<token>" not in html


def test_history_datetime_attribute_is_a_valid_date_string(client, workshop, facilitator):
    login(client, facilitator)
    client.post(
        reverse("workshops:stage", args=[workshop.pk]),
        {"stage": "refine", "expected_stage": "propose"},
    )
    html = client.get(reverse("workshops:history", args=[workshop.pk])).content.decode()
    values = re.findall(r'datetime="([^"]*)"', html)
    assert values
    for value in values:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), value


def test_join_screen_spells_the_code_without_aria_on_a_paragraph(
    client, workshop, facilitator, invitation
):
    login(client, facilitator)
    url = reverse("workshops:join_screen", args=[workshop.pk, invitation.pk])
    html = client.get(url).content.decode()
    assert not re.search(r"<p[^>]*aria-label", html)
    spelled = " ".join(invitation.code)
    assert f'<span class="visually-hidden">Join code: {spelled}</span>' in html


def test_boolean_attributes_are_not_rendered_as_true(client, organisation):
    user = MembershipFactory(organisation=organisation, role=Role.FACILITATOR).user
    client.force_login(user)
    html = client.get(reverse("workshops:create")).content.decode()
    assert '="True"' not in html
    assert re.search(r'<input[^>]*name="title"[^>]*\sautofocus[\s>]', html)


def test_join_page_focuses_the_code_field_and_home_does_not(client, db):
    join = client.get("/join/").content.decode()
    assert re.search(r'<input[^>]*name="code"[^>]*\sautofocus[\s>]', join)
    home = client.get("/").content.decode()
    assert "autofocus" not in home


@pytest.mark.parametrize("url", ["/", "/join/"])
def test_public_pages_have_a_description(client, db, url):
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    match = re.search(r'<meta name="description" content="([^"]+)">', html)
    assert match
    assert "codice" in match.group(1) or "KPI" in match.group(1)


# --- dates in the reader's format (issue 7 item 13) -------------------------------------------


@pytest.mark.parametrize(
    ("accept", "lang", "shown"),
    [
        ("en-GB,en;q=0.9", "en-gb", "30/11/2026"),
        ("en-US,en;q=0.9", "en", "11/30/2026"),
        ("it-IT,it;q=0.9", "it", "30/11/2026"),
    ],
)
def test_dates_follow_the_browser_locale(client, workshop, facilitator, accept, lang, shown):
    facilitator.created_at = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    facilitator.save(update_fields=["created_at"])
    login(client, facilitator)
    html = client.get(
        reverse("workshops:participants", args=[workshop.pk]), HTTP_ACCEPT_LANGUAGE=accept
    ).content.decode()
    assert f'<html lang="{lang}">' in html
    assert shown in html
    assert timezone.is_aware(facilitator.created_at)


# --- the API reference page (issue 7 item 14) -------------------------------------------------


def test_api_docs_lists_every_operation_in_the_readers_language(client, db):
    html = client.get(reverse("api:openapi-view"), HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert '<html lang="it">' in html
    assert "Riferimento dell’API" in html
    for path in [
        "/api/v1/workshops",
        "/api/v1/workshops/{workshop_id}/ballots/{ballot_id}/results",
        "/api/v1/library",
    ]:
        assert f"<code>GET {path}</code>" in html
    assert 'id="schema-WorkshopOut"' in html
    assert "/static/js/api_docs.js" in html
    assert "swagger" not in html.lower()


def _policy_settings(**env_overrides: str) -> str:
    """Which CSP settings a fresh process gets from these environment variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KPIW_"))}
    env |= env_overrides
    code = (
        "from django.conf import settings as s;"
        "print(hasattr(s, 'CONTENT_SECURITY_POLICY'), "
        "hasattr(s, 'CONTENT_SECURITY_POLICY_REPORT_ONLY'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env | {"DJANGO_SETTINGS_MODULE": "kpiworkshop.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_policy_is_enforced_in_production_and_report_only_in_debug():
    # "enforced, report-only" as two booleans
    assert _policy_settings(DJANGO_DEBUG="0") == "True False"
    assert _policy_settings(DJANGO_DEBUG="1") == "False True"
    assert _policy_settings(DJANGO_DEBUG="1", KPIW_CSP_REPORT_ONLY="0") == "True False"
    assert _policy_settings(DJANGO_DEBUG="0", KPIW_CSP_REPORT_ONLY="1") == "False True"
