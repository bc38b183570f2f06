"""Workshop pages: thin views (parse, check, call a service or selector, render)."""

from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from kpiworkshop.accounts.models import Role
from kpiworkshop.accounts.selectors import memberships_for_user
from kpiworkshop.core.htmx import (
    HtmxHttpRequest,
    error_text,
    form_errors_from,
    int_param,
    posted,
)

from . import fragments, permissions, selectors, services
from .access import (
    WorkshopAccess,
    guest_key_of,
    join_client_of,
    load_workshop,
    participant_of,
    public_url,
    remember_guest,
)
from .forms import (
    GuestJoinForm,
    InvitationForm,
    JoinCodeForm,
    StageForm,
    WorkshopEditForm,
    WorkshopForm,
)
from .guidance import ACTION_LABELS, STAGE_HELP
from .models import STAGE_ORDER, Invitation, Stage, Workshop, new_guest_key


def _stage_context(access: WorkshopAccess) -> dict:
    workshop, participant = access.workshop, access.participant
    actions = permissions.allowed_actions(participant, workshop)
    previous, following = permissions.stage_moves(workshop)
    return {
        "workshop": workshop,
        "participant": participant,
        "membership": access.membership,
        "stages": [(s, Stage(s).label, i) for i, s in enumerate(STAGE_ORDER)],
        "stage_index": workshop.stage_index,
        "stage_help": STAGE_HELP[workshop.stage],
        "my_actions": [ACTION_LABELS[a] for a in actions if a in ACTION_LABELS],
        "can_manage": permissions.can_manage(participant, workshop),
        "previous_stage": previous and Stage(previous),
        "next_stage": following and Stage(following),
        "poll_seconds": settings.KPIW_STATUS_POLL_SECONDS,
    }


def _stage_panel(request, access: WorkshopAccess) -> SafeString:
    """The stage panel, shared by everyone with the same role in the same stage
    (``fragments.stage_panel``); the viewer's name and CSRF token fill its slots."""
    participant = access.participant
    shared = fragments.stage_panel.get(access, workshop=access.workshop)
    return shared.fill(
        {
            "name": escape(participant.display_name) if participant is not None else "",
            "csrf": get_token(request) if "csrf" in shared.slot_names() else "",
        }
    )


