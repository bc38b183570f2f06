"""The reviews' pages: on a KPI's catalogue page, the feedback question, the measured values
with their chart and the review date (a panel registered with ``catalog.pages``, and the posts
that update it); the organisation's review schedule and settings; the review workshop's board."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog import selectors as catalog_selectors
from kpiworkshop.catalog.access import (
    CatalogueAccess,
    catalogue_as_reader,
    catalogue_load,
    catalogue_release,
)
from kpiworkshop.core.htmx import (
    HtmxHttpRequest,
    error_text,
    form_error_text,
    form_errors_from,
    message_error,
)
from kpiworkshop.voting import permissions as voting_permissions
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.access import guest_key_of, load_workshop

from . import fragments, permissions, selectors, services
from .charts import chart_build
from .forms import (
    EntryReviewForm,
    FeedbackForm,
    HideForm,
    ReviewKindForm,
    ReviewSettingsForm,
    ValueForm,
    ValuesImportForm,
)
from .models import Answer
from .periods import period_label

_NOT_READ = object()


def _person_of(request) -> str:
    """Who answers feedback: the account, else the guest device."""
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    key = guest_key_of(request)
    return f"g:{key}" if key else ""


def _entry_of(access: CatalogueAccess, version: str, kpi: str):
    release = catalogue_release(access, version)
    try:
        kpi_uid = str(uuid.UUID(kpi))
    except ValueError as exc:
        raise Http404 from exc
    entry = catalog_selectors.entry_get(release=release, kpi_uid=kpi_uid)
    if entry is None:
        raise Http404
    return release, entry


def entry_panel(request, access: CatalogueAccess, release, entry, current) -> dict:
    """The KPI page's reviews panel (registered with ``catalog.pages`` from this app's
    AppConfig.ready): ``current`` is the organisation's current release, which the page read."""
    return review_entry_context(request, access, release, entry, current=current)


def review_entry_context(
    request, access: CatalogueAccess, release, entry, current=_NOT_READ, **forms
) -> dict:
    """What the KPI page shows of issue 10: the feedback question and its counts, the chart
    of measured values with its table, the forms for the people allowed. Fixed query count.
    ``current``: the organisation's current release when the caller already read it.

    The forms come blank from the shared fragment (``fragments.entry_forms``), its CSRF slot
    filled; a form in ``forms`` (sent back with its errors) or the reader's own feedback
    answer is rendered for this request."""
    org_id = access.organisation.pk
    if current is _NOT_READ:
        current = catalog_selectors.release_current(organisation_id=org_id)
    is_current = current is not None and current.pk == release.pk
    person = _person_of(request)
    reads = selectors.entry_page_reads(
        entry=entry,
        organisation_id=org_id,
        person=person,
        with_comments=permissions.can_see_feedback_comments(access.reader, org_id),
    )
    mine, values = reads.own, reads.values
    overall = [m for m in values if not m.breakdown]
    chart = chart_build(definition=entry.definition or {}, measurements=overall)
    kind = services.entry_period_kind(entry)
    may_record = permissions.can_record_values(access.reader, org_id, entry.audiences)
    may_manage = permissions.can_manage_reviews(access.reader, org_id)
    own_review = None
    if may_manage:
        own_review = getattr(getattr(entry, "review", None), "next_review", None)
    can_answer = permissions.can_give_feedback(access.reader, org_id, is_current=is_current)
    context = {
        "organisation": access.organisation,
        "release": release,
        "entry": entry,
        "fb_is_current": is_current,
        "fb_can_answer": can_answer and bool(person),
        "fb_mine": mine,
        "fb_summary": reads.summary,
        "fb_role_labels": dict(Role.choices),
        "fb_answer_labels": dict(Answer.choices),
        "fb_comments": reads.comments,
        "fb_can_hide": permissions.can_moderate_feedback(access.reader, org_id),
        "chart": chart,
        "values": _value_rows(values, chart, kind),
        "values_have_breakdowns": any(m.breakdown for m in values),
        "may_record": may_record,
        "may_manage_reviews": may_manage,
    }
    if not (context["fb_can_answer"] or may_record or may_manage):
        return context
    shared = fragments.entry_forms.get(
        access,
        organisation=access.organisation,
        release=release,
        entry=entry,
        is_current=is_current,
        today=timezone.localdate().isoformat(),
        next_review=own_review.isoformat() if own_review else None,
    )
    csrf = get_token(request)

    def part(name: str, partial: str, bound: dict) -> SafeString:
        if bound:  # the reader's own: rendered now, with the request (its CSRF token)
            return render_to_string(f"{fragments.TEMPLATE}#{partial}", context | bound, request)
        return fragments.entry_form_part(shared, name, csrf=csrf)

    if context["fb_can_answer"]:
        bound = {}
        if forms.get("fb_form") or mine:
            initial = {"answer": mine.answer, "comment": mine.comment} if mine else None
            bound = {"fb_form": forms.get("fb_form") or FeedbackForm(initial=initial)}
        context["fb_form_html"] = part("feedback", "feedback-form", bound)
    if may_record:
        bound = {}
        if forms.get("value_form") or forms.get("import_form") or forms.get("import_errors"):
            bound = {
                "value_form": forms.get("value_form") or ValueForm(kind=kind),
                "import_form": forms.get("import_form") or ValuesImportForm(),
                "import_errors": forms.get("import_errors") or [],
            }
        context["record_forms_html"] = part("record", "record-forms", bound)
    if may_manage:
        context["review_form_html"] = part("review", "review-form", {})
    return context


