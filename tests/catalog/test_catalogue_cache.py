"""The catalogue's cached markup (views._catalogue_list, views._entry_markup): a published
release is rendered once per organisation, release, language, time zone and visibility, and the
cache never shows a reader what they must not see, another organisation's KPIs, or the wrong
language."""

import datetime

import pytest
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease
from tests.factories import MembershipFactory, OrganisationFactory

SECRET = "SECRET-THRESHOLD-42"


def _release(organisation, n=3, **fields) -> CatalogRelease:
    release = CatalogRelease.objects.create(
        organisation=organisation, major=1, minor=0, language="en",
        effective_date=datetime.date(2026, 1, 1), published_by_name="Fran", **fields,
    )  # fmt: skip
    slugs = ["agents", "team_leaders", "planning"]
    CatalogEntry.objects.bulk_create(
        [
            CatalogEntry(
                release=release, position=i, name=f"{organisation.slug} KPI {i}",
                category="technical", channels=["chat"] if i % 2 else ["voice"],
                definition={"measures": f"Measures {i}", "thresholds": f"{SECRET} {i}"},
                internal_fields=["thresholds"],
                pilot_until=datetime.date(2026, 3, 31),
                training_notes={"en": {"how_to_read": "Read it in English"},
                                "it": {"how_to_read": "Leggilo in italiano"}},
                audiences=[{"slug": slugs[i % 3], "name": slugs[i % 3].title(), "kind": "sees"}],
                search_text=f"kpi {i} word{i}",
            )
            for i in range(n)
        ]
    )  # fmt: skip
    return release


def _reader(client, organisation, role):
    client.force_login(MembershipFactory(organisation=organisation, role=role).user)
    return client


def _list_url(org):
    return reverse("catalog:current", args=[org.slug])


def _entry_url(entry):
    org = entry.release.organisation
    return reverse("catalog:entry", args=[org.slug, entry.release.version, entry.kpi_uid])


@pytest.mark.parametrize("first", [Role.AGENT, Role.CUSTOMER])
def test_cached_entry_never_shows_internal_fields_to_a_customer(client, organisation, first):
    """Whoever fills the cache first, the customer never gets the member's markup (internal
    fields) and the member never gets the customer's (fields missing)."""
    from django.test import Client

    release = _release(organisation)
    entry = release.entries.get(position=1)
    order = [first, Role.CUSTOMER if first == Role.AGENT else Role.AGENT]
    pages = {}
    for role in order:
        reader = _reader(Client(), organisation, role)
        for _ in range(2):  # the second view is served from the cache
            response = reader.get(_entry_url(entry))
            assert response.status_code == 200
            pages[role] = response.content.decode()
            listing = reader.get(_list_url(organisation)).content.decode()
            assert f"{organisation.slug} KPI 2" in listing
            assert SECRET not in listing
    assert f"{SECRET} 1" in pages[Role.AGENT]
    assert SECRET not in pages[Role.CUSTOMER]
    assert "Measures 1" in pages[Role.CUSTOMER]


def test_cached_markup_never_crosses_organisations(client, organisation):
    """Even a release and entries with the same ids and publication time in another
    organisation (as after a restore) get their own markup."""
    release = _release(organisation, n=2)
    entries = list(release.entries.order_by("position"))
    reader = _reader(client, organisation, Role.AGENT)
    assert f"{organisation.slug} KPI 1" in reader.get(_list_url(organisation)).content.decode()
    assert f"{SECRET} 0" in reader.get(_entry_url(entries[0])).content.decode()

    other = OrganisationFactory()
    published_at = release.published_at
    ids = (release.pk, [e.pk for e in entries], [e.kpi_uid for e in entries])
    CatalogRelease.objects.filter(pk=release.pk).delete()
    clone = _release(other, n=0, id=ids[0])
    CatalogRelease.objects.filter(pk=clone.pk).update(published_at=published_at)
    clone.refresh_from_db()
    assert (clone.pk, clone.published_at) == (ids[0], published_at)
    CatalogEntry.objects.bulk_create(
        [
            CatalogEntry(pk=pk, release=clone, position=i, kpi_uid=uid, name=f"Their KPI {i}",
                         category="technical", definition={"measures": f"Theirs {i}"})
            for i, (pk, uid) in enumerate(zip(ids[1], ids[2], strict=True))
        ]
    )  # fmt: skip
    theirs = _reader(type(client)(), other, Role.AGENT)
    page = theirs.get(_list_url(other)).content.decode()
    assert "Their KPI 1" in page and f"{organisation.slug} KPI" not in page
    detail = theirs.get(_entry_url(CatalogEntry.objects.get(pk=ids[1][0]))).content.decode()
    assert "Theirs 0" in detail and SECRET not in detail


