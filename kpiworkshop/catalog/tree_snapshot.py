"""The KPI tree in the catalogue (issue 20): what a release keeps of the workshop's tree, the
tree's changes between two releases, and the tree drawn from a release's entries.

A release keeps its tree as ``CatalogRelease.tree``: ``[{"from", "to", "kind", "why"}]`` with
KPI uids, accepted links only, between KPIs of that release. The goals come from the entries'
own goal links, so a release's tree needs no live data.

Carrying over: a link of the previous release whose two KPIs are still in the release stays,
unless the workshop declined the same link or the workshop's own tree links the same two KPIs
otherwise. A review workshop starts with the release's links as its own accepted links
(``reviews.services.review_workshop_start``), so for it they are "fresh" rather than carried;
carrying over still serves workshops that did not import them (older review workshops).
"""

from pathlib import Path

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kpiworkshop.kpis.models import Proposal
from kpiworkshop.mapping.models import LinkKind, LinkState, TreeLink
from kpiworkshop.mapping.tree import Edge, Tree, kind_text, tree_build
from kpiworkshop.workshops.models import Workshop
from kpiworkshop.workshops.moderation import Moderation


def _key(link: dict) -> tuple[str, str, str]:
    return (str(link["from"]), str(link["to"]), link["kind"])


def tree_snapshot(
    *, workshop: Workshop, entries: list[dict], previous_tree: list, by_entry_id: dict[int, str]
) -> list[dict]:
    """The new release's tree from its entries (dicts with ``kpi_uid`` and ``proposal_id``),
    the workshop's links and the previous release's tree; ``by_entry_id`` maps catalogue entry
    ids to KPI uids (``selectors.kpi_uids_by_entry_id``). Two queries."""
    uids = {str(e["kpi_uid"]) for e in entries}
    uid_of = {e["proposal_id"]: str(e["kpi_uid"]) for e in entries if e.get("proposal_id")}
    # A review workshop's proposals point at the entries they keep or change.
    for pk, entry_id in Proposal.objects.filter(
        workshop=workshop, catalog_entry_id__isnull=False
    ).values_list("pk", "catalog_entry_id"):
        uid = by_entry_id.get(entry_id)
        if pk not in uid_of and uid in uids:
            uid_of[pk] = uid
    # Only what the room saw is published: a link waiting for the facilitator or hidden
    # (moderation) neither adds to the tree nor drops a carried one.
    links = TreeLink.objects.filter(workshop=workshop, moderation=Moderation.SHOWN).filter(
        Q(state=LinkState.ACCEPTED) | Q(state=LinkState.DECLINED)
    )
    fresh, declined, pairs = [], set(), set()
    for link in links.order_by("id"):
        a, b = uid_of.get(link.from_proposal_id), uid_of.get(link.to_proposal_id)
        if a is None or b is None:
            continue
        if link.state == LinkState.DECLINED:
            declined.add((a, b, link.kind))
            continue
        fresh.append({"from": a, "to": b, "kind": link.kind, "why": link.why})
        pairs.add(frozenset((a, b)))
    carried = [
        link
        for link in previous_tree or []
        if str(link["from"]) in uids
        and str(link["to"]) in uids
        and _key(link) not in declined
        and frozenset((str(link["from"]), str(link["to"]))) not in pairs
    ]
    return carried + fresh


def tree_changes(old: list, new: list, names: dict[str, str]) -> dict[str, list[dict]]:
    """The links added and removed between two releases' trees, named: ``{"added": [{"from",
    "to", "kind", "why"}], "removed": [...]}`` with the KPIs' names in place of their uids."""
    old_keys = {_key(link) for link in old or []}
    new_keys = {_key(link) for link in new or []}

    def named(link: dict) -> dict:
        return link | {
            "from_name": names.get(str(link["from"]), ""),
            "to_name": names.get(str(link["to"]), ""),
            "kind_label": kind_text(link["kind"]),
        }

    return {
        "added": [named(link) for link in new or [] if _key(link) not in old_keys],
        "removed": [named(link) for link in old or [] if _key(link) not in new_keys],
    }


