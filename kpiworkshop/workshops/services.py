"""Every write to workshops, participants and invitations."""

import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Organisation, Role
from kpiworkshop.accounts.selectors import membership_for
from kpiworkshop.core import versions
from kpiworkshop.core.audit import audit_in_workshop
from kpiworkshop.core.live import live_bump
from kpiworkshop.core.outbox import OutboxRetry, current_claim_until, outbox_add

from . import permissions
from .models import CODE_ALPHABET, STAGE_ORDER, Invitation, Participant, Stage, Workshop
from .moderation import ModeratedKind, Moderation, moderated_kind
from .throttle import JoinClient, join_failure_record, join_throttle_check

MAX_NAME = 60


def _clean_display_name(name: str) -> str:
    name = re.sub(r"\s+", " ", (name or ""))
    # Control characters have no place in a name shown on a projector. Strip the spaces only
    # after removing them, so "\u200b Ada" does not become " Ada".
    name = "".join(ch for ch in name if ch.isprintable())
    name = re.sub(r" {2,}", " ", name).strip()
    if not name:
        raise ValidationError({"display_name": _("Please type the name others will see.")})
    if len(name) > MAX_NAME:
        raise ValidationError(
            {"display_name": _("Keep the name under %(n)d characters.") % {"n": MAX_NAME}}
        )
    return name


# --- Workshops --------------------------------------------------------------------------------


@transaction.atomic
def workshop_create(*, user, organisation: Organisation, title: str, purpose: str = "") -> Workshop:
    """Create a workshop in draft; the creator becomes its first facilitator."""
    membership = membership_for(user=user, organisation_id=organisation.pk)
    if not permissions.can_create_workshop(membership, organisation):
        raise PermissionDenied(_("Only the organisation's facilitators can create workshops."))
    workshop = Workshop(
        organisation=organisation, title=(title or "").strip(), purpose=purpose, created_by=user
    )
    workshop.full_clean()
    workshop.save()
    facilitator = Participant.objects.create(
        workshop=workshop, user=user, display_name=str(user)[:MAX_NAME], role=Role.FACILITATOR
    )
    versions.version_bump(versions.ROSTER, workshop.pk)
    audit_in_workshop(
        actor=facilitator, action="workshop.create", workshop=workshop, title=workshop.title
    )
    return workshop


@transaction.atomic
def workshop_update(
    *, actor: Participant | None, workshop: Workshop, title: str, purpose: str
) -> Workshop:
    if not permissions.can_manage(actor, workshop):
        raise PermissionDenied
    workshop.title = (title or "").strip()
    workshop.purpose = purpose or ""
    # created_by is null once its user is deleted (SET_NULL): not the editor's problem.
    workshop.full_clean(exclude=["created_by"])
    workshop.save(update_fields=["title", "purpose", "updated_at"])
    audit_in_workshop(
        actor=actor, action="workshop.update", workshop=workshop, title=workshop.title
    )
    live_bump(workshop_id=workshop.pk)
    return workshop


@transaction.atomic
def workshop_set_stage(
    *, actor: Participant | None, workshop: Workshop, stage: str, expected_stage: str
) -> Workshop:
    """Move the workshop one step forward or back.

    Takes a row lock on the workshop (PostgreSQL; SQLite's IMMEDIATE transaction serialises
    writers) so two facilitators pressing "next" at once move it once: the second sees that
    the stage is no longer the one their page showed and is told so.
    """
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if not permissions.can_manage(actor, locked):
        raise PermissionDenied
    if stage not in STAGE_ORDER:
        raise ValidationError(_("Unknown stage."))
    if locked.stage != expected_stage:
        raise ValidationError(
            _("The workshop was moved to “%(stage)s” in the meantime. Check and try again.")
            % {"stage": locked.get_stage_display()}
        )
    previous, following = permissions.stage_moves(locked)
    if locked.stage == Stage.APPROVE and stage == Stage.PUBLISHED:
        raise ValidationError(
            _("A workshop is published by publishing its catalogue release, on the Approval page.")
        )
    if stage not in {previous, following}:
        raise ValidationError(
            _("A workshop moves one stage at a time, and never back once published.")
        )
    old = locked.stage
    locked.stage = stage
    locked.stage_changed_at = timezone.now()
    locked.state_version = F("state_version") + 1
    locked.save(update_fields=["stage", "stage_changed_at", "state_version", "updated_at"])
    locked.refresh_from_db()
    # "from" is a Python keyword: the details go in as a mapping.
    audit_in_workshop(
        actor=actor, action="workshop.stage", workshop=locked, **{"from": old, "to": stage}
    )
    live_bump(workshop_id=locked.pk)
    return locked