def test_the_readers_language_picks_the_cached_markup(client, organisation):
    release = _release(organisation, n=2)
    entry = release.entries.get(position=0)
    reader = _reader(client, organisation, Role.AGENT)
    for _ in range(2):  # fill the cache in both languages, then read from it
        en = reader.get(_list_url(organisation), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        it = reader.get(_list_url(organisation), HTTP_ACCEPT_LANGUAGE="it").content.decode()
        assert "pilot until" in en and "March 31, 2026" in en
        assert "sperimentale fino al" in it and "31 marzo 2026" in it
        assert "pilot until" not in it
        en = reader.get(_entry_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        it = reader.get(_entry_url(entry), HTTP_ACCEPT_LANGUAGE="it").content.decode()
        assert "Definition" in en and "Read it in English" in en
        assert "Definizione" in it and "Leggilo in italiano" in it
        assert "Read it in English" not in it


def test_filters_and_search_run_over_the_cached_cards(
    client, organisation, django_assert_num_queries
):
    _release(organisation, n=9)
    reader = _reader(client, organisation, Role.AGENT)
    url = _list_url(organisation)
    reader.get(url)  # fills the cache

    def names(params):
        page = reader.get(url, params).content.decode()
        return {i for i in range(9) if f">{organisation.slug} KPI {i}<" in page}

    assert names({}) == set(range(9))
    assert names({"audience": "agents"}) == {0, 3, 6}
    assert names({"audience": "agents", "channel": "chat"}) == {3}
    assert names({"q": "word4"}) == {4}
    assert names({"q": "KPI WORD7"}) == {7}
    assert names({"category": "economic"}) == set()
    assert names({"channel": "pigeon"}) == set()
    assert names({"audience": "nobody"}) == set()
    with django_assert_num_queries(4) as unfiltered:
        reader.get(url)
    with django_assert_num_queries(len(unfiltered.captured_queries)):
        response = reader.get(url, {"audience": "planning", "q": "kpi"})
    assert "3 KPIs of 9" in response.content.decode()


def test_a_new_slug_is_in_the_cached_links(client, organisation):
    """The cards link with the organisation's slug: renaming it changes the key."""
    release = _release(organisation, n=1)
    reader = _reader(client, organisation, Role.AGENT)
    entry = release.entries.get()
    assert _entry_url(entry) in reader.get(_list_url(organisation)).content.decode()
    organisation.slug = "renamed"
    organisation.save(update_fields=["slug"])
    entry = CatalogEntry.objects.select_related("release__organisation").get(pk=entry.pk)
    page = reader.get(_list_url(organisation)).content.decode()
    assert _entry_url(entry) in page and "/o/renamed/" in _entry_url(entry)


@pytest.mark.parametrize("first", [Role.AGENT, Role.CUSTOMER])
def test_cached_diff_hides_internal_changes_from_a_customer_and_follows_language(
    organisation, first
):
    from django.test import Client

    old = _release(organisation, n=3)
    new = CatalogRelease.objects.create(
        organisation=organisation, major=1, minor=1, language="en", previous=old,
        effective_date=datetime.date(2026, 6, 1), published_by_name="Fran",
        retired={str(old.entries.get(position=2).kpi_uid): "Replaced by another"},
    )  # fmt: skip
    for e in old.entries.filter(position__lt=2):
        e.pk, e.release = None, new
        e.definition = e.definition | {"thresholds": f"{SECRET} changed", "measures": "New way"}
        e.save()
    url = reverse("catalog:diff", args=[organisation.slug]) + "?a=1.0&b=1.1"
    order = [first, Role.CUSTOMER if first == Role.AGENT else Role.AGENT]
    pages = {}
    for role in order:
        reader = _reader(Client(), organisation, role)
        for _ in range(2):
            pages[role] = reader.get(url).content.decode()
            pages[role, "it"] = reader.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    for role in order:
        assert "New way" in pages[role] and "Replaced by another" in pages[role]
    assert f"{SECRET} changed" in pages[Role.AGENT]
    assert SECRET not in pages[Role.CUSTOMER] and SECRET not in pages[Role.CUSTOMER, "it"]
    assert "Retired" in pages[Role.AGENT] and "Retired" not in pages[Role.AGENT, "it"]
    bad = reader.get(reverse("catalog:diff", args=[organisation.slug]) + "?a=1.0&b=9.9")
    assert "Choose two releases" in bad.content.decode()


def test_kpi_page_history_links_every_release_of_the_kpi(client, organisation):
    old = _release(organisation, n=1)
    new = CatalogRelease.objects.create(
        organisation=organisation, major=2, minor=0, language="en", previous=old,
        effective_date=datetime.date(2026, 6, 1), published_by_name="Fran",
    )  # fmt: skip
    first = old.entries.get()
    CatalogEntry.objects.create(
        release=new, kpi_uid=first.kpi_uid, name="Renamed KPI", category="technical",
        definition={"measures": "m"},
    )  # fmt: skip
    reader = _reader(client, organisation, Role.AGENT)
    page = reader.get(_entry_url(new.entries.get())).content.decode()
    assert f'href="{_entry_url(first)}">1.0</a>' in page and "<strong>2.0</strong>" in page
    assert "June 1, 2026" in page and f"— {first.name}" in page
    older = reader.get(_entry_url(first)).content.decode()
    assert "Answers are given on the current release." in older  # 1.0 is not the current one