def release_tree(*, release, entries: list, href: bool = True) -> Tree:
    """A release's tree drawn from its entries (models or dicts: ``kpi_uid``, ``name``,
    ``goals``) and ``release.tree``. No query: the entries are the caller's."""
    base = ""
    if href:
        base = reverse(
            "catalog:entry", args=[release.organisation.slug, release.version, "0"]
        ).removesuffix("0/")
    return tree_from(entries=entries, links=release.tree, href_base=base if href else None)


def tree_from(*, entries: list, links: list, href_base: str | None = None) -> Tree:
    """The tree of entries (models or dicts with ``kpi_uid``, ``name``, ``goals``) and links
    (``{"from", "to", "kind", "why"}``); each KPI's node links to ``href_base + uid + "/"``
    (None: no links, as on paper)."""

    def get(e, field):
        return e[field] if isinstance(e, dict) else getattr(e, field)

    goals: dict[str, str] = {}
    goal_links = []
    kpis = []
    for e in entries:
        uid = str(get(e, "kpi_uid"))
        kpis.append((uid, get(e, "name"), "" if href_base is None else f"{href_base}{uid}/"))
        for g in get(e, "goals") or []:
            slug = g.get("slug") or g.get("name")
            goals.setdefault(slug, g.get("name", ""))
            goal_links.append((uid, slug, g.get("kind", "secondary")))
    edges = [
        Edge(
            str(link["from"]),
            str(link["to"]),
            link["kind"],
            LinkState.ACCEPTED,
            link.get("why", ""),
        )
        for link in links or []
        if link.get("kind") in LinkKind.values
    ]
    return tree_build(
        goals=list(goals.items()),
        kpis=kpis,
        goal_links=goal_links,
        edges=edges,
        unplaced_label=_("Not linked to a goal"),
    )


#: The most rows (leaves) of a tree the PDF pack draws on its landscape page.
PACK_TREE_ROWS = 16


def tree_pack(doc: dict) -> dict | None:
    """The PDF pack's tree page (``exports._pack_html``): the drawing, the links as rows and
    the drawing's style (the pack has no stylesheet link). None when the document has no link."""
    from django.contrib.staticfiles import finders

    from kpiworkshop.mapping.tree_svg import tree_svg

    if not doc.get("tree"):
        return None
    tree = tree_from(entries=doc["entries"], links=doc["tree"])
    path = finders.find("css/tree.css")
    css = Path(path).read_text(encoding="utf-8") if path else ""
    # A drawing taller than this many rows would not fit a landscape page legibly: the table
    # of links says the same.
    drawn = tree.rows <= PACK_TREE_ROWS
    svg = tree_svg(tree, label=_("KPI tree"), css=css, fluid=True) if drawn else ""
    return {"svg": svg, "rows": doc["tree"]}


def tree_rows(*, release, entries: list) -> list[dict]:
    """The release's links as rows for a table or an export: from, kind, to, why (names)."""
    names = {
        str(e["kpi_uid"] if isinstance(e, dict) else e.kpi_uid): (
            e["name"] if isinstance(e, dict) else e.name
        )
        for e in entries
    }
    return [
        {
            "from": str(link["from"]),
            "to": str(link["to"]),
            "kind": link["kind"],
            "why": link.get("why", ""),
            "from_name": names.get(str(link["from"]), ""),
            "to_name": names.get(str(link["to"]), ""),
            "kind_label": kind_text(link["kind"]),
        }
        for link in release.tree or []
    ]


def tree_attach(doc: dict, tree: list) -> dict:
    """Put the tree into an export document (``exports.release_document``): the links between
    the document's KPIs at the top (``tree``), and on each entry the KPIs it drives, is part
    of or guards against (``tree_links``). Returns the document."""
    names = {e["kpi_uid"]: e["name"] for e in doc["entries"]}
    links = [
        {
            "from": str(link["from"]),
            "to": str(link["to"]),
            "kind": link["kind"],
            "kind_label": kind_text(link["kind"]),
            "why": link.get("why", ""),
            "from_name": names[str(link["from"])],
            "to_name": names[str(link["to"])],
        }
        for link in tree or []
        if str(link["from"]) in names and str(link["to"]) in names
    ]
    for entry in doc["entries"]:
        entry["tree_links"] = [
            {k: link[k] for k in ("kind", "kind_label", "to", "to_name", "why")}
            for link in links
            if link["from"] == entry["kpi_uid"]
        ]
    doc["tree"] = links
    return doc