# --- pages --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def workshop_create(request: HtmxHttpRequest) -> HttpResponse:
    orgs = [
        m.organisation
        for m in memberships_for_user(user=request.user)
        if permissions.can_create_workshop(m, m.organisation)
    ]
    if not orgs:
        raise PermissionDenied
    form = WorkshopForm(posted(request), organisations=orgs)
    if request.method == "POST" and form.is_valid():
        org = next(o for o in orgs if o.pk == form.cleaned_data["organisation"])
        try:
            workshop = services.workshop_create(
                user=request.user,
                organisation=org,
                title=form.cleaned_data["title"],
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Workshop created. Now invite people."))
            return redirect("workshops:detail", pk=workshop.pk)
    return render(request, "workshops/workshop_create.html", {"form": form})


@require_GET
def workshop_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    workshop = access.workshop
    context = _stage_context(access)
    context["stage_panel_html"] = _stage_panel(request, access)
    context["who_html"] = fragments.who.get(access, workshop=workshop).html
    if context["can_manage"]:
        context["invitations_html"] = _invitations_panel(request, access)
    return render(request, "workshops/workshop_detail.html", context)


def _invitations_panel(
    request, access: WorkshopAccess, *, form: InvitationForm | None = None
) -> SafeString:
    """The facilitator's "Invite people" panel: the form and the join-code table. With the
    empty form it is a shared fragment (``fragments.invitations_panel``); a form with errors
    is rendered for its request alone."""
    workshop = access.workshop
    if form is not None and form.is_bound:
        invitations = selectors.invitations_for_workshop(workshop=workshop)
        for inv in invitations:
            inv.join_url = public_url(request, reverse("workshops:join_code", args=[inv.code]))
        context = {"workshop": workshop, "invitations": invitations, "invitation_form": form}
        return mark_safe(  # noqa: S308 - our template's output
            render_to_string("workshops/workshop_detail.html#invitations", context, request)
        )
    expiries = fragments.invitation_expiries.get(access, workshop=workshop).extra["expiries"]
    now = timezone.now()
    clock = ()
    if expiries:
        clock = (int(now.timestamp() // 60), *(e <= now for e in expiries))
    shared = fragments.invitations_panel.get(
        access, workshop=workshop, site=public_url(request, "/"), clock=clock
    )
    return shared.fill({"csrf": get_token(request)})


@require_GET
def workshop_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Polled by every participant's page. Unchanged → 204 (htmx keeps the page as it is);
    changed → the new stage panel, and a ``stageChanged`` event for other widgets."""
    access = load_workshop(request, pk)
    if not request.htmx:
        return redirect("workshops:detail", pk=pk)
    if request.GET.get("v") == str(access.workshop.state_version):
        return HttpResponse(status=204)
    response = HttpResponse(_stage_panel(request, access))
    return trigger_client_event(response, "stageChanged", {"stage": access.workshop.stage})


@require_POST
def workshop_stage(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    form = StageForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("Choose a stage.")
    else:
        try:
            access.workshop = services.workshop_set_stage(
                actor=access.participant,
                workshop=access.workshop,
                stage=form.cleaned_data["stage"],
                expected_stage=form.cleaned_data["expected_stage"],
            )
        except ValidationError as exc:
            error = error_text(exc)
            # The stage may have moved under this person: show the page as it is now.
            access.workshop = selectors.workshop_get(workshop_id=pk) or access.workshop
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("workshops:detail", pk=pk)
    # The stage decides what the whole page offers (forms, lists): reload it, with the error
    # (if any) shown as a message there.
    if error:
        messages.error(request, error)
    return HttpResponseClientRedirect(reverse("workshops:detail", args=[pk]))


@require_http_methods(["GET", "POST"])
def workshop_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not permissions.can_manage(access.participant, access.workshop):
        raise PermissionDenied
    workshop = access.workshop
    form = WorkshopEditForm(
        posted(request), initial={"title": workshop.title, "purpose": workshop.purpose}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.workshop_update(
                actor=access.participant, workshop=workshop, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("workshops:detail", pk=pk)
    return render(request, "workshops/workshop_edit.html", {"form": form, "workshop": workshop})


@require_POST
def workshop_join_member(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not request.user.is_authenticated:
        raise Http404
    try:
        services.participant_join_member(user=request.user, workshop=access.workshop)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("You have joined the workshop."))
    # Back to the page the member joined from (a ballot, the proposals), if it is one of this
    # workshop's pages; anything else (another site, another workshop) goes to the workshop.
    next_url = request.POST.get("next", "")
    if (
        next_url.startswith(f"/w/{pk}/")
        and ".." not in next_url
        and "\\" not in next_url
        and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})
    ):
        return redirect(next_url)
    return redirect("workshops:detail", pk=pk)


@require_GET
def workshop_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not permissions.can_see_history(access.participant, access.workshop):
        raise PermissionDenied
    events = selectors.history_for_workshop(workshop=access.workshop)
    return render(
        request, "workshops/workshop_history.html", {"workshop": access.workshop, "events": events}
    )


def _role_counts(workshop: Workshop) -> list[dict]:
    rows = selectors.participants_by_role(workshop=workshop)
    for row in rows:
        row["label"] = Role(row["role"]).label
    return rows


@require_GET
def workshop_participants(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not permissions.can_manage(access.participant, access.workshop):
        raise PermissionDenied
    context = {
        "workshop": access.workshop,
        "participants": selectors.participants_for_workshop(workshop=access.workshop),
        "roles": _role_counts(access.workshop),
    }
    return render(request, "workshops/workshop_participants.html", context)


# --- invitations ------------------------------------------------------------------------------


@require_POST
def invitation_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not permissions.can_manage(access.participant, access.workshop):
        raise PermissionDenied
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(
                actor=access.participant, workshop=access.workshop, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            form = InvitationForm()
    if not request.htmx:
        if form.errors:
            messages.error(request, _("The invitation was not created: check the form."))
        return redirect(reverse("workshops:detail", args=[pk]) + "#invitations")
    return HttpResponse(_invitations_panel(request, access, form=form))


def _invitation_for(access: WorkshopAccess, invitation_id: int) -> Invitation:
    invitation = selectors.invitation_get(workshop=access.workshop, invitation_id=invitation_id)
    if invitation is None:
        raise Http404
    return invitation


@require_POST
def invitation_revoke(request: HtmxHttpRequest, pk: int, invitation_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    invitation = _invitation_for(access, invitation_id)
    services.invitation_revoke(actor=access.participant, invitation=invitation)
    if not request.htmx:
        messages.success(request, _("Code %(code)s revoked.") % {"code": invitation.display_code})
        return redirect(reverse("workshops:detail", args=[pk]) + "#invitations")
    return HttpResponse(_invitations_panel(request, access))


@require_http_methods(["GET", "POST"])
def invitation_email(request: HtmxHttpRequest, pk: int, invitation_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    invitation = _invitation_for(access, invitation_id)
    if not permissions.can_manage(access.participant, access.workshop):
        raise PermissionDenied
    error = None
    if request.method == "POST":
        join_url = public_url(request, reverse("workshops:join_code", args=[invitation.code]))
        try:
            n = services.invitation_send_emails(
                actor=access.participant,
                invitation=invitation,
                emails=request.POST.get("emails", ""),
                join_url=join_url,
            )
        except ValidationError as exc:
            error = error_text(exc)
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)d invitation queued for sending.",
                    "%(n)d invitations queued for sending.",
                    n,
                )
                % {"n": n},
            )
            return redirect(reverse("workshops:detail", args=[pk]) + "#invitations")
    return render(
        request,
        "workshops/invitation_email.html",
        {
            "workshop": access.workshop,
            "invitation": invitation,
            "error": error,
            "emails": request.POST.get("emails", ""),
        },
    )


@require_GET
def join_screen(request: HtmxHttpRequest, pk: int, invitation_id: int) -> HttpResponse:
    """The projector view: the code in huge letters, a QR code, the short link, and how many
    people have joined so far (polled)."""
    access = load_workshop(request, pk)
    if not permissions.can_manage(access.participant, access.workshop):
        raise PermissionDenied
    # Everyone who joined, not the facilitators running the room.
    invitation, joined = selectors.invitation_and_joined(
        workshop=access.workshop, invitation_id=invitation_id
    )
    if invitation is None:
        raise Http404
    join_url = public_url(request, reverse("workshops:join_code", args=[invitation.code]))
    short_url = public_url(request, reverse("workshops:join"))
    context = {
        "workshop": access.workshop,
        "invitation": invitation,
        "join_url": join_url,
        "short_url": short_url,
        "joined": joined,
        "poll_seconds": settings.KPIW_STATUS_POLL_SECONDS,
    }
    if request.htmx and request.GET.get("fragment") == "count":
        return render(request, "workshops/join_screen.html#joined-count", context)
    # Encoding a QR code is most of this page's cost and depends only on the URL: once per URL.
    context["qr_svg"] = fragments.join_qr.get(
        access, workshop=access.workshop, invitation=invitation, join_url=join_url
    ).html
    return render(request, "workshops/join_screen.html", context)


# --- joining --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def join_start(request: HtmxHttpRequest) -> HttpResponse:
    """Type a code. A valid one goes on to the join page of its invitation."""
    form = JoinCodeForm(request.POST or request.GET or None, autofocus=True)
    if form.is_bound and form.is_valid():
        try:
            invitation = services.invitation_resolve(
                code=form.cleaned_data["code"], client=join_client_of(request)
            )
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            return redirect("workshops:join_code", code=invitation.code)
    status = (
        429 if any(e.code == "throttled" for e in form.errors.as_data().get("code", [])) else 200
    )
    return render(request, "workshops/join_start.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def join_code(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """The page a join link or QR code opens: who is inviting, as which role, and a name box."""
    client = join_client_of(request)
    try:
        invitation = services.invitation_resolve(code=code, client=client)
    except ValidationError as exc:
        form = JoinCodeForm(initial={"code": code}, autofocus=True)
        form.errors["code"] = form.error_class(exc.messages)
        status = 429 if exc.code == "throttled" else 404 if exc.code == "unknown" else 410
        return render(request, "workshops/join_start.html", {"form": form}, status=status)

    workshop = invitation.workshop
    existing = participant_of(request, workshop.pk)
    if existing is not None and request.method == "GET":
        return redirect("workshops:detail", pk=workshop.pk)

    guest_form = GuestJoinForm(request.POST or None)
    error = None
    if request.method == "POST":
        if request.user.is_authenticated:
            try:
                services.participant_join_member(
                    user=request.user, workshop=workshop, invitation=invitation
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                return redirect("workshops:detail", pk=workshop.pk)
        elif guest_form.is_valid():
            key = guest_key_of(request) or new_guest_key()
            try:
                services.participant_join_guest(
                    invitation=invitation,
                    guest_key=key,
                    display_name=guest_form.cleaned_data["display_name"],
                )
            except ValidationError as exc:
                form_errors_from(guest_form, exc)
            else:
                response = HttpResponseRedirect(reverse("workshops:detail", args=[workshop.pk]))
                remember_guest(response, key)
                return response
    context = {"invitation": invitation, "workshop": workshop, "form": guest_form, "error": error}
    if not guest_form.is_bound:
        context["form_html"] = _empty_guest_form(translation.get_language())
    return render(request, "workshops/join_code.html", context)


@lru_cache(maxsize=16)
def _empty_guest_form(language: str | None) -> SafeString:
    """The name box of the page a QR code opens, before anything is typed: the same for every
    phone of the room, so its crispy layout is rendered once per language and process (a
    deploy starts new processes) instead of once per phone. A posted form (errors, the typed
    name) is rendered for its own request."""
    return mark_safe(  # noqa: S308 - our own template's output
        render_to_string("workshops/join_code.html#guest-form", {"form": GuestJoinForm()})
    )


# --- moderation of open text ------------------------------------------------------------------


def _moderation_access(request, pk: int) -> WorkshopAccess:
    access = load_workshop(request, pk)
    if not permissions.can_moderate_text(access.participant, access.workshop):
        raise PermissionDenied
    return access


def _queue_context(access: WorkshopAccess, **extra) -> dict:
    return {
        "workshop": access.workshop,
        "queue": selectors.moderation_queue(workshop=access.workshop),
        "poll_seconds": settings.KPIW_STATUS_POLL_SECONDS,
        **extra,
    }


@require_GET
def moderation_queue(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The facilitator's queue of waiting texts (phone and laptop): let each through or hide
    it with a reason. Follows the room live (``kpiw:changed``)."""
    access = _moderation_access(request, pk)
    if request.htmx and request.GET.get("fragment") == "queue":
        return render(request, "workshops/moderation_queue.html#queue", _queue_context(access))
    return render(request, "workshops/moderation_queue.html", _queue_context(access))


@require_POST
def moderation_decide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Let one waiting text through (``decision=release``) or hide it (``decision=hide`` with a
    ``reason``). Bad input (an unknown kind or id, a text already decided, no reason) is
    answered with a message and changes nothing."""
    access = _moderation_access(request, pk)
    decision = request.POST.get("decision", "")
    kind = request.POST.get("kind", "")[:32]
    item_id = int_param(request.POST.get("item"))
    error = None
    done = ""
    try:
        if item_id is None or item_id < 1 or decision not in {"release", "hide"}:
            raise ValidationError(_("This text is no longer in the queue."))
        if decision == "release":
            services.moderation_release(
                actor=access.participant, workshop=access.workshop, kind=kind, item_id=item_id
            )
            done = _("Let through: the room sees it now.")
        else:
            services.moderation_hide(
                actor=access.participant,
                workshop=access.workshop,
                kind=kind,
                item_id=item_id,
                reason=request.POST.get("reason", ""),
            )
            done = _("Hidden: its author sees your reason.")
    except ValidationError as exc:
        error = error_text(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done)
        return redirect("workshops:moderation", pk=pk)
    context = _queue_context(access, error=error, done=done, failed_item=item_id if error else None)
    return render(request, "workshops/moderation_queue.html#queue", context)


@require_POST
def moderation_setting(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Switch "hold open text for the projector" on (``hold=on``) or off (anything else)."""
    access = _moderation_access(request, pk)
    hold = request.POST.get("hold") == "on"
    services.workshop_set_hold_open_text(
        actor=access.participant, workshop=access.workshop, hold=hold
    )
    if hold:
        messages.success(request, _("New comments and proposals now wait for you here."))
    else:
        messages.success(request, _("New comments and proposals now go straight to the room."))
    return redirect("workshops:moderation", pk=pk)
