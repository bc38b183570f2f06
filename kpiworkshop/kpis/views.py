"""Proposal pages: thin views (parse, check, call a service or selector, render)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from kpiworkshop.core.htmx import (
    HtmxHttpRequest,
    form_error_text,
    form_errors_from,
    int_param,
    message_error,
    posted,
)
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.access import WorkshopAccess, load_workshop
from kpiworkshop.workshops.moderation import Moderation

from . import definition_fields, fragments, permissions, selectors, services
from .forms import (
    BoardFilterForm,
    CommentForm,
    DefinitionForm,
    InternalFieldsForm,
    LibraryFilterForm,
    MergeForm,
    SuggestionForm,
)
from .models import DEFINITION_FIELDS, MARKDOWN_FIELDS, Comment, Proposal, Suggestion


def _proposal(access: WorkshopAccess, proposal_id: int) -> Proposal:
    proposal = selectors.proposal_get(workshop=access.workshop, proposal_id=proposal_id)
    if proposal is None:
        raise Http404
    # Waiting for (or hidden by) moderation: its author and the facilitator only.
    if proposal.moderation != Moderation.SHOWN and not wp.can_see_moderated(
        access.participant, access.workshop, proposal.author_id
    ):
        raise Http404
    return proposal


def _hidden_fields(access: WorkshopAccess, proposal: Proposal) -> frozenset[str]:
    """Fields this viewer may not see: internal-only ones, for customers."""
    return permissions.hidden_fields(access.participant, proposal, access.membership)


# --- board and library ------------------------------------------------------------------------


@require_GET
def proposal_board(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The board: its cards and its filter form are shared fragments (``kpis/fragments.py``),
    the same for everyone asking for the same filters; only "my proposals" names a person."""
    access = load_workshop(request, pk)
    form = BoardFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = min(max(int_param(request.GET.get("page"), 1), 1), 1000)
    query = request.GET.copy()
    query["page"] = page + 1
    mine = filters.get("mine", False) and permissions.can_filter_own(
        access.participant, access.workshop
    )
    board = fragments.board_cards.get(
        access,
        workshop=access.workshop,
        filters={k: filters.get(k) or "" for k in ("category", "channel", "state", "q", "sort")},
        author=access.participant if mine else None,
        page=page,
        next_query=query.urlencode(),
    )
    if request.htmx and request.htmx.target == "board-more":
        return HttpResponse(board.html)
    form_data = {f: request.GET.getlist(f) for f in form.fields if request.GET.getlist(f)}
    context = {
        "workshop": access.workshop,
        "participant": access.participant,
        "filter_html": fragments.board_filter.get(
            access, workshop=access.workshop, form_data=form_data
        ).html,
        "cards_html": "" if board.extra["empty"] else board.html,
        "can_propose": wp.can_propose(access.participant, access.workshop),
        "can_merge": wp.can_merge(access.participant, access.workshop),
        # The viewer's own proposals the room does not see (waiting, or hidden with a reason),
        # while the workshop holds open text: otherwise the board costs no query for them.
        "waiting": selectors.proposals_waiting_for(
            workshop=access.workshop, actor=access.participant
        )
        if access.workshop.hold_open_text
        else [],
    }
    template = "kpis/proposal_board.html"
    if request.htmx and request.htmx.target == "proposal-list":
        template += "#proposal-list"
    return render(request, template, context)


