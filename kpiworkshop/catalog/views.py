"""Publishing (its panel on the approval board, with progress) and the organisation's
catalogue pages (current release, releases, a KPI with its history, the diff of
two releases, exports)."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.core.htmx import (
    HtmxHttpRequest,
    message_error,
)
from kpiworkshop.kpis.definition_fields import CALLOUT
from kpiworkshop.kpis.models import DEFINITION_FIELDS, MARKDOWN_FIELDS, Channel, Revision
from kpiworkshop.kpis.models import Category as KpiCategory
from kpiworkshop.kpis.permissions import fields_hidden
from kpiworkshop.kpis.selectors import display_value
from kpiworkshop.kpis.targets import target_rows
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.access import WorkshopAccess, load_workshop

from . import fragments, permissions, selectors, services
from .access import CatalogueAccess, catalogue_load, catalogue_release
from .certification import certification_of, certification_text
from .forms import PublishForm
from .models import PublishState
from .pages import catalogue_links, entry_panels_context, entry_related

PROGRESS_POLL_SECONDS = 1


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


def _release_and_current(access: CatalogueAccess, version: str):
    """The release a URL names and the organisation's current one (one query)."""
    release, current = selectors.release_and_current(
        organisation_id=access.organisation.pk, version=version
    )
    if release is None:
        raise Http404
    return release, current


def target_rows_shown(entry, internal: bool) -> list:
    """The entry's dated targets as table rows, unless the field is hidden from the reader."""
    if "targets" in fields_hidden(entry.internal_fields, see_internal=internal):
        return []
    return target_rows((entry.definition or {}).get("targets"))


def _shown_definition(entry, internal: bool) -> list[tuple[str, str, bool]]:
    """(label, shown value, is Markdown) for each definition field the reader may see."""
    hidden = fields_hidden(entry.internal_fields, see_internal=internal)
    rows = []
    for name in DEFINITION_FIELDS:
        if name in hidden or name in ("name", "training_notes", "category", *CALLOUT, "targets"):
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


CARD_TEMPLATE = fragments.CARD_TEMPLATE


def _catalogue_list(access: CatalogueAccess, release) -> dict:
    """The release's KPI cards with what the filters need (``fragments.catalogue_list``)."""
    return fragments.catalogue_list.get(
        access, organisation=access.organisation, release=release
    ).extra


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
        "links": catalogue_links(access),
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
    access = catalogue_load(request, org)
    release = selectors.release_current(organisation_id=access.organisation.pk, with_workshop=True)
    return _catalogue_page(request, access, release, is_current=True)


@require_GET
def release_detail(request: HtmxHttpRequest, org: str, version: str) -> HttpResponse:
    access = catalogue_load(request, org)
    release, current = _release_and_current(access, version)
    return _catalogue_page(request, access, release, is_current=release == current)


@require_GET
def release_list(request: HtmxHttpRequest, org: str) -> HttpResponse:
    access = catalogue_load(request, org)
    releases = selectors.releases_for(organisation_id=access.organisation.pk)
    return render(
        request,
        "catalog/release_list.html",
        {"organisation": access.organisation, "releases": releases},
    )


@require_GET
def entry_detail(request: HtmxHttpRequest, org: str, version: str, kpi: str) -> HttpResponse:
    access = catalogue_load(request, org)
    release, current = _release_and_current(access, version)
    try:
        kpi_uid = str(uuid.UUID(kpi))
    except ValueError as exc:
        raise Http404 from exc
    entry, history = selectors.entry_with_history(
        release=release, kpi_uid=kpi_uid, related=entry_related()
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
            # Issue 20: "approved in release X by …, on …", in the reader's language.
            "certification": certification_text(
                certification_of(entry, release_version=release.version)
            ),
        }
        | entry_panels_context(request, access, release, entry, current),
    )


ENTRY_TEMPLATE = fragments.ENTRY_TEMPLATE


def _entry_markup(access: CatalogueAccess, release, entry) -> dict[str, SafeString]:
    """The KPI page's published parts (``fragments.catalogue_entry``)."""
    parts = fragments.catalogue_entry.get(
        access, organisation=access.organisation, release=release, entry=entry
    ).extra
    return {part: mark_safe(html) for part, html in parts.items()}  # noqa: S308 - our output


@require_GET
def release_diff(request: HtmxHttpRequest, org: str) -> HttpResponse:
    access = catalogue_load(request, org)
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


DIFF_TEMPLATE = fragments.DIFF_TEMPLATE


def _diff_markup(access: CatalogueAccess, releases: list, old, new) -> SafeString:
    """The comparison of two published releases (``fragments.catalogue_diff``)."""
    span = ((old.major, old.minor), (new.major, new.minor))
    between = [r for r in releases if span[0] < (r.major, r.minor) <= span[1]]
    return fragments.catalogue_diff.get(
        access, organisation=access.organisation, old=old, new=new, between=between
    ).html


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
    access = catalogue_load(request, org)
    export = selectors.export_get(token=token)
    if export is None or export.release.organisation_id != access.organisation.pk:
        raise Http404
    try:
        handle = export.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=export.filename)


@require_GET
def datastack_download(request: HtmxHttpRequest, org: str, version: str, fmt: str):
    """The release as dbt Semantic Layer YAML or OpenMetadata metrics, built on demand for
    anyone who may read the catalogue."""
    from .exports.datastack import datastack_response

    access = catalogue_load(request, org)
    release = catalogue_release(access, version)
    return datastack_response(release=release, fmt=fmt)
