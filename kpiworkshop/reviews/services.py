"""Every write of the reviews: people's feedback on a published KPI and its moderation,
measured values (entered, imported from a CSV, computed from a dataset version), review dates
and settings, the reminder run, and the review workshop with its keep / change / retire round.

Audit codes keep the ``catalog.`` prefix they had before the app was split out (issue 18):
rows already written carry them."""

import calendar
import csv
import datetime
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import override as translation_override

from kpiworkshop.approval.models import NOTE_FIELDS, TrainingNotes
from kpiworkshop.approval.services import MAX_REASON, proposal_lock
from kpiworkshop.catalog import selectors as catalog_selectors
from kpiworkshop.catalog.models import CatalogEntry
from kpiworkshop.catalog.permissions import Reader
from kpiworkshop.core import versions
from kpiworkshop.core.audit import audit_in_workshop, audit_record
from kpiworkshop.core.outbox import outbox_add
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import Proposal, ProposalKind, RevisionNote
from kpiworkshop.workshops.models import Participant, Stage, Workshop

from . import periods, permissions, selectors
from .models import (
    Answer,
    EntryReview,
    Feedback,
    Measurement,
    ReviewCycle,
    ReviewItem,
    ReviewReminder,
    ReviewSettings,
)
from .tasks import review_reminder_deliver as review_reminder_deliver_task

MAX_FEEDBACK_COMMENT = 1000
MAX_HIDE_REASON = 300
MAX_BREAKDOWN = 60
#: A value may be entered for a period up to this many days ahead (a month being closed early).
FUTURE_DAYS = periods.FUTURE_DAYS
MAX_CSV_BYTES = 1_000_000
MAX_CSV_ROWS = 5000
#: The columns a values CSV may have, in the order the messages name them.
CSV_COLUMNS = ("period", "value", "breakdown")


def _org_audit(actor, action: str, organisation_id: int, target=None, **details) -> None:
    audit_record(
        actor=actor, action=action, organisation_id=organisation_id, target=target, details=details
    )


def _is_current(entry: CatalogEntry) -> bool:
    current = catalog_selectors.release_current(organisation_id=entry.release.organisation_id)
    return current is not None and current.pk == entry.release_id


# feedback ------------------------------------------------------------------------------------


def feedback_answer(
    *, reader: Reader | None, person: str, entry: CatalogEntry, answer: str, comment=""
) -> Feedback:
    """Answer (or change the answer to) "Is this KPI helping you do a good job?". An upsert on
    the (entry, person) key: any number of identical concurrent answers leave one row."""
    organisation_id = entry.release.organisation_id
    if not person or not permissions.can_give_feedback(
        reader, organisation_id, is_current=_is_current(entry)
    ):
        raise PermissionDenied(_("Only people of the organisation answer, on the current release."))
    if answer not in Answer.values:
        raise ValidationError({"answer": _("Choose an answer.")})
    comment = (comment or "").strip()
    if len(comment) > MAX_FEEDBACK_COMMENT:
        raise ValidationError(
            {"comment": _("At most %(n)d characters.") % {"n": MAX_FEEDBACK_COMMENT}}
        )
    row = Feedback(
        entry=entry, person=person[:80], role=reader.role, answer=answer, comment=comment
    )
    # INSERT … ON CONFLICT (entry, person) DO UPDATE: one statement, no read-then-write race.
    # A comment hidden by a facilitator stays hidden when its author edits it.
    Feedback.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["entry", "person"],
        update_fields=["answer", "comment", "role", "updated_at"],
    )
    return Feedback.objects.get(entry=entry, person=row.person)


