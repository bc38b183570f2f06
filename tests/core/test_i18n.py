import re

from django.urls import reverse


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang> on the page"
    return match.group(1)


def test_default_language_is_english(client, db):
    assert html_lang(client.get("/")) == "en"


def test_accept_language_italian_gets_italian(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9,en;q=0.5")
    assert html_lang(response) == "it"
    assert response["Content-Language"] == "it"


def test_unsupported_language_falls_back_to_english(client, db):
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="de")) == "en"


def test_language_switch_sticks(client, db):
    response = client.post(reverse("set_language"), {"language": "it", "next": "/join/"})
    assert response.status_code == 302
    assert response["Location"] == "/join/"
    assert html_lang(client.get("/join/")) == "it"
    # The switch wins over the browser's preference, both ways.
    assert html_lang(client.get("/join/", HTTP_ACCEPT_LANGUAGE="en")) == "it"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="it")) == "en"


def test_language_switch_ignores_unknown_language_and_foreign_next(client, db):
    response = client.post(
        reverse("set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert html_lang(client.get("/")) == "en"


def test_language_switcher_is_on_every_page(client, db):
    html = client.get("/join/").content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'value="it"' in html


def test_language_buttons_are_labelled_wholly_in_their_own_language(client, db):
    # Each button carries lang="xx", so a screen reader speaks its label in that language:
    # the language's name must be in it too, not in the page's ("Switch language: Inglese").
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert 'aria-label="EN · Switch language: English"' in html
    assert 'aria-label="IT · Cambia lingua: Italiano"' in html
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'aria-label="EN · Switch language: English"' in html
    assert 'aria-label="IT · Cambia lingua: Italiano"' in html


def test_italian_long_dates_have_no_leading_zero():
    import datetime

    from django.utils import formats, translation

    with translation.override("it"):
        assert formats.date_format(datetime.date(2026, 7, 1)) == "1 luglio 2026"
        assert formats.date_format(datetime.date(2026, 7, 1), "SHORT_DATE_FORMAT") == "01/07/2026"


def test_language_buttons_are_built_once_per_language_and_never_cross_languages(client, db):
    """The switcher's buttons are built once per language (core.templatetags.kpiw): English
    then Italian then English again each show their own current language, and the form still
    sends the page's own path back."""
    import re

    from kpiworkshop.core.templatetags.kpiw import _language_buttons

    _language_buttons.cache_clear()

    def current(html: str) -> list[str]:
        return re.findall(r'value="(\w+)" class="btn btn-sm btn-secondary"[^>]*aria-current', html)

    for lang, path in (("en", "/join/"), ("it", "/"), ("en", "/"), ("it", "/join/")):
        html = client.get(path, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert current(html) == [lang]
        assert html.count('name="language"') == 2
        assert f'name="next" type="hidden" value="{path}"' in html
        assert 'aria-label="IT · Cambia lingua: Italiano"' in html
        assert 'aria-label="EN · Switch language: English"' in html
    assert _language_buttons.cache_info().misses == 2


def test_base_assets_are_the_static_urls_and_follow_a_settings_change(client, db):
    from django.templatetags.static import static
    from django.test import override_settings

    from kpiworkshop.core.templatetags.kpiw import asset

    html = client.get("/join/").content.decode()
    assert f'href="{static("css/app.css")}"' in html
    assert asset("js/app.js") == static("js/app.js")
    with override_settings(STATIC_URL="/elsewhere/"):
        assert asset("js/app.js") == "/elsewhere/js/app.js"
        assert 'href="/elsewhere/css/app.css"' in client.get("/join/").content.decode()
    assert asset("js/app.js") == static("js/app.js")


def test_language_buttons_accessible_names_start_with_their_visible_text(client, db):
    # WCAG 2.5.3 (axe/Lighthouse label-content-name-mismatch): a button's accessible name
    # contains the text it shows, so a voice-control user can say "click EN".
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    buttons = re.findall(
        r'<button[^>]*name="language"[^>]*aria-label="([^"]+)"[^>]*>([^<]+)<', html
    )
    assert len(buttons) == 2
    for label, text in buttons:
        assert label.startswith(text.strip()), (label, text)


def _descriptions(html: str) -> list[str]:
    return re.findall(r'<meta name="description" content="([^"]+)">', html)


def test_every_page_has_one_meta_description_in_the_readers_language(client, db):
    # Pages that say nothing of their own get the site's description (Lighthouse SEO).
    url = reverse("accounts:login")
    en = _descriptions(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    it = _descriptions(client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode())
    assert len(en) == 1 and len(it) == 1
    assert "KPI" in en[0] and "KPI" in it[0]
    assert en != it
    # A page with its own description has only that one.
    assert len(_descriptions(client.get("/join/").content.decode())) == 1


def test_italian_month_and_day_names_are_lowercase():
    # Issue 17 item 9: Italian writes months and weekdays in lowercase ("6 dicembre 2026"),
    # Django's Italian catalogue capitalises them ("6 Dicembre 2026").
    import datetime

    from django.utils import dateformat, formats, translation

    day = datetime.date(2026, 12, 6)
    with translation.override("it"):
        assert formats.date_format(day) == "6 dicembre 2026"
        assert formats.date_format(day, "YEAR_MONTH_FORMAT") == "dicembre 2026"
        assert formats.date_format(day, "MONTH_DAY_FORMAT") == "6 dicembre"
        assert dateformat.format(day, "E N l D") == "dicembre dic. domenica dom"
    with translation.override("en"):
        assert formats.date_format(day) == "Dec. 6, 2026"
