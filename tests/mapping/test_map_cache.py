"""The Map stage's shared fragments (the map's cards and side lists, the coverage body, an
audience's preview) follow every change that should change them, and are never shared between
viewers who see different things or across organisations."""

import re

import pytest
from django.urls import reverse

from kpiworkshop.kpis.models import Proposal
from kpiworkshop.mapping import fragments, selectors, services
from kpiworkshop.mapping.models import AudienceLink
from kpiworkshop.workshops import services as workshop_services
from kpiworkshop.workshops.models import Stage
from tests.conftest import as_guest, login, written_outside_services
from tests.factories import AudienceFactory, BusinessGoalFactory, ParticipantFactory

from .conftest import make_kpi

HX = {"HTTP_HX_REQUEST": "true"}


def _map(client, workshop, **kw) -> str:
    response = client.get(reverse("mapping:map", args=[workshop.pk]), **kw)
    assert response.status_code == 200
    return response.content.decode()


def _card(body: str, proposal) -> str:
    """The markup of one KPI's card on the map."""
    match = re.search(rf'<article[^>]*id="kpi-{proposal.pk}".*?</article>', body, re.S)
    assert match, f"no card for KPI {proposal.pk}"
    return match.group(0)


def test_map_card_follows_goal_and_audience_links(client, kpi, manager, goal, audience):
    login(client, manager)
    assert "No goal yet." in _card(_map(client, kpi.workshop), kpi)
    assert "No goal yet." in _card(_map(client, kpi.workshop), kpi)  # a hit
    link = services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)
    card = _card(_map(client, kpi.workshop), kpi)
    assert "Reduce repeat contacts" in card and "Secondary" in card
    services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk, strength="primary")
    assert "Primary" in _card(_map(client, kpi.workshop), kpi)
    services.goal_link_remove(actor=manager, link=link)
    assert "No goal yet." in _card(_map(client, kpi.workshop), kpi)
    audience_link = services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="acts", cadence="daily"
    )
    card = _card(_map(client, kpi.workshop), kpi)
    assert "Team leaders" in card and "Daily" in card
    # The same link moved to another cadence (same number of links).
    services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="acts", cadence="weekly"
    )
    assert "Weekly" in _card(_map(client, kpi.workshop), kpi)
    # The side list counts what each audience acts on.
    assert re.search(
        r"Team leaders</a> — sees 1, acts on 1, accountable for 0", _map(client, kpi.workshop)
    )
    services.audience_link_remove(actor=manager, link=audience_link.__class__.objects.get())
    assert "Nobody yet." in _card(_map(client, kpi.workshop), kpi)


def test_map_follows_new_goals_audiences_and_renames(client, kpi, manager, facilitator, goal):
    login(client, facilitator)
    body = _map(client, kpi.workshop)
    assert "Grow the brand" not in body
    services.goal_save(actor=facilitator, workshop=kpi.workshop, name="Grow the brand")
    assert "Grow the brand" in _map(client, kpi.workshop)
    services.audience_save(actor=facilitator, workshop=kpi.workshop, name="Night shift")
    assert "Night shift" in _map(client, kpi.workshop)
    services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)
    assert "Reduce repeat contacts" in _card(_map(client, kpi.workshop), kpi)
    services.goal_save(
        actor=facilitator, workshop=kpi.workshop, goal=goal, name="Fewer repeat contacts"
    )
    card = _card(_map(client, kpi.workshop), kpi)
    assert "Fewer repeat contacts" in card and "Reduce repeat contacts" not in card


def test_map_follows_a_new_revision_breakdowns_and_comments(client, kpi, manager, agent, goal):
    login(client, manager)
    link = services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)
    card = _card(_map(client, kpi.workshop), kpi)
    assert "none yet" in card and "comment" not in card
    # Saving a counter-metric writes a new revision of the KPI.
    services.counter_metric_set(actor=manager, proposal=kpi, text="Repeat contacts in 7 days")
    kpi.refresh_from_db()
    assert kpi.current_revision.number == 2
    assert "Repeat contacts in 7 days" in _card(_map(client, kpi.workshop), kpi)
    services.breakdowns_save(actor=manager, proposal=kpi, values={"channel": ["chat"]})
    assert "Chat" in _card(_map(client, kpi.workshop), kpi)
    services.breakdowns_save(actor=manager, proposal=kpi, values={"channel": ["email"]})
    card = _card(_map(client, kpi.workshop), kpi)
    assert "Chat" not in card
    comment = services.link_comment_create(
        actor=agent, goal_link=link, stance="concern", body="We cannot act on it"
    )
    assert "1 comment" in _card(_map(client, kpi.workshop), kpi)
    facilitator = ParticipantFactory(workshop=kpi.workshop, role="facilitator")
    services.link_comment_hide(actor=facilitator, comment=comment, reason="Off topic")
    assert "1 comment" not in _card(_map(client, kpi.workshop), kpi)


