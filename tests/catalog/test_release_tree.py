"""The KPI tree in the catalogue (issue 20): a release keeps the workshop's accepted links,
carries the previous release's over, shows what changed in the diff, and draws the tree on
its own page for whoever reads the catalogue."""

import pytest
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.models import CatalogRelease
from kpiworkshop.catalog.tree_snapshot import release_tree, tree_changes
from kpiworkshop.mapping.models import BusinessGoal, GoalLink, LinkState, TreeLink
from kpiworkshop.workshops.models import Stage
from tests.factories import MembershipFactory, ParticipantFactory, WorkshopFactory
from tests.mapping.test_coverage import count

from .conftest import approve_all, make_proposal, publish

pytestmark = pytest.mark.django_db


def _link(workshop, a, b, kind, by, state=LinkState.ACCEPTED, why="why"):
    return TreeLink.objects.create(
        workshop=workshop, from_proposal=a, to_proposal=b, kind=kind, why=why,
        proposed_by=by, state=state, decline_reason="no" if state == LinkState.DECLINED else "",
    )  # fmt: skip


@pytest.fixture
def released(
    approve_workshop, facilitator, shortlist, approvers, agent, django_capture_on_commit_callbacks
):
    fcr, nps, aht = shortlist
    goal = BusinessGoal.objects.create(organisation=approve_workshop.organisation, name="Cost")
    GoalLink.objects.create(proposal=fcr, goal=goal, strength="primary", created_by=agent)
    _link(approve_workshop, nps, fcr, "drives", agent)
    _link(approve_workshop, aht, fcr, "guards", agent)
    _link(approve_workshop, aht, nps, "drives", agent, state=LinkState.DECLINED)
    _link(approve_workshop, nps, aht, "part_of", agent, state=LinkState.PROPOSED)
    approve_all(shortlist, approvers[0], facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator)
    return CatalogRelease.objects.get()


def test_a_release_keeps_the_accepted_links_between_its_kpis(released):
    names = {str(e.kpi_uid): e.name for e in released.entries.all()}
    kept = sorted((names[link["from"]], link["kind"], names[link["to"]]) for link in released.tree)
    assert kept == [("AHT", "guards", "FCR"), ("NPS", "drives", "FCR")]
    tree = release_tree(release=released, entries=list(released.entries.all()))
    (goal,) = [r for r in tree.roots if r.type == "goal"]
    assert goal.label == "Cost" and goal.children[0].label == "FCR"
    assert sorted(n.label for n in goal.children[0].children) == ["AHT", "NPS"]


def test_the_next_release_carries_the_tree_over_and_the_diff_shows_the_new_links(
    released, facilitator, client, django_capture_on_commit_callbacks
):
    organisation = released.organisation
    second = WorkshopFactory(organisation=organisation, stage=Stage.APPROVE)
    author = ParticipantFactory(workshop=second, role=Role.AGENT)
    boss = ParticipantFactory(workshop=second, role=Role.LEADERSHIP)
    chair = ParticipantFactory(workshop=second, user=facilitator.user, role=Role.FACILITATOR)
    csat, ces = make_proposal(second, author, "CSAT"), make_proposal(second, author, "CES")
    _link(second, ces, csat, "drives", author)
    approve_all([csat, ces], boss, chair)
    with django_capture_on_commit_callbacks(execute=True):
        publish(second, chair)
    new = CatalogRelease.objects.order_by("-major", "-minor").first()
    assert new.pk != released.pk and len(new.tree) == 3  # two carried, one new
    names = {str(e.kpi_uid): e.name for e in new.entries.all()}
    changes = tree_changes(released.tree, new.tree, names)
    assert [(c["from_name"], c["to_name"]) for c in changes["added"]] == [("CES", "CSAT")]
    assert changes["removed"] == []
    member = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    client.force_login(member)
    url = reverse("catalog:diff", args=[organisation.slug])
    body = client.get(url, {"a": released.version, "b": new.version}).content.decode()
    assert "Link added" in body and "CES" in body


def test_a_declined_link_removes_a_published_one():
    old = [{"from": "a", "to": "b", "kind": "drives", "why": "w"}]
    new: list = []
    changes = tree_changes(old, new, {"a": "A", "b": "B"})
    assert [(c["from_name"], c["kind_label"], c["to_name"]) for c in changes["removed"]] == [
        ("A", "drives", "B")
    ]


def test_the_catalogue_tree_page_draws_the_tree_for_readers_only(released, client):
    organisation = released.organisation
    url = reverse("catalog:tree", args=[organisation.slug, released.version])
    other = MembershipFactory(role=Role.FACILITATOR).user
    client.force_login(other)
    assert client.get(url).status_code == 404
    member = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    client.force_login(member)
    body = client.get(url).content.decode()
    assert 'class="kpi-tree"' in body and 'data-testid="tree-list"' in body
    assert "guards against" in body and "Cost" in body
    page = client.get(reverse("catalog:current", args=[organisation.slug])).content.decode()
    assert url in page


#: The catalogue's tree page: session with its user (one statement), membership, reader,
#: release and current, entries.
PINNED_RELEASE_TREE_QUERIES = 4


def test_the_catalogue_tree_page_query_count_is_pinned(released, client):
    organisation = released.organisation
    member = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    client.force_login(member)
    url = reverse("catalog:tree", args=[organisation.slug, released.version])
    assert count(client, url) == PINNED_RELEASE_TREE_QUERIES


def test_the_pdf_pack_has_a_tree_page_after_the_changes(released, tmp_path):
    import io

    from pypdf import PdfReader

    from kpiworkshop.catalog.models import Export

    export = Export.objects.get(release=released, format="pdf", audience="")
    with export.file.open("rb") as f:
        data = f.read()
    (tmp_path / "pack.pdf").write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    texts = [page.extract_text() for page in reader.pages]
    tree_pages = [i for i, t in enumerate(texts) if "KPI tree" in t]
    changes = [i for i, t in enumerate(texts) if "Changes" in t]
    assert tree_pages and changes and tree_pages[-1] > changes[-1]
    page = reader.pages[tree_pages[-1]]
    assert page.mediabox.width > page.mediabox.height  # landscape
    assert "guards against" in texts[tree_pages[-1]] and "NPS" in texts[tree_pages[-1]]