@transaction.atomic
def feedback_hide(*, reader: Reader | None, user, feedback: Feedback, reason: str) -> Feedback:
    """Hide a feedback comment from every page, with a reason (audited). The answer still
    counts."""
    feedback = (
        Feedback.objects.select_for_update().select_related("entry__release").get(pk=feedback.pk)
    )
    organisation_id = feedback.entry.release.organisation_id
    if not permissions.can_moderate_feedback(reader, organisation_id):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the comment is hidden.")})
    if len(reason) > MAX_HIDE_REASON:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": MAX_HIDE_REASON}})
    feedback.hidden_reason = reason
    feedback.save(update_fields=["hidden_reason"])
    _org_audit(user, "catalog.feedback_hide", organisation_id, target=feedback, reason=reason)
    return feedback


# measured values -----------------------------------------------------------------------------


def _check_values_allowed(reader, entry: CatalogEntry) -> None:
    if not permissions.can_record_values(reader, entry.release.organisation_id, entry.audiences):
        raise PermissionDenied(
            _("Only the KPI's accountable audience and the facilitators enter its values.")
        )


def parse_value(raw) -> Decimal:
    """A number as people type it: ``12.5``, ``12,5``, ``1 234,5``, ``85%``."""
    text = str(raw or "").strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("“%(v)s” is not a number.") % {"v": str(raw)[:40]}) from None
    if not value.is_finite() or abs(value) >= Decimal(10) ** 14:
        raise ValidationError(_("“%(v)s” is not a number.") % {"v": str(raw)[:40]})
    return value.quantize(Decimal("0.0001"))


def parse_period(raw, kind: str = periods.DAY) -> datetime.date:
    """A period as the first day of the period of ``kind`` that holds it: a date
    (``2026-03-31``), a month (``2026-03``, read as its first day), an ISO week (``2026-W13``)
    or a quarter (``2026-Q1``), or a date in the reader's format (``31/03/2026``)."""
    if isinstance(raw, datetime.date):
        period = raw
    else:
        text = str(raw or "").strip()
        period = periods.parse_period_text(text, kind)
        if period is None:
            if kind == periods.DAY:
                raise ValidationError(
                    _("“%(v)s” is not a date (year-month-day or year-month).") % {"v": text[:40]}
                )
            raise ValidationError(periods.period_error(text, kind))
    period = periods.period_start(period, kind)
    if period > timezone.localdate() + datetime.timedelta(days=FUTURE_DAYS):
        raise ValidationError(_("%(d)s is too far in the future.") % {"d": period.isoformat()})
    if period.year < 1990:
        raise ValidationError(_("%(d)s is too far in the past.") % {"d": period.isoformat()})
    return period


def entry_period_kind(entry: CatalogEntry) -> str:
    """The kind of period the entry's KPI is measured over, from its frequency."""
    return periods.period_kind((entry.definition or {}).get("frequency"))


def _clean_breakdown(raw) -> str:
    text = " ".join(str(raw or "").split())
    if len(text) > MAX_BREAKDOWN:
        raise ValidationError(_("A breakdown has at most %(n)d characters.") % {"n": MAX_BREAKDOWN})
    return text


@transaction.atomic
def measurement_record(
    *,
    reader: Reader | None,
    user,
    entry: CatalogEntry,
    period,
    value,
    breakdown: str = "",
) -> Measurement:
    """One measured value of a KPI for a period. A second value for the same period (and
    breakdown) is refused by the unique key, with a message."""
    _check_values_allowed(reader, entry)
    kind = entry_period_kind(entry)
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for field, parse, raw in (
        ("period", lambda raw: parse_period(raw, kind), period),
        ("value", parse_value, value),
        ("breakdown", _clean_breakdown, breakdown),
    ):
        try:
            clean[field] = parse(raw)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    measurement = Measurement(
        organisation_id=entry.release.organisation_id,
        kpi_uid=entry.kpi_uid,
        entry=entry,
        entered_by_name=_name_of(user),
        **clean,
    )
    try:
        with transaction.atomic():
            measurement.save()
    except IntegrityError:
        raise ValidationError(
            {
                "period": [
                    _("There is already a value for %(d)s.")
                    % {"d": periods.period_label(clean["period"], kind)}
                ]
            }
        ) from None
    _org_audit(
        user,
        "catalog.value",
        entry.release.organisation_id,
        target=measurement,
        period=clean["period"].isoformat(),
        value=str(clean["value"]),
    )
    return measurement


