"""Publishing (its panel on the approval board, with progress) and the organisation's
catalogue pages (current release, releases, a KPI with its history, the diff of
two releases, exports)."""

import functools
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kpiworkshop.accounts.models import Organisation, Role
from kpiworkshop.approval.models import NOTE_FIELDS, Decision
from kpiworkshop.core.fragments import cached_fragment, cached_value, versioned_key
from kpiworkshop.core.htmx import (
    HtmxHttpRequest,
    error_text,
    form_error_text,
    form_errors_from,
    message_error,
)
from kpiworkshop.kpis.models import DEFINITION_FIELDS, MARKDOWN_FIELDS, Channel, Proposal, Revision
from kpiworkshop.kpis.models import Category as KpiCategory
from kpiworkshop.kpis.permissions import fields_hidden, fields_hidden_of
from kpiworkshop.kpis.selectors import display_value
from kpiworkshop.mapping.models import Relation, Strength
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.access import WorkshopAccess, guest_key_of, load_workshop

from . import permissions, selectors, services
from .exports import note_labels
from .forms import PublishForm
from .models import PublishState
from .tree_snapshot import tree_changes
from .versioning import changelog_compute

PROGRESS_POLL_SECONDS = 1


def _proposal(access: WorkshopAccess, proposal_id: int) -> Proposal:
    proposal = (
        Proposal.objects.filter(workshop=access.workshop, pk=proposal_id)
        .select_related("current_revision", "workshop")
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


# --- publishing (its panel on the approval board) -------------------------------------------


def publish_panel_context(access: WorkshopAccess, context: dict) -> dict:
    """The approval board's publish panel: registered with ``approval.board`` from this app's
    AppConfig.ready (the approval app never imports the catalogue). ``context`` is the board's."""
    workshop = access.workshop
    job = selectors.publish_job_for(workshop=workshop)
    can_publish = permissions.can_publish(access.participant, workshop)
    return {
        "can_publish": can_publish,
        "publish_form": PublishForm(
            initial={"language": context["language"], "effective_date": timezone.localdate()}
        )
        if can_publish
        else None,
        "job": job,
        "progress": services.publish_progress(job=job) if job else None,
        "poll_seconds": PROGRESS_POLL_SECONDS,
    }


@require_POST
def publish(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.release_publish(
                actor=access.participant, workshop=access.workshop, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            message_error(request, exc)
        else:
            messages.info(request, _("Publishing started."))
    else:
        messages.error(request, _("Check the release's dates and language."))
    return redirect(reverse("approval:board", args=[pk]) + "#publish")


@require_GET
def publish_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not wp.can_view(access.participant, access.workshop) and access.membership is None:
        raise Http404
    job = selectors.publish_job_for(workshop=access.workshop)
    if job is None:
        raise Http404
    context = {
        "workshop": access.workshop,
        "job": job,
        "progress": services.publish_progress(job=job),
        "poll_seconds": PROGRESS_POLL_SECONDS,
    }
    response = render(request, "catalog/_publish_panel.html#publish-progress", context)
    if job.state in (PublishState.DONE, PublishState.FAILED):
        response["HX-Trigger"] = "publishFinished"
    return response


# --- the catalogue ----------------------------------------------------------------------------


@require_GET
def workshop_catalogue(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """From a workshop's page to its organisation's catalogue (the release it published, when
    there is one)."""
    access = load_workshop(request, pk)
    release = access.workshop.releases.order_by("-major", "-minor").first()
    slug = Organisation.objects.values_list("slug", flat=True).get(
        pk=access.workshop.organisation_id
    )
    if release is None:
        return redirect("catalog:current", org=slug)
    return redirect("catalog:release", org=slug, version=release.version)


class CatalogueAccess:
    def __init__(self, organisation: Organisation, reader):
        self.organisation = organisation
        self.reader = reader
        self.internal = permissions.can_see_internal(reader)


def _load_catalogue(request, org: str) -> CatalogueAccess:
    """The organisation and the reader's standing: 404 for anyone outside it, so another
    organisation cannot even learn that the catalogue exists."""
    organisation, member_role = selectors.organisation_with_member_role(
        slug=org[:60], user=request.user
    )
    if organisation is None:
        raise Http404
    reader = selectors.reader_for(
        user=request.user,
        guest_key=guest_key_of(request),
        organisation_id=organisation.pk,
        member_role=member_role,
    )
    if not permissions.can_read_catalogue(reader, organisation.pk):
        raise Http404
    return CatalogueAccess(organisation, reader)


def _as_reader(request, access: CatalogueAccess, service, **kwargs):
    """A reader's action on an entry of the catalogue: a refusal is a 404, as for the pages,
    so nobody learns more of the catalogue than they may touch."""
    try:
        return service(reader=access.reader, user=request.user, **kwargs)
    except PermissionDenied as exc:
        raise Http404 from exc


def _release(access: CatalogueAccess, version: str):
    release = selectors.release_get(organisation_id=access.organisation.pk, version=version)
    if release is None:
        raise Http404
    return release


def _release_and_current(access: CatalogueAccess, version: str):
    """The release a URL names and the organisation's current one (one query)."""
    release, current = selectors.release_and_current(
        organisation_id=access.organisation.pk, version=version
    )
    if release is None:
        raise Http404
    return release, current


def _shown_definition(entry, internal: bool) -> list[tuple[str, str, bool]]:
    """(label, shown value, is Markdown) for each definition field the reader may see."""
    hidden = fields_hidden(entry.internal_fields, see_internal=internal)
    rows = []
    for name in DEFINITION_FIELDS:
        if name in hidden or name in ("name", "training_notes", "category"):
            continue
        value = (entry.definition or {}).get(name)
        if name == "counter_metric_text":
            # The entry's counter-metric is this text or, when none is written, the linked
            # KPI's name: one row, hidden with the field.
            value = entry.counter_metric or value
        if not value:
            continue
        # Verbose names are lower case ("what it measures"); a label starts a line.
        label = capfirst(str(Revision._meta.get_field(name).verbose_name))
        rows.append((label, display_value(name, value), name in MARKDOWN_FIELDS))
    return rows


#: How long rendered catalogue markup is kept. A published release never changes and its key
#: carries everything else the markup shows, so it cannot go stale: this only bounds memory.
RELEASE_MARKUP_TTL = 7 * 24 * 3600
CARD_TEMPLATE = "catalog/_catalogue_card.html"


@functools.cache
def _template_digest(name: str) -> str:
    """A digest of a template's source: a deploy that changes the markup changes the keys, so
    markup cached by the previous version (in a shared Redis) is never served."""
    return versioned_key(get_template(name).template.source)


def _visibility(access: CatalogueAccess) -> str:
    """The reader's visibility class: the only reader attribute the cached markup depends on
    (besides the language and the time zone, which every fragment key carries)."""
    return "internal" if access.internal else "public"


def _release_version(access: CatalogueAccess, release) -> str:
    """What identifies a release's markup: the release (recreated ids do not collide: the
    publication time is part of it) and the organisation's slug, which its links carry."""
    return versioned_key(release.pk, release.published_at.isoformat(), access.organisation.slug)


def _catalogue_list(access: CatalogueAccess, release) -> dict:
    """The release's KPI cards, each rendered once per (organisation, release, language, time
    zone, visibility) and cached with what the filters need, so a hit costs no query and no
    template rendering: filters and search run over the cached rows and the page joins the
    cards that match. Nothing personal is in a card (no request context)."""

    def compute() -> dict:
        entries = selectors.entries_for(release=release, full=False)
        card = get_template(CARD_TEMPLATE)
        context = {
            "organisation": access.organisation,
            "release": release,
            "internal": access.internal,
            "category_labels": dict(KpiCategory.choices),
        }
        rows = [selectors.listed(e, card.render(context | {"e": e}).strip()) for e in entries]
        return {"rows": rows, "facets": selectors.facets(entries)}

    return cached_value(
        "catalogue-list",
        scope=(access.organisation.pk, release.pk),
        version=versioned_key(_release_version(access, release), _template_digest(CARD_TEMPLATE)),
        audience=_visibility(access),
        compute=compute,
        timeout=RELEASE_MARKUP_TTL,
    )


def _catalogue_page(request, access: CatalogueAccess, release, *, is_current: bool) -> HttpResponse:
    filters = selectors.clean_filters(request.GET)
    listing = _catalogue_list(access, release) if release else {"rows": [], "facets": {}}
    rows = selectors.filter_listed(listing["rows"], filters)
    cards = mark_safe("\n".join(r[0] for r in rows))  # noqa: S308 - our template's output
    context = {
        "organisation": access.organisation,
        "release": release,
        "cards": cards,
        "shown": len(rows),
        "total": len(listing["rows"]),
        "filters": filters,
        "facets": listing["facets"],
        "categories": KpiCategory.choices,
        "channels": Channel.choices,
        "exports": selectors.exports_for(release=release) if release else [],
        "is_current": is_current,
        "internal": access.internal,
        "language": get_language(),
        "may_manage_reviews": permissions.can_manage_reviews(access.reader, access.organisation.pk),
    }
    template = "catalog/catalogue.html"
    if (
        request.htmx
        and request.htmx.target == "catalogue-results"
        and not request.htmx.history_restore_request
    ):
        template += "#catalogue-results"
    response = render(request, template, context)
    # The fragment and the page share a URL (the filters are pushed to the address bar): the
    # browser's back button must never be served the fragment from its cache.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@require_GET
def catalogue_current(request: HtmxHttpRequest, org: str) -> HttpResponse:
    access = _load_catalogue(request, org)
    release = selectors.release_current(organisation_id=access.organisation.pk, with_workshop=True)
    return _catalogue_page(request, access, release, is_current=True)


@require_GET
def release_detail(request: HtmxHttpRequest, org: str, version: str) -> HttpResponse:
    access = _load_catalogue(request, org)
    release, current = _release_and_current(access, version)
    return _catalogue_page(request, access, release, is_current=release == current)


@require_GET
def release_list(request: HtmxHttpRequest, org: str) -> HttpResponse:
    access = _load_catalogue(request, org)
    releases = selectors.releases_for(organisation_id=access.organisation.pk)
    return render(
        request,
        "catalog/release_list.html",
        {"organisation": access.organisation, "releases": releases},
    )


@require_GET
def entry_detail(request: HtmxHttpRequest, org: str, version: str, kpi: str) -> HttpResponse:
    access = _load_catalogue(request, org)
    release, current = _release_and_current(access, version)
    try:
        kpi_uid = str(uuid.UUID(kpi))
    except ValueError as exc:
        raise Http404 from exc
    entry, history = selectors.entry_with_history(
        release=release,
        kpi_uid=kpi_uid,
        with_review=permissions.can_manage_reviews(access.reader, access.organisation.pk),
    )
    if entry is None:
        raise Http404
    return render(
        request,
        ENTRY_TEMPLATE,
        {
            "organisation": access.organisation,
            "release": release,
            "entry": entry,
            "markup": _entry_markup(access, release, entry),
            "history": history,
            "category_label": dict(KpiCategory.choices).get(entry.category, entry.category),
        }
        | review_entry_context(request, access, release, entry, current=current),
    )


ENTRY_TEMPLATE = "catalog/entry_detail.html"


def _entry_markup(access: CatalogueAccess, release, entry) -> dict[str, SafeString]:
    """The parts of the KPI page that show only the published entry (its definition with the
    fields the reader may see, its training notes, its votes and decisions), rendered once per
    (organisation, release, entry, language, time zone, visibility) and cached: the Markdown is
    rendered once, not on every view. No request context, nothing personal."""

    def compute() -> dict[str, str]:
        language = get_language() or "en"
        notes = (entry.training_notes or {}).get(language) or (entry.training_notes or {}).get(
            release.language, {}
        )
        context = {
            "entry": entry,
            "definition": _shown_definition(entry, access.internal),
            "notes": [(f, notes.get(f, "")) for f in NOTE_FIELDS],
            "notes_language": language
            if language in (entry.training_notes or {})
            else release.language,
            "decision_labels": dict(Decision.choices),
            "relation_labels": dict(Relation.choices) | dict(Strength.choices),
            "note_labels": dict(note_labels()),
        }
        return {
            part: render_to_string(f"{ENTRY_TEMPLATE}#entry-{part}", context)
            for part in ("definition", "notes", "decided")
        }

    parts = cached_value(
        "catalogue-entry",
        scope=(access.organisation.pk, release.pk, entry.pk),
        version=versioned_key(_release_version(access, release), _template_digest(ENTRY_TEMPLATE)),
        audience=_visibility(access),
        compute=compute,
        timeout=RELEASE_MARKUP_TTL,
    )
    return {part: mark_safe(html) for part, html in parts.items()}  # noqa: S308 - our output


@require_GET
def release_diff(request: HtmxHttpRequest, org: str) -> HttpResponse:
    access = _load_catalogue(request, org)
    releases = selectors.releases_for(organisation_id=access.organisation.pk)
    a = request.GET.get("a", "")[:24]
    b = request.GET.get("b", "")[:24]
    old = new = None
    diff = None
    error = None
    if a or b:
        # From the list already loaded (the same parsing as ``selectors.release_get``).
        by_version = {(r.major, r.minor): r for r in releases}
        old = by_version.get(selectors.version_key(a))
        new = by_version.get(selectors.version_key(b))
        if old is None or new is None:
            error = _("Choose two releases of this catalogue.")
        else:
            diff = _diff_markup(access, releases, old, new)
    elif len(releases) >= 2:
        old, new = releases[1], releases[0]
        return redirect(reverse("catalog:diff", args=[org]) + f"?a={old.version}&b={new.version}")
    return render(
        request,
        DIFF_TEMPLATE,
        {
            "organisation": access.organisation,
            "releases": releases,
            "old": old,
            "new": new,
            "diff": diff,
            "error": error,
        },
    )


DIFF_TEMPLATE = "catalog/release_diff.html"


def _diff_markup(access: CatalogueAccess, releases: list, old, new) -> SafeString:
    """The comparison of two published releases, computed and rendered once per (organisation,
    pair, language, time zone, visibility) and cached: both releases, and the ones between them
    whose retirement reasons it shows, never change."""
    span = ((old.major, old.minor), (new.major, new.minor))
    between = [r for r in releases if span[0] < (r.major, r.minor) <= span[1]]

    def render_diff() -> str:
        old_entries = selectors.entry_dicts(release=old)
        new_entries = selectors.entry_dicts(release=new)
        hidden = fields_hidden_of(
            (e.get("internal_fields") for e in old_entries + new_entries),
            see_internal=access.internal,
        )
        reasons = {}
        for r in between:
            reasons |= r.retired or {}
        log = changelog_compute(old_entries, new_entries, retired_reasons=reasons)
        for c in log.changed:
            c["fields"] = [
                f | {"field": _field_label(f["field"]), "old": _shown(f["field"], f["old"]),
                     "new": _shown(f["field"], f["new"])}
                for f in c["fields"]
                if f["field"] not in hidden
            ]  # fmt: skip
        names = {e["kpi_uid"]: e["name"] for e in old_entries + new_entries}
        tree = tree_changes(old.tree, new.tree, names)
        context = {"old": old, "new": new, "log": log, "tree": tree}
        return render_to_string(f"{DIFF_TEMPLATE}#diff-log", context)

    return cached_fragment(
        "catalogue-diff",
        scope=(access.organisation.pk, old.pk, new.pk),
        version=versioned_key(
            _release_version(access, old),
            _release_version(access, new),
            *(_release_version(access, r) for r in between),
            _template_digest(DIFF_TEMPLATE),
        ),
        audience=_visibility(access),
        render=render_diff,
        timeout=RELEASE_MARKUP_TTL,
    )


def _field_label(name: str) -> str:
    if name in DEFINITION_FIELDS:
        return str(Revision._meta.get_field(name).verbose_name)
    return {
        "goals": _("Goals"),
        "audiences": _("Who sees it and who acts"),
        "counter_metric": _("Counter-metric"),
        "training_notes": _("Training notes"),
        "pilot_until": _("Pilot until"),
        "computable": _("How it is computed"),
    }.get(name, name)


def _shown(name: str, value) -> str:
    if name in DEFINITION_FIELDS:
        return display_value(name, value)
    if name in ("goals", "audiences"):
        return ", ".join(str(x.get("name", "")) for x in value or [])
    if name == "training_notes":
        return " · ".join(sorted((value or {}).keys())).upper()
    if name == "computable":
        return _computable_shown(value)
    return "" if value is None else str(value)


def _computable_shown(value) -> str:
    """A computable definition in a release diff: its query over its dataset (issue 19)."""
    from kpiworkshop.datasets.definition import Definition

    if not value:
        return ""
    try:
        definition = Definition.from_dict(value.get("spec"))
    except (ValidationError, AttributeError):
        return ""
    return definition.sql(dialect="", table=str(value.get("dataset") or "dataset"))


@require_GET
def export_download(request: HtmxHttpRequest, org: str, token: str) -> HttpResponse:
    """Served through this view on every download, never from a public URL."""
    access = _load_catalogue(request, org)
    export = selectors.export_get(token=token)
    if export is None or export.release.organisation_id != access.organisation.pk:
        raise Http404
    try:
        handle = export.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=export.filename)


# --- review cycles, feedback, measured values (issue 10) ---------------------------------------

from kpiworkshop.voting import permissions as voting_permissions  # noqa: E402

from .charts import chart_build  # noqa: E402
from .forms import (  # noqa: E402
    EntryReviewForm,
    FeedbackForm,
    HideForm,
    ReviewKindForm,
    ReviewSettingsForm,
    ValueForm,
    ValuesImportForm,
)
from .models import Answer, Feedback  # noqa: E402
from .periods import period_label  # noqa: E402

_NOT_READ = object()


def _person_of(request) -> str:
    """Who answers feedback: the account, else the guest device."""
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    key = guest_key_of(request)
    return f"g:{key}" if key else ""


def _entry_of(access: CatalogueAccess, version: str, kpi: str):
    release = _release(access, version)
    try:
        kpi_uid = str(uuid.UUID(kpi))
    except ValueError as exc:
        raise Http404 from exc
    entry = selectors.entry_get(release=release, kpi_uid=kpi_uid)
    if entry is None:
        raise Http404
    return release, entry


def review_entry_context(
    request, access: CatalogueAccess, release, entry, current=_NOT_READ, **forms
) -> dict:
    """What the KPI page shows of issue 10: the feedback question and its counts, the chart
    of measured values with its table, the forms for the people allowed. Fixed query count.
    ``current``: the organisation's current release when the caller already read it."""
    org_id = access.organisation.pk
    if current is _NOT_READ:
        current = selectors.release_current(organisation_id=org_id)
    is_current = current is not None and current.pk == release.pk
    person = _person_of(request)
    summary, mine = selectors.feedback_summary_and_own(entry=entry, person=person)
    see_comments = permissions.can_see_feedback_comments(access.reader, org_id)
    values = selectors.measurements_for(organisation_id=org_id, kpi_uid=entry.kpi_uid)
    overall = [m for m in values if not m.breakdown]
    chart = chart_build(definition=entry.definition or {}, measurements=overall)
    kind = services.entry_period_kind(entry)
    may_record = permissions.can_record_values(access.reader, org_id, entry.audiences)
    may_manage = permissions.can_manage_reviews(access.reader, org_id)
    own_review = None
    if may_manage:
        own_review = getattr(getattr(entry, "review", None), "next_review", None)
    return {
        "fb_is_current": is_current,
        "fb_can_answer": permissions.can_give_feedback(access.reader, org_id, is_current=is_current)
        and bool(person),
        "fb_form": forms.get("fb_form")
        or FeedbackForm(initial={"answer": mine.answer, "comment": mine.comment} if mine else None),
        "fb_mine": mine,
        "fb_summary": summary,
        "fb_role_labels": dict(Role.choices),
        "fb_answer_labels": dict(Answer.choices),
        "fb_comments": selectors.feedback_comments(entry=entry) if see_comments else [],
        "fb_can_hide": permissions.can_moderate_feedback(access.reader, org_id),
        "chart": chart,
        "values": _value_rows(values, chart, kind),
        "values_have_breakdowns": any(m.breakdown for m in values),
        "value_form": forms.get("value_form") or (ValueForm(kind=kind) if may_record else None),
        "import_form": forms.get("import_form") or (ValuesImportForm() if may_record else None),
        "import_errors": forms.get("import_errors") or [],
        "may_record": may_record,
        "may_manage_reviews": may_manage,
        "review_form": EntryReviewForm(initial={"next_review": own_review}) if may_manage else None,
    }


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
    context = {
        "organisation": access.organisation,
        "release": release,
        "entry": entry,
    } | review_entry_context(request, access, release, entry, **forms)
    if request.htmx and fragment:
        return render(request, f"catalog/_review_entry.html#{fragment}", context, status=status)
    return redirect(
        reverse("catalog:entry", args=[access.organisation.slug, release.version, entry.kpi_uid])
    )


@require_POST
def entry_feedback(request: HtmxHttpRequest, org: str, version: str, kpi: str) -> HttpResponse:
    access = _load_catalogue(request, org)
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
    access = _load_catalogue(request, org)
    feedback = (
        Feedback.objects.filter(
            pk=feedback_id, entry__release__organisation_id=access.organisation.pk
        )
        .select_related("entry__release")
        .first()
    )
    if feedback is None:
        raise Http404
    form = HideForm(request.POST)
    entry = feedback.entry
    if form.is_valid():
        try:
            _as_reader(
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
    access = _load_catalogue(request, org)
    release, entry = _entry_of(access, version, kpi)
    form = ValueForm(request.POST, kind=services.entry_period_kind(entry))
    if form.is_valid():
        try:
            _as_reader(
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
    access = _load_catalogue(request, org)
    release, entry = _entry_of(access, version, kpi)
    form = ValuesImportForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            n = _as_reader(
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
    access = _load_catalogue(request, org)
    release, entry = _entry_of(access, version, kpi)
    form = EntryReviewForm(request.POST)
    if form.is_valid():
        try:
            _as_reader(
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
    access = _load_catalogue(request, org)
    if not permissions.can_manage_reviews(access.reader, access.organisation.pk):
        raise Http404
    release = selectors.release_current(organisation_id=access.organisation.pk)
    today = timezone.localdate()
    rows = selectors.reviews_for(organisation_id=access.organisation.pk)
    settings_row = selectors.review_settings_for(organisation_id=access.organisation.pk)
    return render(
        request,
        "catalog/review_schedule.html",
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
    access = _load_catalogue(request, org)
    if not permissions.can_manage_reviews(access.reader, access.organisation.pk):
        raise Http404
    try:
        workshop = services.review_workshop_start(
            reader=access.reader, user=request.user, organisation_id=access.organisation.pk
        )
    except (PermissionDenied, ValidationError) as exc:
        message_error(request, exc)
        return redirect(reverse("catalog:reviews", args=[org]))
    return redirect(reverse("catalog:review_board", args=[workshop.pk]))


@require_GET
def review_board(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The review workshop's KPIs with their feedback, latest value and open concerns."""
    access = load_workshop(request, pk)
    if not wp.can_view(access.participant, access.workshop):
        raise Http404
    rows = selectors.review_rows(workshop=access.workshop)
    return render(
        request,
        "catalog/review_board.html",
        {
            "workshop": access.workshop,
            "rows": rows,
            "participant": access.participant,
            "kind_labels": {"keep": _("Keep"), "change": _("Change"), "retire": _("Retire")},
            "can_ballot": voting_permissions.can_manage_ballots(
                access.participant, access.workshop
            ),
            "can_edit": access.participant is not None
            and access.participant.is_facilitator
            and access.workshop.stage in ("propose", "refine"),
        },
    )


@require_POST
def review_kind(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    proposal = _proposal(access, proposal_id)
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
    return redirect(reverse("catalog:review_board", args=[pk]) + f"#review-{proposal.pk}")


@require_GET
def datastack_download(request: HtmxHttpRequest, org: str, version: str, fmt: str):
    """The release as dbt Semantic Layer YAML or OpenMetadata metrics, built on demand for
    anyone who may read the catalogue."""
    from .exports_datastack import datastack_response

    access = _load_catalogue(request, org)
    release = _release(access, version)
    return datastack_response(release=release, fmt=fmt)


@require_POST
def review_settings(request: HtmxHttpRequest, org: str) -> HttpResponse:
    access = _load_catalogue(request, org)
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
    return redirect(reverse("catalog:reviews", args=[org]))


@require_POST
def review_ballot(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    try:
        ballot = services.review_ballot_create(actor=access.participant, workshop=access.workshop)
    except (PermissionDenied, ValidationError) as exc:
        message_error(request, exc)
        return redirect(reverse("catalog:review_board", args=[pk]))
    return redirect(reverse("voting:detail", args=[pk, ballot.pk]))