def catalogue_links(access: CatalogueAccess) -> list[dict]:
    """The catalogue page's link to the review schedule, for those who run the reviews
    (registered with ``catalog.pages``)."""
    if not permissions.can_manage_reviews(access.reader, access.organisation.pk):
        return []
    url = reverse("reviews:reviews", args=[access.organisation.slug])
    return [{"url": url, "label": _("Reviews"), "testid": "reviews-link"}]


def _value_rows(values, chart, kind: str) -> list[tuple]:
    """(measurement, its period as the reader says it, better than the baseline: True / False /
    None) for the table."""
    good = {p.period: p.good for p in chart.points}
    return [
        (m, period_label(m.period, kind), None if m.breakdown else good.get(m.period))
        for m in values
    ]


def _render_entry(request, access, release, entry, fragment: str = "", status=200, **forms):
    """The KPI page (or one of its issue-10 fragments for htmx) with these forms bound."""
    context = review_entry_context(request, access, release, entry, **forms)
    if request.htmx and fragment:
        return render(request, f"reviews/_entry.html#{fragment}", context, status=status)
    return redirect(
        reverse("catalog:entry", args=[access.organisation.slug, release.version, entry.kpi_uid])
    )


@require_POST
def entry_feedback(request: HtmxHttpRequest, org: str, version: str, kpi: str) -> HttpResponse:
    access = catalogue_load(request, org)
    release, entry = _entry_of(access, version, kpi)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_answer(
                reader=access.reader,
                person=_person_of(request),
                entry=entry,
                answer=form.cleaned_data["answer"],
                comment=form.cleaned_data["comment"],
            )
        except PermissionDenied as exc:
            form.add_error(None, error_text(exc) if str(exc) else _("You cannot answer here."))
        except ValidationError as exc:
            form_errors_from(form, exc)
    if form.errors:
        if not request.htmx:
            messages.error(request, form_error_text(form))
        return _render_entry(request, access, release, entry, "feedback", 422, fb_form=form)
    if not request.htmx:
        messages.success(request, _("Thank you: your answer is saved."))
    response = _render_entry(request, access, release, entry, "feedback", fb_saved=True)
    return response


@require_POST
def feedback_hide(request: HtmxHttpRequest, org: str, feedback_id: int) -> HttpResponse:
    access = catalogue_load(request, org)
    feedback = selectors.feedback_get(
        organisation_id=access.organisation.pk, feedback_id=feedback_id
    )
    if feedback is None:
        raise Http404
    form = HideForm(request.POST)
    entry = feedback.entry
    if form.is_valid():
        try:
            catalogue_as_reader(
                request,
                access,
                services.feedback_hide,
                feedback=feedback,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("The comment is hidden."))
        except ValidationError as exc:
            message_error(request, exc)
    else:
        messages.error(request, _("Say why the comment is hidden."))
    return redirect(
        reverse("catalog:entry", args=[org, entry.release.version, entry.kpi_uid]) + "#feedback"
    )