def test_map_follows_a_new_kpi_on_the_shortlist(client, kpi, manager):
    login(client, manager)
    assert "1 KPI to map" in _map(client, kpi.workshop)
    make_kpi(kpi.workshop, manager, "Customer effort score")
    body = _map(client, kpi.workshop)
    assert "2 KPIs to map" in body and "Customer effort score" in body
    Proposal.objects.filter(workshop=kpi.workshop, state="shortlisted").exclude(pk=kpi.pk).update(
        state="withdrawn"
    )
    written_outside_services("BOARD", kpi.workshop_id)
    assert "Customer effort score" not in _map(client, kpi.workshop)


def test_map_follows_a_stage_move(client, kpi, manager, facilitator):
    login(client, manager)
    assert "Map this KPI" in _map(client, kpi.workshop)
    workshop_services.workshop_set_stage(
        actor=facilitator, workshop=kpi.workshop, stage=Stage.APPROVE, expected_stage=Stage.MAP
    )
    body = _map(client, kpi.workshop)
    assert "Map this KPI" not in body and "Details" in body


def test_map_cards_differ_by_role_and_are_not_shared(
    client, kpi, manager, agent, guest_customer, goal
):
    services.counter_metric_set(actor=manager, proposal=kpi, text="Repeat contacts")
    Proposal.objects.filter(pk=kpi.pk).update(internal_fields=["counter_metric_text"])
    # Each role loads the map twice (a miss, then a hit), in turn, after the others.
    for _ in range(2):
        login(client, manager)
        card = _card(_map(client, kpi.workshop), kpi)
        assert "Map this KPI" in card and "Repeat contacts" in card
        login(client, agent)
        card = _card(_map(client, kpi.workshop), kpi)
        assert "Map this KPI" not in card and ">Comment<" in card
        assert "Repeat contacts" in card  # agents see internal fields
        client.logout()
        as_guest(client, guest_customer)
        card = _card(_map(client, kpi.workshop), kpi)
        assert "Repeat contacts" not in card and "internal" in card
        client.cookies.clear()


def test_manage_goals_link_only_for_keepers(client, kpi, manager, facilitator):
    login(client, facilitator)
    assert "Manage goals and audiences" in _map(client, kpi.workshop)
    login(client, manager)
    assert "Manage goals and audiences" not in _map(client, kpi.workshop)


def test_show_more_is_cached_per_page(client, map_workshop, manager):
    for i in range(45):
        make_kpi(map_workshop, manager, f"KPI {i:02d}")
    login(client, manager)
    url = reverse("mapping:map", args=[map_workshop.pk])
    more = HX | {"HTTP_HX_TARGET": "map-more"}
    second = client.get(url + "?page=2", **more).content.decode()
    third = client.get(url + "?page=3", **more).content.decode()
    assert "KPI 20" in second and "KPI 40" not in second
    assert "KPI 40" in third and "KPI 20" not in third
    assert "<html" not in second
    # The full page's second page is not the fragment (and vice versa).
    assert "<html" in client.get(url + "?page=2").content.decode()
    assert "<html" not in client.get(url + "?page=2", **more).content.decode()


@pytest.fixture
def two_organisations(monkeypatch, map_workshop, manager, other_org_participant):
    """Two organisations' Map workshops whose versions are forced equal: only the key's scope
    (organisation, workshop) keeps their fragments apart."""
    other = other_org_participant.workshop
    other.stage = Stage.MAP
    other.save()
    make_kpi(map_workshop, manager, "Ours: first contact resolution")
    make_kpi(other, other_org_participant, "Theirs: secret churn KPI")
    monkeypatch.setattr(fragments, "map_version", lambda **kw: "same")
    return map_workshop, other


