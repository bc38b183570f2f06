"""The Map stage's shared fragments (``kpiworkshop.core.fragments``): the map's cards, its
audiences widget, the coverage view, an audience's preview and the KPI tree. Nothing personal in
any of them: no form, no name of the viewer.

Names that can change without a mapping write: the map's fragments show neither the workshop's
title nor a participant's name (the page around them does); the tree shows who proposed each
link and who took each stance (so its version follows the roster: ``tree_version``) and the
workshop's title (a slot, filled per request)."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kpiworkshop.core import versions
from kpiworkshop.core.fragments import Fragment, Shared
from kpiworkshop.kpis import permissions as kp

from . import permissions, selectors
from .forms import TreeLinkForm
from .tree_svg import tree_list, tree_svg

MAP_PAGE = 20
COVERAGE_POLL_SECONDS = 5


def map_version(*, workshop) -> str:
    """Everything the Map stage's pages show: the stage, the mapping (links, breakdowns, link
    comments, settings: ``MAP``), the KPIs (states, revisions: ``BOARD``) and the
    organisation's goals and audiences (``GOALS``), each bumped by the services that write
    it. One query."""
    read = versions.versions_of(
        workshop,
        (versions.MAP, workshop.pk),
        (versions.BOARD, workshop.pk),
        (versions.GOALS, workshop.organisation_id),
    )
    return f"{workshop.stage}|{read}"


def _scope(workshop, **_) -> tuple:
    return (workshop.organisation_id, workshop.pk)


def _version(workshop, **_) -> str:
    return map_version(workshop=workshop)


def flags(access) -> dict:
    """What makes the map's markup differ between viewers, from the predicates: the buttons
    (map, comment, details), the goals link, the settings link, and internal definition fields
    hidden from customers. Views show the same flags around the fragments."""
    participant, workshop = access.participant, access.workshop
    return {
        "can_map": permissions.can_map(participant, workshop),
        "can_comment": permissions.can_comment_on_link(participant, workshop),
        "can_manage_goals": permissions.can_manage_goals(participant, workshop),
        "can_configure": permissions.can_configure(participant, workshop),
        "see_internal": kp.can_see_internal(participant, workshop, access.membership),
    }


def _side_lists(workshop) -> dict:
    return selectors.map_side_lists(workshop=workshop)


def _cards(*, audience, workshop, page, more):
    ids = selectors.mapped_ids(workshop=workshop)
    start = (page - 1) * MAP_PAGE
    rows = selectors.map_rows(
        workshop=workshop,
        proposal_ids=ids[start : start + MAP_PAGE],
        see_internal=audience["see_internal"],
    )
    context = audience | {
        "workshop": workshop,
        "rows": rows,
        "has_more": len(ids) > start + MAP_PAGE,
        "next_page": page + 1,
    }
    if more:
        return render_to_string("mapping/map.html#kpi-list", context)
    context |= _side_lists(workshop) | {"kpi_count": len(ids)}
    return render_to_string("mapping/map.html#map-body", context)


#: The map under its heading, MAP_PAGE cards at a time (``more``: only the next cards).
map_cards = Fragment(
    "map-cards",
    templates=("mapping/map.html",),
    inputs=("workshop", "page", "more"),
    scope=_scope,
    version=_version,
    audience=lambda access, **_: flags(access),
    compute=_cards,
)


#: The map's Audiences widget alone (asked again when a KPI is mapped in place).
map_audiences = Fragment(
    "map-audiences",
    templates=("mapping/map.html",),
    inputs=("workshop",),
    scope=_scope,
    version=_version,
    audience=lambda access, **_: {},
    compute=lambda *, audience, workshop: render_to_string(
        "mapping/map.html#map-audiences", {"workshop": workshop} | _side_lists(workshop)
    ),
)


def _coverage(*, audience, workshop):
    cov = selectors.coverage_for_workshop(workshop=workshop, see_internal=audience["see_internal"])
    context = {"workshop": workshop, "cov": cov, "poll_seconds": COVERAGE_POLL_SECONDS}
    html = render_to_string("mapping/coverage.html#coverage-body", context)
    return {"html": html, "act_on_limit": cov.act_on_limit, "driver_limit": cov.driver_limit}


#: The coverage view: the same on each side of the internal-fields rule. The threshold comes
#: with it for the facilitator's settings form.
coverage = Fragment(
    "map-coverage",
    templates=("mapping/coverage.html",),
    inputs=("workshop",),
    scope=_scope,
    version=_version,
    audience=lambda access, **_: {"see_internal": flags(access)["see_internal"]},
    compute=_coverage,
)


def _audience(*, audience, workshop, audience_id):
    found = selectors.audience_get(workshop=workshop, audience_id=audience_id)
    if found is None:
        return {"missing": True}
    context = {
        "workshop": workshop,
        "view": selectors.audience_view(workshop=workshop, audience=found),
    }
    html = render_to_string("mapping/audience_detail.html#audience-body", context)
    return {"html": html, "missing": False, "title": found.label}


#: What an audience sees and acts on: the same for every viewer. The audience is looked up in
#: the workshop's organisation only on a miss (the organisation leads the scope).
audience_view = Fragment(
    "map-audience",
    templates=("mapping/audience_detail.html",),
    inputs=("workshop", "audience_id"),
    scope=lambda workshop, audience_id, **_: (workshop.organisation_id, workshop.pk, audience_id),
    version=_version,
    audience=lambda access, **_: {},
    compute=_audience,
)


def tree_flags(access) -> dict:
    """What makes the tree's shared markup differ between viewers: the stance and decision
    buttons on each proposed link (the propose form is the view's, in a slot)."""
    participant, workshop = access.participant, access.workshop
    return {
        "can_stance": permissions.can_take_tree_stance(participant, workshop),
        "can_decide": permissions.can_decide_tree_link(participant, workshop),
    }


def tree_version(*, workshop) -> str:
    """The map's version (``map_version``) and the workshop's roster (``ROSTER``): the tree
    names who proposed each link and who took each stance, and a participant's name changes
    with the roster (``workshops.services.participant_join_guest``). One query, shared with the
    page's other version reads (``versions_of``)."""
    read = versions.versions_of(
        workshop,
        (versions.MAP, workshop.pk),
        (versions.BOARD, workshop.pk),
        (versions.GOALS, workshop.organisation_id),
        (versions.ROSTER, workshop.pk),
    )
    return f"{workshop.stage}|{read}"


def kpi_options(options: str, value) -> SafeString:
    """A KPI select's options: the shared markup (``tree``'s ``kpi_options``) with ``value``,
    if any, marked selected (none: "Choose a KPI"). No template engine, no query."""
    chosen = "" if value is None else escape(str(value))
    plain = f'<option value="{chosen}">'
    return mark_safe(options.replace(plain, plain[:-1] + " selected>", 1))  # noqa: S308 - ours


def tree_propose_blank(shared: Shared, *, csrf: str) -> SafeString:
    """The propose form as a first visit shows it (no choice, no error), from the tree's
    shared markup, with this viewer's CSRF token: no form built, no template rendered."""
    return Shared(pieces=shared.extra["propose_blank"]).fill({"csrf": csrf})


def _tree(*, audience, slots, workshop):
    view = selectors.tree_for_workshop(
        workshop=workshop, unplaced_label=_("Not yet linked to a goal")
    )
    options = format_html_join(
        "", '<option value="{}">{}</option>', [("", _("Choose a KPI")), *view.kpi_choices]
    )
    counter_candidates = [tuple(c) for c in view.counter_candidates]
    # The propose form, blank: the same for everyone who may propose (the view shows it only
    # to them), its CSRF token a slot of its own pieces.
    blank = render_to_string(
        "mapping/tree.html#tree-propose",
        {
            "can_propose": True,
            "workshop": workshop,
            "form": TreeLinkForm(auto_id="tree-%s"),
            "counter_candidates": counter_candidates,
            "from_options": kpi_options(options, None),
            "to_options": kpi_options(options, None),
            "csrf_token": slots.slot("csrf"),
        },
    )
    if audience["can_stance"]:
        for row in view.proposed:
            row.support_slot = slots.slot(f"{row.link.pk}:support")
            row.object_slot = slots.slot(f"{row.link.pk}:object")
    context = audience | {
        "workshop": workshop,
        "view": view,
        "svg": tree_svg(view.tree, label=_("KPI tree of %(w)s") % {"w": slots.slot("title")}),
        "tree_list": tree_list(view.tree),
        # Each link's forms post under here (``<id>/stance/``, ``<id>/decide/``): reversed
        # once, not once per link.
        "links_url": reverse("mapping:tree_link_propose", args=[workshop.pk]),
        "csrf_token": slots.slot("csrf"),
        "propose_slot": slots.slot("propose"),
    }
    return {
        "html": render_to_string("mapping/tree.html#tree-shared", context),
        # The link form's KPI options, none selected, written once here (``kpi_options``).
        "kpi_options": options,
        "propose_blank": slots.split(blank),
        "counter_candidates": counter_candidates,
        "stance_links": [row.link.pk for row in view.proposed] if audience["can_stance"] else [],
    }


#: The KPI tree: the drawing, the phone's list and every link with its stances and buttons.
#: Slots: the workshop's title (``title``: renaming a workshop moves no version), the CSRF token
#: (``csrf``), the propose form (``propose``, the view's: its bound form and errors are the
#: viewer's) and the viewer's own stance on each proposed link
#: (``<link id>:support``, ``<link id>:object``: the button's class and ``aria-pressed``).
tree = Fragment(
    "map-tree",
    templates=("mapping/tree.html",),
    inputs=("workshop",),
    scope=_scope,
    version=lambda workshop, **_: tree_version(workshop=workshop),
    audience=lambda access, **_: tree_flags(access),
    compute=_tree,
    slots=("title", "csrf", "propose", "<link id>:support", "<link id>:object"),
)