# --- Invitations ------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *,
    actor: Participant | None,
    workshop: Workshop,
    role: str,
    label: str = "",
    expires_in_hours: int | None = None,
    max_uses: int | None = None,
) -> Invitation:
    if not permissions.can_manage(actor, workshop):
        raise PermissionDenied
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role for the people joining with this code.")})
    if expires_in_hours is not None and not (1 <= expires_in_hours <= 24 * 90):
        raise ValidationError({"expires_in_hours": _("Between 1 hour and 90 days.")})
    if max_uses is not None and not (1 <= max_uses <= 10000):
        raise ValidationError({"max_uses": _("Between 1 and 10,000 people.")})
    expires_at = timezone.now() + timedelta(hours=expires_in_hours) if expires_in_hours else None
    for _attempt in range(5):
        invitation = Invitation(
            workshop=workshop,
            role=role,
            label=(label or "").strip()[:80],
            expires_at=expires_at,
            max_uses=max_uses,
            created_by=actor.user if actor and actor.user_id else None,
        )
        try:
            with transaction.atomic():
                invitation.save()
            break
        except IntegrityError:  # code collision: draw again
            continue
    else:  # pragma: no cover - 25^6 codes make this practically unreachable
        raise ValidationError(_("Could not draw a free join code. Try again."))
    versions.version_bump(versions.ROSTER, workshop.pk)
    audit_in_workshop(
        actor=actor,
        action="invitation.create",
        workshop=workshop,
        target=invitation,
        role=role,
        label=invitation.label,
        expires_at=str(expires_at or ""),
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Participant | None, invitation: Invitation) -> Invitation:
    workshop = invitation.workshop
    if not permissions.can_manage(actor, workshop):
        raise PermissionDenied
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        versions.version_bump(versions.ROSTER, workshop.pk)
        audit_in_workshop(
            actor=actor,
            action="invitation.revoke",
            workshop=workshop,
            target=invitation,
            role=invitation.role,
        )
    return invitation


# --- Joining ----------------------------------------------------------------------------------


def normalise_code(raw: str) -> str:
    """Accept what people type: any case, with spaces or dashes."""
    return re.sub(r"[\s\-_.]", "", (raw or "")).upper()


def _code_looks_valid(code: str) -> bool:
    return 4 <= len(code) <= 12 and all(ch in CODE_ALPHABET for ch in code)


def invitation_resolve(*, code: str, client: JoinClient) -> Invitation:
    """Find the usable invitation for a typed code, or raise ValidationError with a message a
    person can act on. Every failure counts towards the guessing limits."""
    code = normalise_code(code)
    throttle = join_throttle_check(client=client, code=code)

    def count_failure() -> None:
        if throttle != "unavailable":  # the cache just timed out: do not wait for it twice
            join_failure_record(client=client, code=code)

    if throttle == "blocked":
        raise ValidationError(
            _(
                "Too many wrong codes from this device. Wait a few minutes, "
                "or ask the facilitator for the link or QR code."
            ),
            code="throttled",
        )
    invitation = None
    if _code_looks_valid(code):
        invitation = (
            Invitation.objects.select_related("workshop", "workshop__organisation")
            .filter(code=code)
            .first()
        )
    if invitation is None:
        count_failure()
        raise ValidationError(
            _("No workshop has this code. Check it on the screen and try again."), code="unknown"
        )
    if invitation.is_revoked:
        count_failure()
        raise ValidationError(
            _("This code has been withdrawn. Ask the facilitator for a new one."), code="revoked"
        )
    if invitation.is_expired:
        count_failure()
        raise ValidationError(
            _("This code has expired. Ask the facilitator for a new one."), code="expired"
        )
    if invitation.workshop.stage == Stage.ARCHIVED:
        raise ValidationError(_("This workshop is archived and no longer open."), code="archived")
    return invitation