def test_fragments_are_not_shared_across_organisations(
    client, two_organisations, manager, other_org_participant
):
    ours, theirs = two_organisations
    ours_audience = AudienceFactory(organisation=ours.organisation, name="Our team leaders")
    AudienceFactory(organisation=theirs.organisation, name="Their board")
    BusinessGoalFactory(organisation=theirs.organisation, name="Their hidden goal")
    login(client, other_org_participant)
    for name in ("map", "coverage"):
        body = client.get(reverse(f"mapping:{name}", args=[theirs.pk])).content.decode()
        assert "Theirs: secret churn KPI" in body
    login(client, manager)
    for name in ("map", "coverage"):
        body = client.get(reverse(f"mapping:{name}", args=[ours.pk])).content.decode()
        assert "Ours: first contact resolution" in body
        assert "Theirs" not in body and "Their hidden goal" not in body
    # Our audience through their workshop: not found, even with our preview in the cache.
    ours_url = reverse("mapping:audience", args=[ours.pk, ours_audience.pk])
    assert client.get(ours_url).status_code == 200
    login(client, other_org_participant)
    response = client.get(reverse("mapping:audience", args=[theirs.pk, ours_audience.pk]))
    assert response.status_code == 404


def test_audience_preview_follows_links_and_renames(client, kpi, manager, audience, facilitator):
    login(client, manager)
    url = reverse("mapping:audience", args=[kpi.workshop_id, audience.pk])
    assert "Nothing to act on." in client.get(url).content.decode()
    link = services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="acts", cadence="daily"
    )
    body = client.get(url).content.decode()
    assert "First contact resolution" in body and "Daily" in body
    services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="acts", cadence="monthly"
    )
    assert "Monthly" in client.get(url).content.decode()
    services.audience_save(
        actor=facilitator, workshop=kpi.workshop, audience=audience, name="Shift leads"
    )
    body = client.get(url).content.decode()
    assert "<title>Shift leads" in body and "Team leaders" not in body
    services.counter_metric_set(actor=manager, proposal=kpi, text="x")  # a new revision
    services.audience_link_remove(actor=manager, link=link)
    assert "Nothing to act on." in client.get(url).content.decode()


def test_audience_preview_overload_follows_the_threshold(client, kpi, manager, audience):
    from kpiworkshop.mapping.models import MapSettings

    login(client, manager)
    second = make_kpi(kpi.workshop, manager, "Second")
    for p in (kpi, second):
        services.audience_link_set(
            actor=manager, proposal=p, audience_id=audience.pk, relation="acts"
        )
    url = reverse("mapping:audience", args=[kpi.workshop_id, audience.pk])
    assert 'data-testid="overload"' not in client.get(url).content.decode()
    MapSettings.objects.create(workshop=kpi.workshop, act_on_limit=1)
    written_outside_services("MAP", kpi.workshop_id)
    assert 'data-testid="overload"' in client.get(url).content.decode()


def test_coverage_stops_polling_after_a_stage_move(client, kpi, manager, facilitator):
    login(client, manager)
    url = reverse("mapping:coverage", args=[kpi.workshop_id])
    assert "hx-trigger=" in client.get(url).content.decode()
    workshop_services.workshop_set_stage(
        actor=facilitator, workshop=kpi.workshop, stage=Stage.APPROVE, expected_stage=Stage.MAP
    )
    assert "hx-trigger=" not in client.get(url).content.decode()


@pytest.mark.parametrize("name", ["map", "coverage"])
def test_fragments_follow_the_language(client, kpi, manager, name):
    login(client, manager)
    url = reverse(f"mapping:{name}", args=[kpi.workshop_id])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    word = {"map": "No goal yet.", "coverage": "Macro-categories"}[name]
    assert word in english and word not in italian


