"""The approve stage: the approval board (decisions with reasons, the quorum, training notes and
their stale-figure check), revising a KPI after a request for changes. Panels of higher apps (the
catalogue's publish panel) join the board through ``approval.board``."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpiworkshop.core.htmx import (
    HtmxHttpRequest,
    error_text,
    form_error_text,
    form_errors_from,
    message_error,
)
from kpiworkshop.datasets.selectors import feasibility_for_proposals
from kpiworkshop.kpis.models import Proposal
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.access import WorkshopAccess, load_workshop

from . import currency, permissions, selectors, services
from .board import board_panels_context
from .forms import DecisionForm, NotesForm, QuorumForm, ResubmitForm


def _proposal(access: WorkshopAccess, proposal_id: int) -> Proposal:
    proposal = (
        Proposal.objects.filter(workshop=access.workshop, pk=proposal_id)
        .select_related("current_revision", "workshop")
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


# --- the approve stage ------------------------------------------------------------------------


def _approval_context(request, access: WorkshopAccess, **extra) -> dict:
    workshop = access.workshop
    actor = access.participant
    language = get_language() or "en"
    rows = selectors.approval_rows(workshop=workshop)
    can_manage = wp.can_manage(actor, workshop)
    # The data steward's verdict beside each KPI: one query for the whole board.
    verdicts = feasibility_for_proposals(proposal_ids=[r.proposal.pk for r in rows])
    for row in rows:
        row.feasibility = verdicts.get(row.proposal.pk)
        row.can_decide = permissions.can_decide(actor, row.proposal, row.contributors)
        row.is_mine = permissions.is_contributor(actor, row.contributors)
        row.decided = any(d.approver_id == (actor.pk if actor else None) for d in row.current)
        row.can_notes = permissions.can_write_notes(actor, row.proposal)
        row.can_resubmit = permissions.can_resubmit(actor, row.proposal)
        row.changes_since = None  # issue 20: my decision is void, what changed since
        if row.can_decide and not row.decided:
            row.changes_since = currency.changes_for_approver(actor, row.proposal, row.decisions)
    undecided = [r for r in rows if r.proposal.state == "shortlisted"]
    approved = [r for r in rows if r.proposal.state == "approved"]
    lacking = [r for r in approved if language not in r.languages_with_notes]
    # Notes matter for what may still be published: shortlisted or approved KPIs.
    stale = [r for r in rows if r.stale_notes and r.proposal.state in ("shortlisted", "approved")]
    context = {
        "workshop": workshop,
        "participant": actor,
        "rows": rows,
        "undecided": undecided,
        "approved": approved,
        "lacking_notes": lacking,
        "stale_rows": stale,
        "stale_approved": [
            s for r in stale if r.proposal.state == "approved" for s in r.stale_notes
        ],
        "quorum": selectors.quorum_for(workshop=workshop),
        "approver_count": selectors.approver_count(workshop=workshop) if can_manage else None,
        "can_manage": can_manage,
        "can_approve": wp.can_approve(actor, workshop),
        "quorum_form": QuorumForm(initial={"quorum": selectors.quorum_for(workshop=workshop)})
        if permissions.can_set_quorum(actor, workshop)
        else None,
        "today": timezone.localdate(),
        "language": language,
    }
    return context | board_panels_context(access, context) | extra


@require_GET
def approval_board(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not wp.can_view(access.participant, access.workshop) and access.membership is None:
        raise Http404
    return render(request, "approval/board.html", _approval_context(request, access))


@require_POST
def approval_decide(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    form = DecisionForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.approval_decide(
                actor=access.participant, proposal=proposal, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
    else:
        error = form_error_text(form)
    if request.htmx:
        context = _approval_context(request, access)
        row = next((r for r in context["rows"] if r.proposal.pk == proposal.pk), None)
        if row is None:
            raise Http404
        if error and form.is_valid() and form.cleaned_data.get("revision"):
            # Refused because the KPI moved on: what changed since the form was shown.
            row.changes_since = (
                currency.changes_since_seen(row.proposal, form.cleaned_data["revision"])
                or row.changes_since
            )
        response = render(
            request,
            "approval/board.html#approval-row",
            context | {"row": row, "error": error, "posted": request.POST},
        )
        response["HX-Trigger"] = "decisionMade"
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect(reverse("approval:board", args=[pk]) + f"#kpi-{proposal.pk}")


@require_POST
def quorum_set(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    form = QuorumForm(request.POST)
    if form.is_valid():
        try:
            changed = services.approval_set_quorum(
                actor=access.participant,
                workshop=access.workshop,
                quorum=form.cleaned_data["quorum"],
            )
            if changed:
                messages.success(
                    request,
                    ngettext(
                        "Quorum saved. %(n)d KPI has a new state under it.",
                        "Quorum saved. %(n)d KPIs have a new state under it.",
                        len(changed),
                    )
                    % {"n": len(changed)},
                )
            else:
                messages.success(request, _("Quorum saved."))
        except (ValidationError, PermissionDenied) as exc:
            message_error(request, exc)
    else:
        messages.error(request, _("Between 1 and 50 approvals."))
    return redirect("approval:board", pk=pk)


@require_http_methods(["GET", "POST"])
def notes_edit(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    if not permissions.can_write_notes(access.participant, proposal):
        raise PermissionDenied
    language = request.GET.get("language") or request.POST.get("language") or get_language()
    if language not in dict(_languages()):
        language = "en"
    existing = selectors.notes_for(proposal=proposal).get(language)
    stale = (
        selectors.stale_quotes_of(notes=existing, current=proposal.current_revision)
        if existing
        else []
    )
    form = NotesForm(request.POST or None, initial=existing.as_dict() if existing else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_notes_save(
                actor=access.participant, proposal=proposal, language=language, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Training notes saved."))
            return redirect(reverse("approval:board", args=[pk]) + f"#kpi-{proposal.pk}")
    return render(
        request,
        "approval/notes_form.html",
        {
            "workshop": access.workshop,
            "proposal": proposal,
            "form": form,
            "language": language,
            "languages": _languages(),
            "stale_quotes": stale,
            "checked_revision": existing.revision if stale else None,
            "can_confirm": bool(stale)
            and permissions.can_confirm_notes(access.participant, proposal),
        },
    )


@require_POST
def notes_confirm(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    """The facilitator confirms notes that quote an earlier definition's figures."""
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    language = request.POST.get("language", "")
    try:
        services.training_notes_confirm(
            actor=access.participant, proposal=proposal, language=language
        )
    except ValidationError as exc:
        message_error(request, exc)
        return redirect(reverse("approval:notes", args=[pk, proposal.pk]))
    messages.success(request, _("Training notes confirmed against the current definition."))
    return redirect(reverse("approval:board", args=[pk]) + f"#kpi-{proposal.pk}")


def _languages():
    from django.conf import settings

    return settings.LANGUAGES


@require_http_methods(["GET", "POST"])
def proposal_resubmit(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
    if not permissions.can_resubmit(access.participant, proposal):
        raise PermissionDenied
    rev = proposal.current_revision
    initial = {
        f: getattr(rev, f) for f in ("name", "measures", "numerator", "denominator", "target")
    }
    form = ResubmitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = data.pop("change_note")
        try:
            services.proposal_resubmit(
                actor=access.participant, proposal=proposal, definition=data, change_note=note
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Revised and back on the shortlist for a new decision."))
            return redirect("approval:board", pk=pk)
    requests = [a for a in proposal.approvals.select_related("approver") if a.decision == "changes"]
    return render(
        request,
        "approval/resubmit_form.html",
        {"workshop": access.workshop, "proposal": proposal, "form": form, "requests": requests},
    )