def _check_capacity(invitation: Invitation) -> None:
    """Refuse when the code has admitted as many people as allowed.

    Call inside the joining transaction: it takes a row lock on the invitation (PostgreSQL;
    SQLite's IMMEDIATE transactions serialise writers), so simultaneous joins through one code
    count one after another and never exceed ``max_uses``.
    """
    if invitation.max_uses is None:
        return
    Invitation.objects.select_for_update().filter(pk=invitation.pk).values_list("pk").first()
    if invitation.joined.count() >= invitation.max_uses:
        raise ValidationError(
            _("This code has been used by as many people as the facilitator allowed."),
            code="full",
        )


@transaction.atomic
def participant_join_guest(
    *, invitation: Invitation, guest_key: str, display_name: str
) -> Participant:
    """Join as a guest. The same device (guest key) coming back gets its participant back,
    with the name it types now, unless it was removed from the workshop. A code with a use limit
    takes the invitation's row lock (``_check_capacity``), so simultaneous joins never exceed it."""
    if not permissions.can_join_with_code(None, invitation.role):
        raise ValidationError(
            _("This code is for facilitators and leadership: sign in with your account first."),
            code="account_required",
        )
    name = _clean_display_name(display_name)
    workshop = invitation.workshop
    existing = Participant.objects.filter(workshop=workshop, guest_key=guest_key).first()
    if existing is not None:
        if not existing.is_active:
            # Removed by the facilitator (admin): the same device cannot let itself back in.
            raise ValidationError(
                _("You were removed from this workshop. Ask the facilitator to let you back in."),
                code="removed",
            )
        if existing.display_name != name:
            existing.display_name = name
            existing.save(update_fields=["display_name", "updated_at"])
            versions.version_bump(versions.ROSTER, workshop.pk)
        return existing
    _check_capacity(invitation)
    participant = Participant(
        workshop=workshop,
        guest_key=guest_key,
        display_name=name,
        role=invitation.role,
        invitation=invitation,
    )
    participant.full_clean()
    participant.save()
    versions.version_bump(versions.ROSTER, workshop.pk)
    live_bump(workshop_id=workshop.pk)  # the join screen's head count
    return participant


@transaction.atomic
def participant_join_member(
    *, user, workshop: Workshop, invitation: Invitation | None = None
) -> Participant:
    """Join with an account. Through an invitation the role is the invitation's; without one
    the person must belong to the workshop's organisation and joins with their own role. Through
    an invitation with a use limit it takes the invitation's row lock (``_check_capacity``), so
    simultaneous joins never exceed it."""
    existing = Participant.objects.filter(workshop=workshop, user=user).first()
    if existing is not None:
        return existing
    if invitation is not None:
        role = invitation.role
        if role in permissions.PRIVILEGED_CODE_ROLES:
            membership = membership_for(user=user, organisation_id=workshop.organisation_id)
            if membership is None:
                raise ValidationError(
                    _("This code is for the organisation's own facilitators and leadership."),
                    code="account_required",
                )
            if not permissions.can_join_with_code(membership.role, role):
                raise ValidationError(
                    _(
                        "This code is for people whose role in the organisation is "
                        "%(code_role)s; yours is %(own_role)s, so it does not let you in. "
                        "Ask the facilitator for the code for your role."
                    )
                    % {
                        "code_role": Role(role).label.lower(),
                        "own_role": Role(membership.role).label.lower(),
                    },
                    code="role_not_allowed",
                )
        _check_capacity(invitation)
    else:
        membership = membership_for(user=user, organisation_id=workshop.organisation_id)
        if membership is None:
            raise PermissionDenied
        if workshop.stage == Stage.ARCHIVED:
            raise ValidationError(_("This workshop is archived and no longer open."))
        role = membership.role
    participant = Participant(
        workshop=workshop,
        user=user,
        display_name=str(user)[:MAX_NAME],
        role=role,
        invitation=invitation,
    )
    participant.full_clean()
    participant.save()
    versions.version_bump(versions.ROSTER, workshop.pk)
    live_bump(workshop_id=workshop.pk)  # the join screen's head count
    if role == Role.FACILITATOR:
        audit_in_workshop(
            actor=participant,
            action="participant.join_facilitator",
            workshop=workshop,
            target=participant,
        )
    return participant


MAX_EMAILS = 200