def test_pages_work_without_a_cache(client, kpi, manager, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
        "strict": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    login(client, manager)
    for name in ("map", "coverage"):
        assert client.get(reverse(f"mapping:{name}", args=[kpi.workshop_id])).status_code == 200


def test_facilitator_coverage_hit_costs_the_stamp_only(client, kpi, facilitator):
    from kpiworkshop.mapping.models import MapSettings

    from .test_coverage import count

    login(client, facilitator)
    url = reverse("mapping:coverage", args=[kpi.workshop_id])
    client.get(url)
    # Session with its user, participant with the map's version (read with it): the threshold
    # comes with the fragment.
    assert count(client, url) == 2
    assert 'name="act_on_limit" value="7"' in client.get(url).content.decode()
    MapSettings.objects.create(workshop=kpi.workshop, act_on_limit=3)
    written_outside_services("MAP", kpi.workshop_id)
    body = client.get(url).content.decode()
    assert 'name="act_on_limit" value="3"' in body and "(at most 3)" in body


def test_coverage_hides_from_customers_whether_an_internal_counter_metric_exists(
    client, map_workshop, manager, guest_customer
):
    """A KPI whose counter-metric is internal-only: the facilitator's side sees it has none; a
    customer's coverage (page and cached fragment) leaves it out of that check altogether."""
    hidden = make_kpi(map_workshop, manager, "Average handling time")
    make_kpi(map_workshop, manager, "Net promoter score")
    Proposal.objects.filter(pk=hidden.pk).update(internal_fields=["counter_metric_text"])
    url = reverse("mapping:coverage", args=[map_workshop.pk])
    for _ in range(2):  # a miss, then a hit, each side after the other
        login(client, manager)
        body = client.get(url).content.decode()
        assert "2 KPIs have no counter-metric." in body
        client.logout()
        as_guest(client, guest_customer)
        body = client.get(url).content.decode()
        assert "1 KPI has no counter-metric." in body
        assert "Average handling time" not in body.split("no counter-metric")[1].split("</li>")[0]
        client.cookies.clear()
    cov = selectors.coverage_for_workshop(workshop=map_workshop, see_internal=False)
    counter = next(c for c in cov.checks if c.key == "counter")
    assert [name for name, _url in counter.items] == ["Net promoter score"]


def test_map_version_follows_every_comment_write_and_ignores_other_workshops(
    kpi, manager, agent, goal, audience, facilitator, django_assert_num_queries
):
    """The map's version (one query) moves with a comment on a goal link or on an audience
    link and its hiding (the services bump the workshop's map scope), with a deletion made
    outside the services that bumps it too, and not with a comment in another workshop."""
    workshop = kpi.workshop

    def stamp() -> str:
        fresh = type(workshop).objects.get(pk=workshop.pk)  # a new request's workshop
        with django_assert_num_queries(1):
            return fragments.map_version(workshop=fresh)

    goal_link = services.goal_link_set(actor=manager, proposal=kpi, goal_id=goal.pk)
    audience_link = services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="accountable"
    )
    seen = {stamp()}
    assert stamp() in seen  # stable while nothing changes
    on_goal = services.link_comment_create(
        actor=agent, goal_link=goal_link, stance="concern", body="Not ours to act on"
    )
    seen.add(stamp())
    on_audience = services.link_comment_create(
        actor=agent, audience_link=audience_link, stance="concern", body="Too often"
    )
    seen.add(stamp())
    services.link_comment_hide(actor=facilitator, comment=on_audience, reason="Off topic")
    seen.add(stamp())
    on_goal.delete()
    written_outside_services("MAP", workshop.pk)
    seen.add(stamp())
    assert len(seen) == 5
    # A comment in another workshop of the same organisation does not move it.
    before = stamp()
    other = ParticipantFactory(
        workshop__organisation=workshop.organisation, workshop__stage=Stage.MAP, role="manager"
    )
    other_kpi = make_kpi(other.workshop, other, "Other workshop's KPI")
    other_link = services.goal_link_set(actor=other, proposal=other_kpi, goal_id=goal.pk)
    services.link_comment_create(actor=other, goal_link=other_link, stance="concern", body="x")
    assert stamp() == before


def _side(body: str) -> str:
    """The map page's Audiences widget."""
    match = re.search(r'<section[^>]*id="map-audiences".*?</section>', body, re.S)
    assert match, "no audiences widget on the map"
    return match.group(0)


