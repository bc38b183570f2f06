"""Run-sheet pages: preparing the blocks, running the session (the facilitator's page and the
projector), the live component's poll, and the session report. Thin: parse, check, call a
service or selector, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from kpiworkshop.core.htmx import HtmxHttpRequest, error_text, form_errors_from, posted
from kpiworkshop.workshops.access import WorkshopAccess, guest_key_of, load_workshop

from . import permissions, selectors, services
from .forms import BlockForm, ControlForm, MoveForm, PrepareForm, parse_order
from .live import live_context, millis
from .models import Block, SheetState
from .report import report_csv, report_pdf, session_report

SHEET = "runsheet/sheet.html"
PROJECTOR = "runsheet/projector.html"


def _facilitator(request, pk: int) -> WorkshopAccess:
    access = load_workshop(request, pk)
    if not permissions.can_run_sheet(access.participant, access.workshop):
        raise PermissionDenied
    return access


def _sheet_context(
    access: WorkshopAccess, *, block_form: BlockForm | None = None, prepare_form=None
) -> dict:
    workshop, actor = access.workshop, access.participant
    sheet = selectors.sheet_for_workshop(workshop=workshop)
    blocks = selectors.blocks_for_sheet(sheet=sheet) if sheet else []
    can_edit = permissions.can_edit_sheet(actor, workshop) and (sheet is None or sheet.is_editable)
    context = live_context(workshop=workshop, sheet=sheet) | _controls_context(
        workshop, sheet, view="sheet", blocks=blocks
    )
    context |= {
        "blocks": blocks,
        "can_edit": can_edit,
        "planned_minutes": sum(b.planned_minutes for b in blocks),
    }
    if can_edit:
        ballots = selectors.ballots_for_choice(workshop=workshop)
        context["block_form"] = block_form or BlockForm(ballots=ballots)
        context["prepare_form"] = prepare_form or PrepareForm(
            sources=selectors.sheets_to_copy(workshop=workshop)
        )
    return context


@require_GET
def sheet_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The facilitator's run-sheet page: prepare the blocks, then run the session from it."""
    access = _facilitator(request, pk)
    fragment = request.GET.get("fragment") if request.htmx else None
    if fragment == "controls":
        sheet = selectors.sheet_for_workshop(workshop=access.workshop)
        return render(
            request, "runsheet/_controls.html", _controls_context(access.workshop, sheet, "sheet")
        )
    if fragment == "blocks":  # a running sheet's list follows the session (which block is on)
        return render(request, SHEET + "#blocks", _sheet_context(access))
    return render(request, SHEET, _sheet_context(access))


def _blocks_answer(request: HtmxHttpRequest, access: WorkshopAccess, error: str = ""):
    """After an edit: the block list (htmx) or the page again (plain form)."""
    if request.htmx:
        context = _sheet_context(access) | {"blocks_error": error}
        return render(request, SHEET + "#blocks", context)
    if error:
        messages.error(request, error)
    return redirect(reverse("runsheet:sheet", args=[access.workshop.pk]) + "#runsheet-blocks")