def _parse_emails(raw: str) -> list[str]:
    from django.core.validators import validate_email

    found: list[str] = []
    bad: list[str] = []
    for item in re.split(r"[\s,;]+", raw or ""):
        item = item.strip().strip("<>").lower()
        if not item:
            continue
        try:
            validate_email(item)
        except ValidationError:
            bad.append(item)
            continue
        if item not in found:
            found.append(item)
    if bad:
        raise ValidationError(
            {"emails": _("These are not e-mail addresses: %(list)s") % {"list": ", ".join(bad[:5])}}
        )
    if not found:
        raise ValidationError({"emails": _("Type at least one e-mail address.")})
    if len(found) > MAX_EMAILS:
        raise ValidationError(
            {"emails": _("At most %(n)d addresses at a time.") % {"n": MAX_EMAILS}}
        )
    return found


@transaction.atomic
def invitation_send_emails(
    *, actor: Participant | None, invitation: Invitation, emails: str, join_url: str
) -> int:
    """Queue the invitation's link to each address. Returns how many new addresses were queued.

    The addresses and the outbox row that sends them are written in this transaction; a worker
    delivers them after the commit (kpiworkshop/core/outbox.py), so a broker outage delays the
    e-mails but neither fails this request nor loses them."""
    from .models import InvitationEmail
    from .tasks import deliver_invitation_emails

    workshop = invitation.workshop
    if not permissions.can_manage(actor, workshop):
        raise PermissionDenied
    if not invitation.is_usable:
        raise ValidationError({"emails": _("This code is revoked or expired; create a new one.")})
    addresses = _parse_emails(emails)
    existing = set(
        InvitationEmail.objects.filter(invitation=invitation, email__in=addresses).values_list(
            "email", flat=True
        )
    )
    new = [a for a in addresses if a not in existing]
    InvitationEmail.objects.bulk_create(
        [InvitationEmail(invitation=invitation, email=a) for a in new]
    )
    audit_in_workshop(
        actor=actor,
        action="invitation.email",
        workshop=workshop,
        target=invitation,
        count=len(new),
        role=invitation.role,
    )
    if new:
        outbox_add(
            task=deliver_invitation_emails.name,
            key=f"invitation:{invitation.pk}",
            payload={"invitation_id": invitation.pk, "join_url": join_url},
        )
    return len(new)