def _name_of(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return (getattr(user, "display_name", "") or user.get_username())[:150]


def _check_csv_header(header: list[str]) -> None:
    """A values CSV names period and value, optionally breakdown, each once, and nothing else:
    a column we would drop without a word (a comment, a second value) is refused instead, and
    the message stays short however many columns the file has."""
    allowed = ", ".join(CSV_COLUMNS)
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        names = [f"“{h[:30]}”" if h else _("(unnamed)") for h in unknown[:5]]
        raise ValidationError(
            _(
                "Line 1: unknown columns %(unknown)s (the header has %(n)d columns). A values "
                "file has only the columns %(allowed)s."
            )
            % {
                "n": len(header),
                "allowed": allowed,
                "unknown": ", ".join(names) + ("…" if len(unknown) > 5 else ""),
            }
        )
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise ValidationError(
            _("Line 1: the column %(name)s is named more than once.") % {"name": ", ".join(twice)}
        )
    if "period" not in header or "value" not in header:
        raise ValidationError(_("Line 1: the header must name the columns period and value."))


@transaction.atomic
def measurements_import_csv(
    *, reader: Reader | None, user, entry: CatalogEntry, data: bytes
) -> int:
    """Import values from CSV (header ``period,value[,breakdown]``; comma or semicolon). Every
    row is checked first; any bad row is reported with its line number and nothing of the file
    is saved. Returns the number of values saved."""
    _check_values_allowed(reader, entry)
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError(_("The file is larger than 1 MB."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text.")) from None
    if not text.strip():
        raise ValidationError(_("The file is empty."))
    try:
        # The header's start is enough to tell the delimiter (a huge header is refused below).
        dialect = csv.Sniffer().sniff(text.splitlines()[0][:1000], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader_csv = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader_csv, [])]
    _check_csv_header(header)
    col = {name: header.index(name) for name in CSV_COLUMNS if name in header}
    existing = set(
        Measurement.objects.filter(
            organisation_id=entry.release.organisation_id, kpi_uid=entry.kpi_uid
        ).values_list("period", "breakdown")
    )
    seen: dict[tuple, int] = {}
    rows: list[Measurement] = []
    errors: list[str] = []
    for cells in reader_csv:
        line = reader_csv.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(rows) + len(errors) >= MAX_CSV_ROWS:
            errors.append(_("More than %(n)d rows.") % {"n": MAX_CSV_ROWS})
            break

        if len(cells) > len(header):
            errors.append(
                _("Line %(n)d: %(c)d cells, but the header names %(h)d columns.")
                % {"n": line, "c": len(cells), "h": len(header)}
            )
            continue

        def cell(name, cells=cells):
            i = col.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        try:
            period = parse_period(cell("period"), entry_period_kind(entry))
            value = parse_value(cell("value"))
            breakdown = _clean_breakdown(cell("breakdown"))
        except ValidationError as exc:
            errors.append(_("Line %(n)d: %(m)s") % {"n": line, "m": " ".join(exc.messages)})
            continue
        key = (period, breakdown)
        if key in existing:
            errors.append(
                _("Line %(n)d: there is already a value for %(d)s.") % {"n": line, "d": period}
            )
            continue
        if key in seen:
            errors.append(
                _("Line %(n)d: %(d)s is also on line %(m)d.")
                % {"n": line, "d": period, "m": seen[key]}
            )
            continue
        seen[key] = line
        rows.append(
            Measurement(
                organisation_id=entry.release.organisation_id,
                kpi_uid=entry.kpi_uid,
                entry=entry,
                period=period,
                value=value,
                breakdown=breakdown,
                entered_by_name=_name_of(user),
            )
        )
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("The file has no values."))
    try:
        with transaction.atomic():
            Measurement.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:  # a value entered meanwhile for one of these periods
        raise ValidationError(
            _("Some of these periods got a value meanwhile; nothing was saved.")
        ) from None
    _org_audit(
        user, "catalog.values_import", entry.release.organisation_id, target=entry, rows=len(rows)
    )
    return len(rows)


# review schedule and reminders ----------------------------------------------------------------


def review_default_date(*, organisation_id: int, after: datetime.date) -> datetime.date:
    """The next review of a release effective on ``after``: the organisation's interval later
    (3 months by default), on the same day of the month or the month's last day."""
    months = (
        ReviewSettings.objects.filter(organisation_id=organisation_id)
        .values_list("interval_months", flat=True)
        .first()
        or 3
    )
    month0 = after.month - 1 + months
    year, month = after.year + month0 // 12, month0 % 12 + 1
    day = min(after.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


@transaction.atomic
def review_settings_save(
    *, reader, user, organisation_id: int, interval_months: int, remind_days_before: int
) -> ReviewSettings:
    if not permissions.can_manage_reviews(reader, organisation_id):
        raise PermissionDenied
    errors = {}
    if not isinstance(interval_months, int) or not 1 <= interval_months <= 36:
        errors["interval_months"] = [_("Between 1 and 36 months.")]
    if not isinstance(remind_days_before, int) or not 0 <= remind_days_before <= 90:
        errors["remind_days_before"] = [_("Between 0 and 90 days.")]
    if errors:
        raise ValidationError(errors)
    settings_row, _c = ReviewSettings.objects.update_or_create(
        organisation_id=organisation_id,
        defaults={"interval_months": interval_months, "remind_days_before": remind_days_before},
    )
    _org_audit(user, "catalog.review_settings", organisation_id, interval=interval_months)
    return settings_row


@transaction.atomic
def entry_review_set(
    *, reader, user, entry: CatalogEntry, next_review: datetime.date | None
) -> EntryReview | None:
    """An entry's own next-review date (None: the release's date applies)."""
    organisation_id = entry.release.organisation_id
    if not permissions.can_manage_reviews(reader, organisation_id):
        raise PermissionDenied
    if next_review is None:
        EntryReview.objects.filter(entry=entry).delete()
        _org_audit(user, "catalog.entry_review", organisation_id, target=entry, date=None)
        return None
    if next_review <= entry.release.effective_date:
        raise ValidationError({"next_review": _("The next review comes after the release.")})
    row, _c = EntryReview.objects.update_or_create(
        entry=entry, defaults={"next_review": next_review}
    )
    _org_audit(
        user, "catalog.entry_review", organisation_id, target=entry, date=next_review.isoformat()
    )
    return row


def review_reminders_send(*, today: datetime.date | None = None) -> int:
    """Write one reminder per due review per facilitator of its organisation, and queue its
    e-mail in the outbox. Idempotent: the reminder's unique key makes a second run (or a
    second worker at the same time) write nothing. Returns the number of new reminders."""
    today = today or timezone.localdate()
    created = 0
    for due in selectors.reviews_to_remind(today=today):
        for user_id in due.recipient_ids:
            try:
                with transaction.atomic():
                    reminder = ReviewReminder.objects.create(
                        release_id=due.release_id,
                        entry_id=due.entry_id,
                        entry_key=due.entry_id or 0,
                        due=due.due,
                        recipient_id=user_id,
                    )
                    outbox_add(
                        task=review_reminder_deliver_task.name,
                        key=f"review-reminder:{reminder.pk}",
                        payload={"reminder_id": reminder.pk},
                    )
            except IntegrityError:
                continue  # already reminded (this run's twin, or an earlier run)
            created += 1
    return created


def review_reminder_deliver(*, reminder_id: int) -> bool:
    """Send one reminder's e-mail (run from the outbox). The ``sent_at`` claim is taken in one
    conditional UPDATE, so a repeated run sends nothing; a failed send releases it."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    now = timezone.now()
    if not ReviewReminder.objects.filter(pk=reminder_id, sent_at__isnull=True).update(sent_at=now):
        return False
    reminder = ReviewReminder.objects.select_related(
        "release__organisation", "entry", "recipient"
    ).get(pk=reminder_id)
    if not reminder.recipient.email:
        return False
    try:
        with translation.override(reminder.release.language):
            context = {
                "reminder": reminder,
                "release": reminder.release,
                "entry": reminder.entry,
                "url": settings.SITE_URL.rstrip("/")
                + reverse("reviews:reviews", args=[reminder.release.organisation.slug]),
            }
            subject = " ".join(render_to_string("reviews/reminder_subject.txt", context).split())
            body = render_to_string("reviews/reminder_email.txt", context)
        send_mail(subject, body, None, [reminder.recipient.email])
    except Exception:
        ReviewReminder.objects.filter(pk=reminder_id).update(sent_at=None)
        raise
    return True


# the review workshop --------------------------------------------------------------------------


def review_workshop_start(*, reader, user, organisation_id: int):
    """Open a review workshop on the current release: every entry becomes a ``keep`` proposal
    (with its definition and training notes), which participants may turn into ``change`` or
    ``retire``. One per release (``ReviewCycle``): starting twice returns the same workshop."""
    from kpiworkshop.accounts.models import Organisation
    from kpiworkshop.workshops import services as workshop_services

    if not permissions.can_manage_reviews(reader, organisation_id):
        raise PermissionDenied(_("Only the organisation's facilitators start a review."))
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
        release = catalog_selectors.release_current(organisation_id=organisation_id)
        if release is None:
            raise ValidationError(_("There is no published catalogue to review yet."))
        existing = ReviewCycle.objects.filter(release=release).select_related("workshop").first()
        if existing is not None:
            return existing.workshop
        with translation_override(release.language):
            title = _("Review of KPI catalogue %(v)s") % {"v": release.version}
        workshop = workshop_services.workshop_create(
            user=user, organisation=organisation, title=title
        )
        facilitator = Participant.objects.get(workshop=workshop, user=user)
        workshop_services.workshop_set_stage(
            actor=facilitator, workshop=workshop, stage=Stage.PROPOSE, expected_stage=Stage.DRAFT
        )
        workshop.refresh_from_db()
        proposal_of: dict[str, int] = {}
        for entry in catalog_selectors.entries_for(release=release):
            definition = dict(entry.definition or {}) | {
                "name": entry.name,
                "category": entry.category,
            }
            if not definition.get("measures"):
                definition["measures"] = entry.name
            if entry.counter_metric and not definition.get("counter_metric_text"):
                definition["counter_metric_text"] = entry.counter_metric
            proposal = kpi_services.proposal_create(
                actor=facilitator,
                workshop=workshop,
                definition=definition,
                kind=ProposalKind.KEEP,
                catalog_entry_id=entry.pk,
                # The system's note, as a code: each reader sees it in their language.
                note_code=RevisionNote.FROM_CATALOGUE,
                note_params={"version": release.version},
            )
            if entry.internal_fields:
                Proposal.objects.filter(pk=proposal.pk).update(
                    internal_fields=list(entry.internal_fields)
                )
            ReviewItem.objects.create(proposal=proposal, entry=entry)
            proposal_of[str(entry.kpi_uid)] = proposal.pk
            TrainingNotes.objects.bulk_create(
                [
                    TrainingNotes(
                        proposal=proposal,
                        language=lang,
                        **{f: (notes or {}).get(f, "") or "-" for f in NOTE_FIELDS},
                    )
                    for lang, notes in (entry.training_notes or {}).items()
                    if lang in dict(settings.LANGUAGES)
                ]
            )
        _review_tree_import(
            facilitator=facilitator, workshop=workshop, release=release, proposal_of=proposal_of
        )
        ReviewCycle.objects.create(release=release, workshop=workshop)
        audit_in_workshop(
            actor=facilitator,
            action="catalog.review_start",
            workshop=workshop,
            target=release,
            version=release.version,
        )
        return workshop


def _review_tree_import(
    *, facilitator: Participant, workshop: Workshop, release, proposal_of: dict[str, int]
) -> int:
    """The review workshop's tree starts from the release's: each of its (accepted) links
    becomes an accepted link between the review proposals of its two entries, so the room
    continues from the agreed tree. A link naming a KPI the workshop has no proposal for is
    skipped (the audit event counts it)."""
    from kpiworkshop.mapping import services as mapping_services

    with translation_override(release.language):
        agreed = _("Agreed in catalogue %(v)s") % {"v": release.version}
    links = [
        (
            proposal_of.get(str(link.get("from"))),
            proposal_of.get(str(link.get("to"))),
            link.get("kind", ""),
            link.get("why") or agreed,
        )
        for link in release.tree or []
        if isinstance(link, dict)
    ]
    return mapping_services.tree_links_import(actor=facilitator, workshop=workshop, links=links)


@transaction.atomic
def review_proposal_set_kind(
    *, actor: Participant | None, proposal: Proposal, kind: str, reason: str = ""
) -> Proposal:
    """Turn a review proposal into keep, change or retire. A retire needs a reason; a change
    then gets its new revision like any proposal."""
    from kpiworkshop.kpis import permissions as kpi_permissions

    proposal = proposal_lock(proposal)
    item = ReviewItem.objects.filter(proposal=proposal).first()
    if item is None or not kpi_permissions.can_edit(actor, proposal):
        raise PermissionDenied(_("Only the author or the facilitator can change this proposal."))
    if kind not in (ProposalKind.KEEP, ProposalKind.CHANGE, ProposalKind.RETIRE):
        raise ValidationError({"kind": _("Choose keep, change or retire.")})
    reason = (reason or "").strip()
    if kind == ProposalKind.RETIRE and not reason:
        raise ValidationError({"reason": _("Say why this KPI should be retired.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": MAX_REASON}})
    proposal.kind = kind
    proposal.save(update_fields=["kind", "updated_at"])
    versions.version_bump(versions.BOARD, proposal.workshop_id)
    item.reason = reason if kind == ProposalKind.RETIRE else ""
    item.save(update_fields=["reason"])
    audit_in_workshop(
        actor=actor,
        action="catalog.review_kind",
        workshop=proposal.workshop,
        target=proposal,
        kind=kind,
    )
    return proposal


def review_ballot_create(*, actor: Participant | None, workshop: Workshop):
    """A review workshop's "keep, change or retire?" round: a multi-criteria ballot over its
    open proposals with the three criteria Keep it / Change it / Retire it (1–5 each), so the
    results per stakeholder group, the divergence signal and secrecy work as in any round."""
    from kpiworkshop.voting import services as voting_services
    from kpiworkshop.voting.models import Method

    if not ReviewCycle.objects.filter(workshop=workshop).exists():
        raise ValidationError(_("This is not a review workshop."))
    with translation.override(
        ReviewCycle.objects.filter(workshop=workshop).values_list("release__language", flat=True)[0]
    ):
        title = _("Keep, change or retire?")
        criteria = [_("Keep it as it is"), _("Change it"), _("Retire it")]
    return voting_services.ballot_create(
        actor=actor, workshop=workshop, title=title, method=Method.SCORE, criteria=criteria
    )


# measured values computed from a dataset version (issue 19) -----------------------------------


def _breakdown_of(dimension: str, label: str) -> str:
    return " ".join(f"{dimension}: {label}".split())[:MAX_BREAKDOWN] if dimension else ""


def measurements_compute(*, version_id: int) -> int:
    """Compute the current catalogue's measured values, per period and per breakdown
    ("channel: chat"), from one ready dataset version, for every entry whose KPI has a
    computable definition over that dataset. Returns the number of values written or changed.

    Run from the outbox when a version becomes its dataset's current one. Idempotent: values
    are keyed by (organisation, KPI, period, breakdown); a computed value is updated in place
    and a hand-entered one (or one from the values CSV) is never overwritten. A version that is
    no longer its dataset's current one computes nothing, so a late run of an older version
    cannot replace a newer version's values. Values of periods the new version no longer holds
    are kept (the series' history)."""
    from kpiworkshop.datasets.definition import Definition
    from kpiworkshop.datasets.models import DatasetVersion, KpiDefinition, VersionStatus
    from kpiworkshop.datasets.values import values_compute

    version = DatasetVersion.objects.select_related("dataset").filter(pk=version_id).first()
    if (
        version is None
        or version.status != VersionStatus.READY
        or version.dataset.current_version_id != version.pk
    ):
        return 0
    organisation_id = version.dataset.organisation_id
    release = catalog_selectors.release_current(organisation_id=organisation_id)
    if release is None:
        return 0
    entries = list(
        CatalogEntry.objects.filter(release=release, proposal__isnull=False)
        .select_related("proposal")
        .only("pk", "kpi_uid", "proposal__current_revision_id")
    )
    by_revision = {e.proposal.current_revision_id: e for e in entries}
    kpi_definitions = KpiDefinition.objects.filter(
        organisation_id=organisation_id,
        dataset_id=version.dataset_id,
        revision_id__in=list(by_revision),
    ).only("revision_id", "spec")
    definitions = {
        by_revision[k.revision_id].pk: Definition.from_dict(k.spec) for k in kpi_definitions
    }
    computed = values_compute(definitions=definitions, version=version)
    entry_of = {e.pk: e for e in entries}
    wanted: dict[tuple, tuple[CatalogEntry, datetime.date, str, Decimal]] = {}
    for entry_id, values in computed.items():
        entry = entry_of[entry_id]
        for v in values:
            breakdown = _breakdown_of(v.dimension, v.label)
            value = Decimal(str(round(v.value, 4)))
            wanted[(entry.kpi_uid, v.period, breakdown)] = (entry, v.period, breakdown, value)
    if not wanted:
        return 0
    changed = 0
    with transaction.atomic():
        existing = {
            (m.kpi_uid, m.period, m.breakdown): m
            for m in Measurement.objects.select_for_update().filter(
                organisation_id=organisation_id,
                kpi_uid__in={key[0] for key in wanted},
            )
        }
        create: list[Measurement] = []
        update: list[Measurement] = []
        for key, (entry, period, breakdown, value) in wanted.items():
            current = existing.get(key)
            if current is None:
                create.append(
                    Measurement(
                        organisation_id=organisation_id,
                        kpi_uid=entry.kpi_uid,
                        entry_id=entry.pk,
                        period=period,
                        breakdown=breakdown,
                        value=value,
                        computed=True,
                        source_version_id=version.pk,
                    )
                )
            elif current.computed and (
                current.value != value
                or current.source_version_id != version.pk
                or current.entry_id != entry.pk
            ):
                current.value = value
                current.source_version_id = version.pk
                current.entry_id = entry.pk
                update.append(current)
        Measurement.objects.bulk_create(create, batch_size=1000)
        Measurement.objects.bulk_update(
            update, ["value", "source_version", "entry"], batch_size=1000
        )
        changed = len(create) + len(update)
        if changed:
            _org_audit(
                None,
                "catalog.values_computed",
                organisation_id,
                target=release,
                version_id=version.pk,
                values=changed,
                kpis=len(computed),
            )
    return changed