def test_map_audience_counts_follow_mapping_in_place(client, kpi, manager, audience, audience2):
    """Mapping a KPI in place (htmx) tells the Audiences widget, which fetches its fresh
    counts: before, it kept saying "sees 0, acts on 0" until a reload."""
    login(client, manager)
    w = kpi.workshop_id
    side = _side(_map(client, kpi.workshop))
    assert 'hx-trigger="mapChanged from:body"' in side
    assert f'hx-get="{reverse("mapping:map", args=[w])}"' in side
    assert re.search(r"Agents</a> — sees 0, acts on 0, accountable for 0", side)
    for audience_id, relation in ((audience2.pk, "acts"), (audience.pk, "accountable")):
        response = client.post(
            reverse("mapping:audience_link_add", args=[w, kpi.pk]),
            {"audience": audience_id, "relation": relation, "cadence": "daily"},
            **HX,
        )
        assert "mapChanged" in response.headers["HX-Trigger"]
    # What the widget asks for when it hears the event: itself alone, with the new counts.
    fragment = _map(client, kpi.workshop, **HX, HTTP_HX_TARGET="map-audiences")
    assert "<html" not in fragment and "kpi-card" not in fragment
    assert _side(fragment) == fragment.strip()
    assert re.search(r"Agents</a> — sees 1, acts on 1, accountable for 0", fragment)
    assert re.search(r"Team leaders</a> — sees 1, acts on 0, accountable for 1", fragment)
    # A hit, and the whole page (without htmx) says the same.
    assert _map(client, kpi.workshop, **HX, HTTP_HX_TARGET="map-audiences") == fragment
    assert _side(_map(client, kpi.workshop)) == fragment.strip()
    # Removing a link moves the counts back.
    link = AudienceLink.objects.get(audience=audience2)
    client.post(reverse("mapping:audience_link_remove", args=[w, kpi.pk, link.pk]), **HX)
    fragment = _map(client, kpi.workshop, **HX, HTTP_HX_TARGET="map-audiences")
    assert re.search(r"Agents</a> — sees 0, acts on 0, accountable for 0", fragment)


def test_map_card_lists_an_audience_once_by_its_strongest_relation(
    client, kpi, manager, audience, audience2
):
    for relation in ("sees", "acts"):
        services.audience_link_set(
            actor=manager, proposal=kpi, audience_id=audience.pk, relation=relation
        )
    services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience2.pk, relation="sees", cadence="daily"
    )
    login(client, manager)
    card = _card(_map(client, kpi.workshop), kpi)
    assert card.count("Team leaders") == 1
    assert card.count("Agents") == 1
    team = re.search(r"Team leaders</span>\s*<span[^>]*>([^<]*)</span>", card).group(1)
    assert team == "Acts on"
    services.audience_link_set(
        actor=manager, proposal=kpi, audience_id=audience.pk, relation="accountable"
    )
    card = _card(_map(client, kpi.workshop), kpi)
    assert card.count("Team leaders") == 1
    team = re.search(r"Team leaders</span>\s*<span[^>]*>([^<]*)</span>", card).group(1)
    assert team == "Accountable"
    # The editor still lists every link: each has its own cadence, comments and Remove button.
    editor = client.get(reverse("mapping:kpi", args=[kpi.workshop_id, kpi.pk]), **HX)
    assert editor.content.decode().count(">Remove<") == 4


def test_manage_goals_button_does_not_look_disabled(client, kpi, facilitator):
    login(client, facilitator)
    body = _map(client, kpi.workshop)
    button = re.search(r'<a class="([^"]*)"[^>]*>Manage goals and audiences</a>', body)
    assert button, "no Manage goals and audiences button"
    assert "btn-outline-secondary" not in button.group(1)
    assert "btn-outline-primary" in button.group(1)


def test_map_buttons_name_their_kpi_without_a_space_before_the_colon(client, kpi, manager, agent):
    """A visually hidden span is laid out as a block, so Chromium read "Map this KPI : name":
    the name is an aria-label that starts with the visible text."""
    login(client, manager)
    card = _card(_map(client, kpi.workshop), kpi)
    assert 'aria-label="Map this KPI: First contact resolution"' in card
    assert '<span class="visually-hidden">:' not in card
    editor = client.get(reverse("mapping:kpi", args=[kpi.workshop_id, kpi.pk])).content.decode()
    assert 'aria-label="Done: First contact resolution"' in editor
    assert '<span class="visually-hidden">:' not in editor
    login(client, agent)
    card = _card(_map(client, kpi.workshop), kpi)
    assert 'aria-label="Comment: First contact resolution"' in card
    login(client, manager)
    body = client.get(
        reverse("mapping:map", args=[kpi.workshop_id]), HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert 'aria-label="Mappa questo KPI: First contact resolution"' in body
