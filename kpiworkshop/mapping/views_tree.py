"""The KPI tree's pages: the tree (an SVG for the projector, a nested list on a phone), the
form that proposes a link, the stance buttons and the facilitator's decisions.

Every form posts to its own URL and works without JavaScript (redirect back, the message
carried over; errors shown on the page with status 400). With htmx the form gets the page's
``#tree-body`` fragment back, errors included, and the tree redrawn.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kpiworkshop.core.htmx import HtmxHttpRequest, error_text, form_error_text, form_errors_from
from kpiworkshop.workshops.access import WorkshopAccess

from . import fragments, permissions, selectors, services
from .forms import TreeDecideForm, TreeLinkForm, TreeStanceForm, TreeTakeOutForm
from .views import _flags, _load

TEMPLATE = "mapping/tree.html"


_PRESSED = {
    "support": (
        'class="btn btn-sm btn-success" aria-pressed="true"',
        'class="btn btn-sm btn-outline-success" aria-pressed="false"',
    ),
    "object": (
        'class="btn btn-sm btn-danger" aria-pressed="true"',
        'class="btn btn-sm btn-outline-danger" aria-pressed="false"',
    ),
}


def _context(
    request: HtmxHttpRequest,
    access: WorkshopAccess,
    *,
    form: TreeLinkForm | None = None,
    error: str = "",
    notice: str = "",
):
    """The page around the shared tree (``fragments.tree``): its slots filled with the propose
    form, the CSRF token and the viewer's own stances."""
    workshop, participant = access.workshop, access.participant
    shared = fragments.tree.get(access, workshop=workshop)
    flags = _flags(access) | fragments.tree_flags(access)
    flags["can_propose"] = permissions.can_propose_tree_link(participant, workshop)
    csrf = get_token(request)
    if not flags["can_propose"]:
        propose = ""
    elif form is None:
        propose = fragments.tree_propose_blank(shared, csrf=csrf)
    else:
        # A form sent back with its errors: the viewer's own choices, rendered for them.
        options = shared.extra["kpi_options"]
        propose = render_to_string(
            f"{TEMPLATE}#tree-propose",
            flags
            | {
                "form": form,
                "counter_candidates": shared.extra["counter_candidates"],
                "from_options": fragments.kpi_options(options, form["from_proposal"].value()),
                "to_options": fragments.kpi_options(options, form["to_proposal"].value()),
            },
            request=request,
        )
    if workshop.hold_open_text and participant is not None:
        # The viewer's own links waiting for the facilitator (or hidden, with the reason):
        # theirs alone, so beside the shared tree, in its per-viewer slot; asked only while
        # the workshop holds open text, so the page's query count is unchanged otherwise.
        own = selectors.tree_links_unshown_for(workshop=workshop, participant_id=participant.pk)
        if own:
            propose += render_to_string(
                "mapping/_tree_links.html",
                {"rows": own, "heading": _("Your links the room does not see"), "state": "own"},
            )
    values = {"title": escape(workshop.title), "csrf": csrf, "propose": propose}
    if flags["can_stance"]:
        # Asked whether or not there are links: one query, the same count at any size.
        mine = selectors.tree_stances_of(
            workshop=workshop, participant_id=participant.pk if participant else None
        )
        for link_id in shared.extra["stance_links"]:
            for stance, (on, off) in _PRESSED.items():
                values[f"{link_id}:{stance}"] = on if mine.get(link_id) == stance else off
    return flags | {
        "tree_shared": shared.fill(values),
        "error": error,
        "notice": notice,
    }


def _respond(request: HtmxHttpRequest, access: WorkshopAccess, *, status: int = 200, **kw):
    context = _context(request, access, **kw)
    if request.htmx:
        # htmx swaps only 2xx answers: errors come back in the fragment, with a 200.
        return render(request, f"{TEMPLATE}#tree-body", context)
    return render(request, TEMPLATE, context, status=status)


@require_GET
def tree_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The tree, from the Map stage on, for whoever may see the workshop."""
    access = _load(request, pk)
    return _respond(request, access)


def _done(request: HtmxHttpRequest, access: WorkshopAccess, text: str) -> HttpResponse:
    if request.htmx:
        return _respond(request, access, notice=text)
    messages.success(request, text)
    return redirect("mapping:tree", pk=access.workshop.pk)


def _refused(request: HtmxHttpRequest, access: WorkshopAccess, exc: Exception) -> HttpResponse:
    if request.htmx:
        return _respond(request, access, error=error_text(exc))
    messages.error(request, error_text(exc))
    return redirect("mapping:tree", pk=access.workshop.pk)


@require_POST
def tree_link_propose(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _load(request, pk)
    if not permissions.can_propose_tree_link(access.participant, access.workshop):
        raise PermissionDenied
    choices = selectors.tree_kpi_choices(workshop=access.workshop)
    form = TreeLinkForm(request.POST, kpis=choices, auto_id="tree-%s")
    if form.is_valid():
        try:
            services.tree_link_propose(
                actor=access.participant,
                workshop=access.workshop,
                from_id=form.cleaned_data["from_proposal"],
                to_id=form.cleaned_data["to_proposal"],
                kind=form.cleaned_data["kind"],
                why=form.cleaned_data["why"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            return _done(request, access, _("Link proposed."))
    return _respond(request, access, form=form, status=400)


def _link(access: WorkshopAccess, link_id: int):
    link = selectors.tree_link_get(workshop=access.workshop, link_id=link_id)
    if link is None:
        raise Http404
    return link


@require_POST
def tree_link_stance(request: HtmxHttpRequest, pk: int, link_id: int) -> HttpResponse:
    access = _load(request, pk)
    if not permissions.can_take_tree_stance(access.participant, access.workshop):
        raise PermissionDenied
    link = _link(access, link_id)
    form = TreeStanceForm(request.POST)
    if not form.is_valid():
        return _refused(request, access, ValidationError(form_error_text(form)))
    try:
        services.tree_link_stance_set(
            actor=access.participant,
            link=link,
            stance=form.cleaned_data["stance"],
            text=form.cleaned_data["text"],
        )
    except ValidationError as exc:
        return _refused(request, access, exc)
    return _done(request, access, _("Your stance is recorded."))


@require_POST
def tree_link_decide(request: HtmxHttpRequest, pk: int, link_id: int) -> HttpResponse:
    access = _load(request, pk)
    if not permissions.can_decide_tree_link(access.participant, access.workshop):
        raise PermissionDenied
    link = _link(access, link_id)
    form = TreeDecideForm(request.POST)
    if not form.is_valid():
        return _refused(request, access, ValidationError(form_error_text(form)))
    accept = form.cleaned_data["decision"] == "accept"
    try:
        services.tree_link_decide(
            actor=access.participant,
            link=link,
            accept=accept,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        return _refused(request, access, exc)
    return _done(request, access, _("Link accepted.") if accept else _("Link declined."))


@require_POST
def tree_link_take_out(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Take an accepted link out of the tree, with a reason: the form under the folded
    accepted links, the link chosen from its list."""
    access = _load(request, pk)
    if not permissions.can_decide_tree_link(access.participant, access.workshop):
        raise PermissionDenied
    form = TreeTakeOutForm(request.POST)
    if not form.is_valid():
        return _refused(request, access, ValidationError(form_error_text(form)))
    link = _link(access, form.cleaned_data["link"])
    try:
        services.tree_link_decide(
            actor=access.participant, link=link, accept=False, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        return _refused(request, access, exc)
    return _done(request, access, _("Link taken out of the tree."))