def _render_text(template_name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping, so "Rossi & Figli" stays as typed."""
    from django.template import Context
    from django.template.loader import get_template

    return get_template(template_name).template.render(Context(context, autoescape=False))


def invitation_emails_deliver(*, invitation_id: int, join_url: str) -> int:
    """Send every not-yet-sent e-mail of an invitation; returns how many this run sent.

    Safe to run twice, and at once: each address is claimed in its own short write (a claim
    that lapses with the outbox row's, ``current_claim_until``), sent outside any transaction
    so no database lock waits on the mail server, then marked sent. An address that another
    run still holds makes this run ask the outbox to come back (``OutboxRetry``)."""
    from django.core.mail import send_mail
    from django.db.models import Q
    from django.utils import translation

    from .models import InvitationEmail

    invitation = (
        Invitation.objects.select_related("workshop", "workshop__organisation")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not invitation.is_usable:
        return 0
    with translation.override(translation.get_language() or "en"):
        context = {"invitation": invitation, "join_url": join_url}
        subject = " ".join(_render_text("workshops/email_invitation_subject.txt", context).split())
        body = _render_text("workshops/email_invitation.txt", context)
    unsent = InvitationEmail.objects.filter(invitation=invitation, sent_at__isnull=True)
    sent = 0
    for row_id, address in list(unsent.values_list("pk", "email")):
        now = timezone.now()
        claimed = (
            unsent.filter(pk=row_id)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(claimed_until=current_claim_until())
        )
        if not claimed:
            continue
        try:
            send_mail(subject, body, None, [address])
        except Exception:
            unsent.filter(pk=row_id).update(claimed_until=None)  # the next attempt sends it
            raise
        unsent.filter(pk=row_id).update(sent_at=timezone.now(), claimed_until=None)
        sent += 1
    if unsent.exists():
        raise OutboxRetry(f"invitation {invitation_id}: addresses held by another run")
    return sent


# --- Moderation of open text (workshops/moderation.py) ----------------------------------------

MAX_MODERATION_REASON = 300


@transaction.atomic
def workshop_set_hold_open_text(
    *, actor: Participant | None, workshop: Workshop, hold: bool
) -> Workshop:
    """Switch "hold open text for the projector". Text already waiting stays in the queue
    when it is switched off: the facilitator still decides on it. Takes the workshop's row
    lock, so two facilitators switching at once leave one audited change each way, never a
    lost one."""
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if not permissions.can_moderate_text(actor, locked):
        raise PermissionDenied(_("Only the facilitator moderates this workshop."))
    hold = bool(hold)
    if locked.hold_open_text == hold:
        return locked
    locked.hold_open_text = hold
    locked.save(update_fields=["hold_open_text", "updated_at"])
    audit_in_workshop(actor=actor, action="workshop.hold_open_text", workshop=locked, hold=hold)
    live_bump(workshop_id=locked.pk)
    return locked


def _held_item(kind: ModeratedKind, workshop: Workshop, item_id: int):
    """The item, row-locked, if it belongs to ``workshop``; a ValidationError otherwise (an id
    of another workshop or organisation reads as "not found", never as its content)."""
    item = (
        kind.model.objects.select_for_update(of=("self",))
        .filter(pk=item_id, **{kind.workshop_lookup: workshop})
        .first()
    )
    if item is None:
        raise ValidationError(_("This text is no longer in the queue."), code="not_found")
    if item.moderation != Moderation.HELD:
        raise ValidationError(
            _("This text was already let through or hidden."), code="already_decided"
        )
    return item


def _moderation_decide(
    *,
    actor,
    action: str,
    workshop: Workshop,
    kind_key: str,
    item_id: int,
    state: str,
    reason: str = "",
):
    kind = moderated_kind(kind_key)
    if not permissions.can_moderate_text(actor, workshop):
        raise PermissionDenied(_("Only the facilitator moderates this workshop."))
    if kind is None:
        raise ValidationError(_("This text is no longer in the queue."), code="not_found")
    if kind.lock_workshop:
        Workshop.objects.select_for_update().get(pk=workshop.pk)
    item = _held_item(kind, workshop, item_id)
    into = None
    if state == Moderation.SHOWN and kind.fold_on_release is not None:
        into = kind.fold_on_release(item)
    if into is None:
        item.moderation = state
        item.moderation_reason = reason
        item.moderated_by = actor
        item.moderated_at = timezone.now()
        item.save(
            update_fields=[
                "moderation",
                "moderation_reason",
                "moderated_by",
                "moderated_at",
                "updated_at",
            ]
        )
    details = {"kind": kind.key} | ({"reason": reason} if reason else {})
    if into is not None:
        details["into"] = into.pk
    audit_in_workshop(actor=actor, action=action, workshop=workshop, target=item, **details)
    if into is not None:
        # Folded: what it kept lives on the shown item now (see ``ModeratedKind``).
        item.delete()
    # A text let through (or hidden) changes what the pages keyed by its kind's version show
    # (``core.versions``): the board's cards and comment counts, or the map's KPI tree.
    versions.version_bump(kind.version_scope, workshop.pk)
    live_bump(workshop_id=workshop.pk)
    return into or item


@transaction.atomic
def moderation_release(*, actor: Participant | None, workshop: Workshop, kind: str, item_id: int):
    """Let a waiting text through: the room's screens show it from now on. Takes the item's
    row lock: two facilitators deciding at once decide once, the second is told it was
    already decided."""
    return _moderation_decide(
        actor=actor,
        action="moderation.release",
        workshop=workshop,
        kind_key=kind,
        item_id=item_id,
        state=Moderation.SHOWN,
    )


@transaction.atomic
def moderation_hide(
    *, actor: Participant | None, workshop: Workshop, kind: str, item_id: int, reason: str
):
    """Hide a waiting text, saying why: the room never sees it, its author sees the reason.
    Locks as ``moderation_release``."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the text is hidden.")})
    if len(reason) > MAX_MODERATION_REASON:
        raise ValidationError(
            {"reason": _("Keep the reason under %(n)d characters.") % {"n": MAX_MODERATION_REASON}}
        )
    return _moderation_decide(
        actor=actor,
        action="moderation.hide",
        workshop=workshop,
        kind_key=kind,
        item_id=item_id,
        state=Moderation.HIDDEN,
        reason=reason,
    )