@require_GET
def library_browse(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    form = LibraryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    context = {
        "workshop": access.workshop,
        "form": form,
        "kpis": selectors.library_kpis(
            category=filters.get("category", ""),
            channel=filters.get("channel", ""),
            q=filters.get("q", ""),
        ),
        "can_propose": wp.can_propose(access.participant, access.workshop),
    }
    template = "kpis/library_browse.html"
    if request.htmx and request.htmx.target == "library-list":
        template += "#library-list"
    return render(request, template, context)


# --- proposing and revising --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def proposal_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not wp.can_propose(access.participant, access.workshop):
        raise PermissionDenied
    slug = request.GET.get("library") or request.POST.get("library") or ""
    library_kpi = selectors.library_get(slug=slug[:80]) if slug else None
    initial = services.library_definition(library_kpi=library_kpi) if library_kpi else {}
    form = DefinitionForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_create(
                actor=access.participant,
                workshop=access.workshop,
                definition=form.definition(),
                library_kpi=library_kpi,
                change_note=form.cleaned_data["change_note"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            if proposal.moderation == Moderation.HELD:
                messages.info(
                    request,
                    _("Your KPI proposal is waiting for the facilitator before the room sees it."),
                )
            else:
                messages.success(request, _("Your KPI proposal is on the board."))
            return redirect("kpis:detail", pk=pk, proposal_id=proposal.pk)
    hints = library_kpi.texts() if library_kpi else {}
    context = {
        "workshop": access.workshop,
        "form": form,
        "library_kpi": library_kpi,
        "hints": hints,
        "hidden": frozenset(),
    }
    return render(request, "kpis/proposal_form.html", context)


@require_http_methods(["GET", "POST"])
def proposal_revise(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    if not permissions.can_edit(access.participant, proposal):
        raise PermissionDenied
    current = proposal.current_revision.definition()
    # A customer who authored a proposal still never sees its internal-only fields: they are
    # left out of the form; the service keeps them as they are.
    hidden = _hidden_fields(access, proposal)
    form = DefinitionForm(posted(request), initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_revise(
                actor=access.participant,
                proposal=proposal,
                definition=form.definition(),
                change_note=form.cleaned_data["change_note"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("New revision saved."))
            return redirect("kpis:detail", pk=pk, proposal_id=proposal.pk)
    context = {"workshop": access.workshop, "form": form, "proposal": proposal, "hints": {}}
    context["hidden"] = hidden
    return render(request, "kpis/proposal_form.html", context)


@require_POST
def proposal_withdraw(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    services.proposal_withdraw(actor=access.participant, proposal=proposal)
    messages.success(request, _("Proposal withdrawn."))
    return redirect("kpis:detail", pk=pk, proposal_id=proposal.pk)


# --- the proposal page ---------------------------------------------------------------------------


def _comment_list(request, access: WorkshopAccess, proposal: Proposal) -> SafeString:
    """The proposal's comment list (``fragments.comment_list``, shared by the room) with this
    viewer's bits filled in: the CSRF token, each comment's age, and their own comments the
    room does not see (one query)."""
    shared = fragments.comment_list.get(access, workshop=access.workshop, proposal=proposal)
    values = {name: escape(timesince(at)) for name, at in shared.extra["times"].items()}
    values["csrf"] = get_token(request)
    own = selectors.comments_unshown_of(proposal=proposal, actor=access.participant)
    values["own"] = (
        render_to_string("kpis/_comment_list.html#own", {"own": own}, request=request)
        if own
        else ""
    )
    return shared.fill(values)


def _detail_context(request, access: WorkshopAccess, proposal: Proposal, **extra) -> dict:
    actor = access.participant
    detail = selectors.proposal_detail(proposal=proposal, actor=actor, with_comments=False)
    hidden = _hidden_fields(access, proposal)
    revision = proposal.current_revision
    rows = []
    for name in DEFINITION_FIELDS:
        if name in hidden or name in definition_fields.CALLOUT:
            continue
        value = selectors.display_value(name, getattr(revision, name))
        if value:
            rows.append(
                {
                    "name": name,
                    "label": selectors.field_label(name),
                    "value": value,
                    "markdown": name in MARKDOWN_FIELDS,
                    "internal": name in (proposal.internal_fields or []),
                }
            )
    for suggestion in detail.suggestions:
        suggestion.rows = [
            {
                "label": selectors.field_label(f),
                "html": selectors.word_diff(
                    selectors.display_value(f, getattr(revision, f)),
                    selectors.display_value(f, v),
                ),
            }
            for f, v in suggestion.changes.items()
            if f in DEFINITION_FIELDS and f not in hidden
        ]
    can_moderate = permissions.can_moderate(actor, proposal)
    return {
        "workshop": access.workshop,
        "participant": actor,
        "proposal": proposal,
        "revision": revision,
        "rows": rows,
        "use_callout": definition_fields.callout(
            {f: getattr(revision, f) for f in definition_fields.CALLOUT if f not in hidden}
        ),
        "detail": detail,
        "comment_list": _comment_list(request, access, proposal),
        "comment_form": extra.get("comment_form") or CommentForm(),
        "can_edit": permissions.can_edit(actor, proposal),
        "can_comment": permissions.can_comment_on(actor, proposal),
        "can_suggest": permissions.can_suggest_on(actor, proposal),
        "can_support": permissions.can_support(actor, proposal),
        "can_moderate": can_moderate,
        "can_resolve": permissions.can_resolve(actor, proposal),
        "can_unmerge": permissions.can_unmerge(actor, proposal),
        "poll_seconds": settings.KPIW_STATUS_POLL_SECONDS,
        "internal_form": InternalFieldsForm(initial={"fields_": proposal.internal_fields})
        if can_moderate
        else None,
    }


@require_GET
def proposal_detail(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    if request.htmx and request.GET.get("fragment") == "comment-list":
        # What the page asks when the room changed (kpiw:changed): the comments alone.
        return HttpResponse(_comment_list(request, access, proposal))
    return render(request, "kpis/proposal_detail.html", _detail_context(request, access, proposal))


def _back_to_detail(request, access, proposal, fragment: str, anchor: str, **extra):
    if request.htmx:
        context = _detail_context(request, access, proposal, **extra)
        return render(request, f"kpis/proposal_detail.html#{fragment}", context)
    return redirect(reverse("kpis:detail", args=[access.workshop.pk, proposal.pk]) + anchor)


@require_POST
def comment_create(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        parent = None
        if form.cleaned_data["parent"]:
            parent = selectors.comment_get(comment_id=form.cleaned_data["parent"])
            if parent is None:
                raise Http404
        try:
            comment = services.comment_create(
                actor=access.participant,
                proposal=proposal,
                body=form.cleaned_data["body"],
                stance=form.cleaned_data["stance"] or None,
                parent=parent,
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            form = None
            if comment.moderation == Moderation.HELD and not request.htmx:
                messages.info(request, _("Your comment is waiting for the facilitator."))
    if form is not None and not request.htmx:
        messages.error(
            request, _("Your comment was not posted: %(e)s") % {"e": form_error_text(form)}
        )
    return _back_to_detail(request, access, proposal, "comments", "#comments", comment_form=form)


def _comment(proposal: Proposal, comment_id: int) -> Comment:
    comment = selectors.comment_on(proposal=proposal, comment_id=comment_id)
    if comment is None:
        raise Http404
    return comment


@require_POST
def comment_hide(request: HtmxHttpRequest, pk: int, proposal_id: int, comment_id: int):
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    comment = _comment(proposal, comment_id)
    try:
        services.comment_hide(
            actor=access.participant, comment=comment, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        message_error(request, exc)
    return _back_to_detail(request, access, proposal, "comments", "#comments")


@require_POST
def comment_resolve(request: HtmxHttpRequest, pk: int, proposal_id: int, comment_id: int):
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    services.comment_resolve(actor=access.participant, comment=_comment(proposal, comment_id))
    return _back_to_detail(request, access, proposal, "comments", "#comments")


@require_POST
def proposal_support(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    keep = request.POST.get("keep") == "1"  # "you supported an earlier version": keep it
    services.proposal_support(actor=access.participant, proposal=proposal, keep=keep)
    response = _back_to_detail(request, access, proposal, "support", "#support")
    return trigger_client_event(response, "proposalSupported") if request.htmx else response


@require_POST
def proposal_internal_fields(request: HtmxHttpRequest, pk: int, proposal_id: int):
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    form = InternalFieldsForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_set_internal_fields(
                actor=access.participant, proposal=proposal, fields=form.cleaned_data["fields_"]
            )
        except ValidationError as exc:
            message_error(request, exc)
        else:
            messages.success(request, _("Saved."))
    return redirect("kpis:detail", pk=pk, proposal_id=proposal.pk)


# --- suggestions ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def suggestion_create(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    if not permissions.can_suggest_on(access.participant, proposal):
        raise PermissionDenied
    hidden = _hidden_fields(access, proposal)
    form = SuggestionForm(posted(request), initial=proposal.current_revision.definition())
    if request.method == "POST" and form.is_valid():
        try:
            services.suggestion_create(
                actor=access.participant,
                proposal=proposal,
                changes=form.definition(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Suggestion sent to the author."))
            return redirect(reverse("kpis:detail", args=[pk, proposal.pk]) + "#suggestions")
    context = {
        "workshop": access.workshop,
        "form": form,
        "proposal": proposal,
        "suggesting": True,
        "hidden": hidden,
        "hints": {},
    }
    return render(request, "kpis/proposal_form.html", context)


def _suggestion(proposal: Proposal, suggestion_id: int) -> Suggestion:
    suggestion = selectors.suggestion_on(proposal=proposal, suggestion_id=suggestion_id)
    if suggestion is None:
        raise Http404
    return suggestion


@require_POST
def suggestion_accept(request: HtmxHttpRequest, pk: int, proposal_id: int, suggestion_id: int):
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    suggestion = _suggestion(proposal, suggestion_id)
    try:
        services.suggestion_accept(actor=access.participant, suggestion=suggestion)
    except ValidationError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Suggestion accepted: a new revision was made."))
    return redirect("kpis:detail", pk=pk, proposal_id=proposal.pk)


@require_POST
def suggestion_decline(request: HtmxHttpRequest, pk: int, proposal_id: int, suggestion_id: int):
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    suggestion = _suggestion(proposal, suggestion_id)
    try:
        services.suggestion_decline(
            actor=access.participant, suggestion=suggestion, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Suggestion declined."))
    return redirect(reverse("kpis:detail", args=[pk, proposal.pk]) + "#suggestions")


# --- revisions --------------------------------------------------------------------------------


@require_GET
def revision_diff(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    latest = proposal.current_revision.number
    b = int_param(request.GET.get("b"), latest)
    a = int_param(request.GET.get("a"), b - 1)
    pair = selectors.revision_pair(proposal=proposal, a=a, b=b)
    if pair is None:
        raise Http404
    context = {
        "workshop": access.workshop,
        "proposal": proposal,
        "old": pair[0],
        "new": pair[1],
        "diffs": selectors.revision_diff(*pair, hidden=_hidden_fields(access, proposal)),
    }
    return render(request, "kpis/revision_diff.html", context)


# --- merging ----------------------------------------------------------------------------------


@require_GET
def merge_board(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not wp.can_manage(access.participant, access.workshop):
        raise PermissionDenied
    context = {
        "workshop": access.workshop,
        "pairs": selectors.duplicate_pairs(workshop=access.workshop),
        "merged": selectors.merged_proposals(workshop=access.workshop),
        "mergeable": selectors.mergeable_proposals(workshop=access.workshop),
        "can_merge": wp.can_merge(access.participant, access.workshop),
    }
    return render(request, "kpis/proposal_merge.html", context)


@require_POST
def proposal_merge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose two proposals to merge."))
        return redirect("kpis:merge", pk=pk)
    source = _proposal(access, form.cleaned_data["source"])
    target = _proposal(access, form.cleaned_data["target"])
    try:
        services.proposal_merge(actor=access.participant, source=source, target=target)
    except ValidationError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Merged. The merge can be undone until voting starts."))
    return redirect("kpis:merge", pk=pk)


@require_POST
def proposal_unmerge(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    try:
        services.proposal_unmerge(actor=access.participant, proposal=proposal)
    except ValidationError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Merge undone."))
    return redirect("kpis:merge", pk=pk)