@require_POST
def entry_value(request: HtmxHttpRequest, org: str, version: str, kpi: str) -> HttpResponse:
    access = catalogue_load(request, org)
    release, entry = _entry_of(access, version, kpi)
    form = ValueForm(request.POST, kind=services.entry_period_kind(entry))
    if form.is_valid():
        try:
            catalogue_as_reader(
                request,
                access,
                services.measurement_record,
                entry=entry,
                period=form.cleaned_data["period"],
                value=form.cleaned_data["value"],
                breakdown=form.cleaned_data["breakdown"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
    if form.errors:
        if not request.htmx:
            messages.error(request, form_error_text(form))
        return _render_entry(request, access, release, entry, "values", 422, value_form=form)
    if not request.htmx:
        messages.success(request, _("The value is saved."))
    return _render_entry(request, access, release, entry, "values")


@require_POST
def entry_values_import(request: HtmxHttpRequest, org: str, version: str, kpi: str):
    access = catalogue_load(request, org)
    release, entry = _entry_of(access, version, kpi)
    form = ValuesImportForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            n = catalogue_as_reader(
                request,
                access,
                services.measurements_import_csv,
                entry=entry,
                data=upload.read(services.MAX_CSV_BYTES + 1),
            )
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("%(n)d values imported.") % {"n": n})
    else:
        errors = [e for errs in form.errors.values() for e in errs]
    if errors:
        if not request.htmx:
            messages.error(request, " ".join([_("Nothing was imported."), *errors[:20]]))
        return _render_entry(request, access, release, entry, "values", 422, import_errors=errors)
    return _render_entry(request, access, release, entry, "values")


@require_POST
def entry_review_date(request: HtmxHttpRequest, org: str, version: str, kpi: str):
    access = catalogue_load(request, org)
    release, entry = _entry_of(access, version, kpi)
    form = EntryReviewForm(request.POST)
    if form.is_valid():
        try:
            catalogue_as_reader(
                request,
                access,
                services.entry_review_set,
                entry=entry,
                next_review=form.cleaned_data["next_review"],
            )
            messages.success(request, _("The review date is saved."))
        except ValidationError as exc:
            message_error(request, exc)
    else:
        messages.error(request, _("Enter a valid date."))
    return redirect(reverse("catalog:entry", args=[org, release.version, entry.kpi_uid]))


@require_GET
def reviews(request: HtmxHttpRequest, org: str) -> HttpResponse:
    """What is due and overdue, the flagged KPIs, and the button to start the review."""
    access = catalogue_load(request, org)
    if not permissions.can_manage_reviews(access.reader, access.organisation.pk):
        raise Http404
    release = catalog_selectors.release_current(organisation_id=access.organisation.pk)
    today = timezone.localdate()
    rows = selectors.reviews_for(organisation_id=access.organisation.pk)
    settings_row = selectors.review_settings_for(organisation_id=access.organisation.pk)
    return render(
        request,
        "reviews/schedule.html",
        {
            "organisation": access.organisation,
            "release": release,
            "rows": [(r, r.days(today), -r.days(today)) for r in rows],
            "flagged": selectors.flagged_entries(release=release) if release else [],
            "review_workshop": selectors.review_workshop_for(release=release),
            "settings_row": settings_row,
            "settings_form": ReviewSettingsForm(
                initial={
                    "interval_months": settings_row.interval_months,
                    "remind_days_before": settings_row.remind_days_before,
                }
            ),
        },
    )


@require_POST
def review_start(request: HtmxHttpRequest, org: str) -> HttpResponse:
    access = catalogue_load(request, org)
    if not permissions.can_manage_reviews(access.reader, access.organisation.pk):
        raise Http404
    try:
        workshop = services.review_workshop_start(
            reader=access.reader, user=request.user, organisation_id=access.organisation.pk
        )
    except (PermissionDenied, ValidationError) as exc:
        message_error(request, exc)
        return redirect(reverse("reviews:reviews", args=[org]))
    return redirect(reverse("reviews:review_board", args=[workshop.pk]))


@require_GET
def review_board(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The review workshop's KPIs with their feedback, latest value and open concerns."""
    access = load_workshop(request, pk)
    if not wp.can_view(access.participant, access.workshop):
        raise Http404
    rows = selectors.review_rows(workshop=access.workshop)
    return render(
        request,
        "reviews/board.html",
        {
            "workshop": access.workshop,
            "rows": rows,
            "participant": access.participant,
            "kind_labels": {"keep": _("Keep"), "change": _("Change"), "retire": _("Retire")},
            "can_ballot": voting_permissions.can_manage_ballots(
                access.participant, access.workshop
            ),
            "can_edit": permissions.can_set_review_kinds(access.participant, access.workshop),
        },
    )


@require_POST
def review_kind(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = selectors.review_proposal_get(workshop=access.workshop, proposal_id=proposal_id)
    if proposal is None:
        raise Http404
    form = ReviewKindForm(request.POST)
    if form.is_valid():
        try:
            services.review_proposal_set_kind(
                actor=access.participant,
                proposal=proposal,
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Saved."))
        except (PermissionDenied, ValidationError) as exc:
            message_error(request, exc)
    else:
        messages.error(request, _("Choose keep, change or retire."))
    return redirect(reverse("reviews:review_board", args=[pk]) + f"#review-{proposal.pk}")


@require_POST
def review_settings(request: HtmxHttpRequest, org: str) -> HttpResponse:
    access = catalogue_load(request, org)
    if not permissions.can_manage_reviews(access.reader, access.organisation.pk):
        raise Http404
    form = ReviewSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.review_settings_save(
                reader=access.reader,
                user=request.user,
                organisation_id=access.organisation.pk,
                **form.cleaned_data,
            )
            messages.success(request, _("Saved."))
        except ValidationError as exc:
            message_error(request, exc)
    else:
        messages.error(request, form_error_text(form))
    return redirect(reverse("reviews:reviews", args=[org]))


@require_POST
def review_ballot(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    try:
        ballot = services.review_ballot_create(actor=access.participant, workshop=access.workshop)
    except (PermissionDenied, ValidationError) as exc:
        message_error(request, exc)
        return redirect(reverse("reviews:review_board", args=[pk]))
    return redirect(reverse("voting:detail", args=[pk, ballot.pk]))
