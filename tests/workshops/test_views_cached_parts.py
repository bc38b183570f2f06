"""The facilitator's page and the join screen render their costly, unchanging parts once (the
empty invitation form per language, the QR code per join URL): what they show stays right."""

from django.test import override_settings

from tests.conftest import login


def test_the_empty_invitation_form_is_shared_per_language_and_errors_still_show(
    client, workshop, facilitator
):
    login(client, facilitator)
    url = f"/w/{workshop.pk}/"
    assert "Role of the people joining" in client.get(url).content.decode()
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Ruolo di chi entra" in italian and "Role of the people joining" not in italian
    # A bound form with an error is never the cached empty one.
    response = client.post(
        f"/w/{workshop.pk}/invitations/",
        {"inv-role": "agent", "inv-max_uses": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert "is-invalid" in response.content.decode()
    assert 'value="0"' in response.content.decode()


def test_the_join_screen_qr_code_follows_the_join_url(client, workshop, facilitator, invitation):
    login(client, facilitator)
    url = f"/w/{workshop.pk}/invitations/{invitation.pk}/screen/"

    def qr_of(html: str) -> str:
        start = html.index("<svg")
        return html[start : html.index("</svg>", start)]

    first = client.get(url).content.decode()
    assert qr_of(client.get(url).content.decode()) == qr_of(first)
    with override_settings(SITE_URL="https://kpi.example.com"):
        moved = client.get(url).content.decode()
    assert "https://kpi.example.com" in moved
    assert qr_of(moved) != qr_of(first)  # a new URL, a new code
