"""Read-only API of the published catalogue, for members of the organisation (and people who
take part in its workshops): releases, entries, the changelog and the export files. Another
organisation gets 404, as on the pages; customers never get internal-only fields."""

from datetime import date, datetime

from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from ninja import Router, Schema

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.kpis.permissions import fields_hidden

from . import permissions, selectors
from .models import CatalogEntry, CatalogRelease

router = Router(tags=["catalogue"])


class ReleaseOut(Schema):
    version: str
    language: str
    effective_date: date
    next_review: date | None
    published_at: datetime
    published_by: str
    release_notes: str
    workshop_id: int | None
    previous_version: str | None
    entries: int


class EntryOut(Schema):
    kpi_uid: str
    name: str
    category: str
    definition: dict
    channels: list[str]
    goals: list[dict]
    audiences: list[dict]
    counter_metric: str
    training_notes: dict
    decisions: list[dict]
    pilot_until: date | None
    votes: list[dict]


class ChangelogOut(Schema):
    previous_version: str | None
    added: list[dict]
    changed: list[dict]
    retired: list[dict]
    unchanged: int


class ExportOut(Schema):
    format: str
    audience: str
    size: int
    url: str


def _access(request: HttpRequest, org: str):
    organisation = Organisation.objects.filter(slug=org[:60]).first()
    if organisation is None:
        raise Http404
    reader = selectors.reader_for(
        user=request.auth, guest_key=None, organisation_id=organisation.pk
    )
    if not permissions.can_read_catalogue(reader, organisation.pk):
        raise Http404
    return organisation, reader


def _release(organisation: Organisation, version: str) -> CatalogRelease:
    if version == "current":
        release = selectors.release_current(organisation_id=organisation.pk)
    else:
        release = selectors.release_get(organisation_id=organisation.pk, version=version)
    if release is None:
        raise Http404
    return release


def _release_out(r: CatalogRelease, entries: int) -> ReleaseOut:
    return ReleaseOut(
        version=r.version,
        language=r.language,
        effective_date=r.effective_date,
        next_review=r.next_review,
        published_at=r.published_at,
        published_by=r.published_by_name,
        release_notes=r.release_notes,
        workshop_id=r.workshop_id,
        previous_version=f"{r.previous.major}.{r.previous.minor}" if r.previous else None,
        entries=entries,
    )


def _entry_out(e: CatalogEntry, internal: bool) -> EntryOut:
    hidden = fields_hidden(e.internal_fields, see_internal=internal)
    return EntryOut(
        kpi_uid=str(e.kpi_uid),
        name=e.name,
        category=e.category,
        definition={k: v for k, v in (e.definition or {}).items() if k not in hidden},
        channels=e.channels or [],
        goals=e.goals or [],
        audiences=e.audiences or [],
        counter_metric=e.counter_metric,
        training_notes=e.training_notes or {},
        decisions=[d for d in e.decisions or [] if d.get("current")],
        pilot_until=e.pilot_until,
        votes=e.votes or [],
    )


P = "/organisations/{org}/catalogue"


@router.get(P + "/releases", response=list[ReleaseOut], summary="Catalogue releases")
def list_releases(request: HttpRequest, org: str):
    organisation, _reader = _access(request, org)
    releases = selectors.releases_for(organisation_id=organisation.pk)
    counts = selectors.entry_counts(release_ids=[r.pk for r in releases])
    return [_release_out(r, counts.get(r.pk, 0)) for r in releases]


@router.get(P + "/releases/{version}", response=ReleaseOut, summary="One release")
def get_release(request: HttpRequest, org: str, version: str):
    """``version`` is "1.1", or "current"."""
    organisation, _reader = _access(request, org)
    release = _release(organisation, version)
    counts = selectors.entry_counts(release_ids=[release.pk])
    return _release_out(release, counts.get(release.pk, 0))


@router.get(P + "/releases/{version}/entries", response=list[EntryOut], summary="Its KPIs")
def list_entries(
    request: HttpRequest,
    org: str,
    version: str,
    audience: str = "",
    goal: str = "",
    category: str = "",
    channel: str = "",
    q: str = "",
):
    organisation, reader = _access(request, org)
    release = _release(organisation, version)
    filters = selectors.clean_filters(
        {"audience": audience, "goal": goal, "category": category, "channel": channel, "q": q}
    )
    internal = permissions.can_see_internal(reader)
    return [
        _entry_out(e, internal) for e in selectors.entries_for(release=release, filters=filters)
    ]


@router.get(P + "/releases/{version}/changelog", response=ChangelogOut, summary="Its changes")
def get_changelog(request: HttpRequest, org: str, version: str):
    organisation, _reader = _access(request, org)
    release = _release(organisation, version)
    log = release.changelog or {}
    return ChangelogOut(
        previous_version=release.previous.version if release.previous else None,
        added=log.get("added", []),
        changed=[
            {
                "kpi_uid": c["kpi_uid"],
                "name": c["name"],
                "fields": [f["field"] for f in c["fields"]],
            }
            for c in log.get("changed", [])
        ],
        retired=log.get("retired", []),
        unchanged=log.get("unchanged", 0),
    )


@router.get(P + "/releases/{version}/exports", response=list[ExportOut], summary="Its exports")
def list_exports(request: HttpRequest, org: str, version: str):
    organisation, _reader = _access(request, org)
    release = _release(organisation, version)
    return [
        ExportOut(
            format=x.format,
            audience=x.audience,
            size=x.size,
            url=reverse("api:catalogue_export_file", args=[organisation.slug, x.token]),
        )
        for x in selectors.exports_for(release=release)
    ]


@router.get(
    P + "/exports/{token}",
    url_name="catalogue_export_file",
    summary="Download an export",
    response={200: None},
)
def export_file(request: HttpRequest, org: str, token: str):
    organisation, _reader = _access(request, org)
    export = selectors.export_get(token=token)
    if export is None or export.release.organisation_id != organisation.pk:
        raise Http404
    try:
        handle = export.file.open("rb")
    except OSError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=export.filename)


# --- review cycles, feedback, measured values (issue 10): the data-stack exports ---------------


@router.get(
    P + "/releases/{version}/datastack/{fmt}",
    url_name="catalogue_datastack",
    summary="The release as dbt Semantic Layer YAML (dbt) or OpenMetadata metrics (openmetadata)",
    response={200: None},
)
def datastack_export(request: HttpRequest, org: str, version: str, fmt: str):
    from .exports.datastack import datastack_response

    organisation, _reader = _access(request, org)
    release = _release(organisation, version)
    return datastack_response(release=release, fmt=fmt)