@require_POST
def sheet_prepare(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _facilitator(request, pk)
    workshop = access.workshop
    form = PrepareForm(request.POST, sources=selectors.sheets_to_copy(workshop=workshop))
    if form.is_valid():
        source = None
        if form.cleaned_data["source"]:
            source = selectors.workshop_in_organisation(
                workshop=workshop, workshop_id=form.cleaned_data["source"]
            )
        start = form.cleaned_data["start"]
        try:
            services.runsheet_prepare(
                actor=access.participant,
                workshop=workshop,
                template="" if source or start == "scratch" else start,
                source_workshop=source,
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("The run-sheet is ready to edit."))
            return redirect("runsheet:sheet", pk=pk)
    return render(request, SHEET, _sheet_context(access, prepare_form=form), status=400)


@require_POST
def block_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _facilitator(request, pk)
    ballots = selectors.ballots_for_choice(workshop=access.workshop)
    form = BlockForm(request.POST, ballots=ballots)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.block_add(
                actor=access.participant,
                workshop=access.workshop,
                title=data["title"],
                planned_minutes=data["planned_minutes"],
                instruction=data["instruction"],
                action=data["action"],
                action_stage=data["action_stage"],
                action_ballot_id=data["action_ballot"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            if request.htmx:
                response = render(request, SHEET + "#editor", _sheet_context(access))
                return trigger_client_event(response, "runsheetEdited")
            messages.success(request, _("Block added."))
            return redirect(reverse("runsheet:sheet", args=[pk]) + "#runsheet-blocks")
    context = _sheet_context(access, block_form=form)
    if request.htmx:
        return render(request, SHEET + "#editor", context)
    return render(request, SHEET, context, status=400)


def _block(access: WorkshopAccess, block_id: int) -> Block:
    block = selectors.block_get(workshop=access.workshop, block_id=block_id)
    if block is None:
        raise Http404
    return block


@require_http_methods(["GET", "POST"])
def block_edit(request: HtmxHttpRequest, pk: int, block_id: int) -> HttpResponse:
    access = _facilitator(request, pk)
    block = _block(access, block_id)
    ballots = selectors.ballots_for_choice(workshop=access.workshop)
    initial = {
        "title": block.title_text,
        "planned_minutes": block.planned_minutes,
        "instruction": block.instruction_text,
        "action": block.action,
        "action_stage": block.action_stage,
        "action_ballot": block.action_ballot_id,
    }
    form = BlockForm(posted(request), initial=initial, ballots=ballots)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.block_update(
                actor=access.participant,
                block=block,
                title=data["title"],
                planned_minutes=data["planned_minutes"],
                instruction=data["instruction"],
                action=data["action"],
                action_stage=data["action_stage"],
                action_ballot_id=data["action_ballot"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Block saved."))
            return redirect(reverse("runsheet:sheet", args=[pk]) + "#runsheet-blocks")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "runsheet/block_edit.html",
        {"workshop": access.workshop, "current": block, "form": form},
        status=status,
    )


@require_POST
def block_delete(request: HtmxHttpRequest, pk: int, block_id: int) -> HttpResponse:
    access = _facilitator(request, pk)
    block = _block(access, block_id)
    error = ""
    try:
        services.block_delete(actor=access.participant, block=block)
    except ValidationError as exc:
        error = error_text(exc)
    return _blocks_answer(request, access, error)


@require_POST
def block_move(request: HtmxHttpRequest, pk: int, block_id: int) -> HttpResponse:
    access = _facilitator(request, pk)
    block = _block(access, block_id)
    form = MoveForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Move a block up or down.")
    else:
        try:
            services.block_move(
                actor=access.participant,
                block=block,
                direction=form.cleaned_data["direction"],
                expected_position=form.cleaned_data["position"],
            )
        except ValidationError as exc:
            error = error_text(exc)
    return _blocks_answer(request, access, error)


@require_POST
def blocks_reorder(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _facilitator(request, pk)
    order = parse_order(request.POST.get("order", ""))
    error = ""
    if order is None:
        error = _("The run-sheet changed in the meantime. Check and try again.")
    else:
        try:
            services.blocks_reorder(actor=access.participant, workshop=access.workshop, order=order)
        except ValidationError as exc:
            error = error_text(exc)
    return _blocks_answer(request, access, error)


# --- running ----------------------------------------------------------------------------------


def _run_answer(
    request: HtmxHttpRequest, access: WorkshopAccess, *, error: str = "", note="", done=""
):
    """After a live control: the control panel of the page it was pressed on (htmx, with a
    ``runsheetChanged`` event so the countdown follows at once) or that page again."""
    view = "projector" if request.POST.get("view") == "projector" else "sheet"
    if not request.htmx:
        if error:
            messages.error(request, error)
        if note:
            messages.warning(request, note)
        if done:
            messages.success(request, done)
        name = "runsheet:projector" if view == "projector" else "runsheet:sheet"
        return redirect(name, pk=access.workshop.pk)
    sheet = selectors.sheet_for_workshop(workshop=access.workshop)
    context = _controls_context(access.workshop, sheet, view) | {
        "with_feedback": True,
        "control_error": error,
        "control_note": note,
        "control_done": done,
    }
    response = render(request, "runsheet/_controls.html", context)
    return trigger_client_event(response, "runsheetChanged")


@require_POST
def sheet_hold_open_text(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The live-mode checkbox: hold open text for the projector once the session starts."""
    access = _facilitator(request, pk)
    hold = request.POST.get("hold") == "on"
    try:
        services.runsheet_set_hold_open_text(
            actor=access.participant, workshop=access.workshop, hold=hold
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if hold:
            messages.success(request, _("Open text will wait for you while the session is live."))
        else:
            messages.success(request, _("Open text will not be held when the session starts."))
    return redirect("runsheet:sheet", pk=pk)


@require_POST
def sheet_start(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _facilitator(request, pk)
    error = note = ""
    try:
        result = services.runsheet_start(actor=access.participant, workshop=access.workshop)
    except ValidationError as exc:
        error = error_text(exc)
    else:
        note = result.warning
    return _run_answer(request, access, error=error, note=note)


@require_POST
def sheet_control(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Next, pause, resume, +5 min, reveal. The form names the block its page showed: a press
    made on a page that is behind (someone else moved on) changes nothing."""
    access = _facilitator(request, pk)
    form = ControlForm(request.POST)
    error = note = done = ""
    if not form.is_valid():
        error = _("That control is not available. Reload the page and try again.")
    else:
        do, block_id = form.cleaned_data["do"], form.cleaned_data["block"]
        kwargs = {
            "actor": access.participant,
            "workshop": access.workshop,
            "expected_block_id": block_id,
        }
        try:
            if do == "next":
                note = services.runsheet_next(**kwargs).warning
            elif do == "pause":
                services.runsheet_pause(**kwargs)
            elif do == "resume":
                services.runsheet_resume(**kwargs)
            elif do == "extend":
                services.runsheet_extend(**kwargs, minutes=5)
            else:
                ballot = services.runsheet_reveal(**kwargs)
                done = _("The results of “%(t)s” are now shown.") % {"t": ballot.title_text}
        except ValidationError as exc:
            error = error_text(exc)
    return _run_answer(request, access, error=error, note=note, done=done)


def _controls_context(workshop, sheet, view: str, *, blocks: list[Block] | None = None) -> dict:
    """What the control panel needs. ``blocks``: the sheet's blocks when the page has them
    already (then no query here)."""
    block = sheet.current_block if sheet is not None and sheet.is_running else None
    if blocks is not None:
        upcoming = next((b for b in blocks if block and b.position > block.position), None)
        has_blocks = bool(blocks)
    else:
        upcoming = selectors.block_after(sheet=sheet, block=block) if block else None
        has_blocks = sheet is not None and (
            block is not None or selectors.block_count(sheet=sheet) > 0
        )
    return {
        "workshop": workshop,
        "sheet": sheet,
        "current": block,
        "upcoming": upcoming,
        "view": view,
        "has_blocks": has_blocks,
    }


@require_GET
def sheet_projector(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The projector: the countdown and instruction big, driven by keyboard (n, p, r). Its
    controls refresh themselves (``?fragment=controls``) when the countdown's poll sees a
    change made elsewhere."""
    access = _facilitator(request, pk)
    sheet = selectors.sheet_for_workshop(workshop=access.workshop)
    if sheet is None:
        raise Http404
    context = _controls_context(access.workshop, sheet, "projector")
    if request.htmx and request.GET.get("fragment") == "controls":
        return render(request, "runsheet/_controls.html", context)
    context |= live_context(workshop=access.workshop, sheet=sheet, size="projector")
    return render(request, PROJECTOR, context)


@require_GET
def sheet_now(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The live component's poll, on every phone and projector: one query. Unchanged since
    the version the page has (``?v=``) → 204, or 304 for an ``If-None-Match`` that matches;
    changed → the component as it is now. Every answer carries the server's clock
    (``X-Server-Now``, ms) so the screens' countdowns agree."""
    if pk > 2**63 - 1:
        raise Http404
    sheet = selectors.live_sheet_for_viewer(
        workshop_id=pk, user=request.user, guest_key=guest_key_of(request)
    )
    if sheet is None:
        raise Http404
    etag = f'"rs-{sheet.pk}-{sheet.version}-{get_language()}"'
    if request.GET.get("v") == str(sheet.version):
        response = HttpResponse(status=204)
    elif etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        size = request.GET.get("size", "page")
        # The workshop's own row is not needed: the component links by its id.
        context = live_context(workshop=_WorkshopRef(pk), sheet=sheet, size=size)
        response = render(request, "runsheet/_live.html", context)
        response = trigger_client_event(response, "runsheetChanged", {"version": sheet.version})
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["X-Server-Now"] = str(millis(timezone.now()))
    return response


class _WorkshopRef:
    """A workshop known only by its id (all the component's links need)."""

    def __init__(self, pk: int):
        self.pk = pk


# --- the report -------------------------------------------------------------------------------


def _report_access(request, pk: int) -> WorkshopAccess:
    access = load_workshop(request, pk)
    if not permissions.can_see_report(access.participant, access.workshop):
        raise PermissionDenied
    return access


def _report_context(access: WorkshopAccess) -> dict:
    workshop = access.workshop
    sheet = selectors.sheet_for_workshop(workshop=workshop)
    if sheet is None:
        return {"workshop": workshop, "sheet": None, "report": None}
    blocks = selectors.blocks_for_sheet(sheet=sheet)
    return {
        "workshop": workshop,
        "sheet": sheet,
        "report": session_report(sheet=sheet, blocks=blocks),
        "finished": sheet.state == SheetState.FINISHED,
    }


@require_GET
def report_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _report_access(request, pk)
    return render(request, "runsheet/report.html", _report_context(access))


def _filename(access: WorkshopAccess, ext: str) -> str:
    return f"session-report-{slugify(access.workshop.title)[:60] or access.workshop.pk}.{ext}"


@require_GET
def report_csv_download(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _report_access(request, pk)
    context = _report_context(access)
    if context["report"] is None:
        raise Http404
    response = HttpResponse(
        "\ufeff" + report_csv(context["report"]), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(access, "csv")}"'
    return response


@require_GET
def report_pdf_download(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _report_access(request, pk)
    context = _report_context(access)
    if context["report"] is None:
        raise Http404
    context["language"] = get_language()
    context["generated_at"] = timezone.now()
    pdf = report_pdf(context["report"], context=context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(access, "pdf")}"'
    return response
