"""Every page of the demo is valid HTML, for every kind of reader, in English and in Italian.

The browser journeys check the pages they visit (tests/e2e/test_html_validity.py); this crawl
reaches the rest: it follows the links of each page, as a facilitator, an agent, leadership, a
guest and an anonymous visitor, in both languages, and runs the Nu HTML Checker once over one
page of each URL shape (numbers and codes stripped). New pages are covered as soon as a page
links to them and the demo has data for them.
"""

import re
from collections import deque

import pytest
from django.core.management import call_command
from django.test import Client

from kpiworkshop.accounts.models import User
from kpiworkshop.workshops.models import Participant
from tests.conftest import as_guest
from tests.html_check import vnu_errors

SKIP = ("/static/", "/media/", "/admin/", "/api/v1/openapi.json", "/i18n/")
PAGES_PER_SHAPE = 3
INLINE = re.compile(
    # Inside tags only (user text is escaped, so a "<" in it never starts one). hx-on needs
    # eval, which htmx is configured without: it would silently do nothing.
    r"<style\b|<[a-zA-Z][^>]*\s(?:style|on[a-z]+|(?:data-)?hx-on[^=\s]*)="
    r"|(?:href|action|src)=\"javascript:"
    r"|<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
)


def _shape(url: str) -> str:
    path = url.split("?", 1)[0]
    return re.sub(r"/j/[^/]+/", "/j/CODE/", re.sub(r"\d+", "N", path))


def _crawl(client: Client, folder, seen: set[str], tag: str) -> list:
    """Follow links in English, at most a few pages of each URL shape (a workshop in each
    stage, a ballot of each kind); save them all, and the first of each shape in Italian too."""
    saved = []
    queue = deque(["/", "/join/", "/api/v1/docs", "/accounts/tokens/"])
    visited: set[str] = set()
    per_shape: dict[str, int] = {}
    while queue:
        url = queue.popleft()
        shape = _shape(url)
        if url in visited or per_shape.get(shape, 0) >= PAGES_PER_SHAPE:
            continue
        visited.add(url)
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        per_shape[shape] = per_shape.get(shape, 0) + 1
        html = response.content.decode()
        name = f"{tag}{re.sub(r'[^A-Za-z0-9]+', '_', shape)}{per_shape[shape]}"
        pages = [("en", html)]
        if shape not in seen:
            seen.add(shape)
            pages.append(("it", client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()))
        for language, body in pages:
            path = folder / f"{name}-{language}.html"
            path.write_text(body)
            saved.append(path)
        for href in re.findall(r'href="(/[^"#]*)"', html):
            href = href.replace("&amp;", "&")
            if not href.startswith(SKIP) and "/export" not in href and "download" not in href:
                queue.append(href)
    return saved


@pytest.mark.django_db(transaction=False)
def test_every_demo_page_is_valid_html(tmp_path):
    call_command("seed_demo", verbosity=0)
    readers: list[tuple[str, Client]] = []
    for username in ["facilitator", "agent", "leader"]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        readers.append((username, client))
    guest = Participant.objects.filter(guest_key__isnull=False).first()
    if guest is not None:
        readers.append(("guest", as_guest(Client(), guest)))
    readers.append(("anonymous", Client()))

    seen: set = set()
    files = []
    for tag, client in readers:
        files += _crawl(client, tmp_path, seen, tag)
    assert len(files) > 100, f"the crawl reached only {len(files)} pages"
    # What the Content-Security-Policy would block (the browser tests see it only on the pages
    # they visit): inline styles and scripts, event-handler attributes, hx-on.
    blocked = [
        f"{path.name}: {match.group(0)[:80]}"
        for path in files
        for match in INLINE.finditer(path.read_text())
    ]
    assert not blocked, "the CSP blocks these:\n" + "\n".join(blocked)
    errors = vnu_errors(files)
    assert not errors, f"{len(errors)} HTML error(s) in {len(files)} pages:\n" + "\n".join(errors)
