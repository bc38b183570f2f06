"""Reads for the publish task and the catalogue pages (the approval board's are in
``kpiworkshop.approval.selectors``). Each function owns its
joins so a page's query count does not grow with the number of KPIs."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Membership
from kpiworkshop.approval.currency import void_approved
from kpiworkshop.approval.models import APPROVING, Approval, Decision
from kpiworkshop.approval.selectors import link_slug as _slug
from kpiworkshop.approval.selectors import proposal_links as _links
from kpiworkshop.approval.selectors import vote_summaries as _vote_summaries
from kpiworkshop.datasets.models import KpiDefinition
from kpiworkshop.kpis.models import (
    DEFINITION_FIELDS,
    Category,
    Channel,
    Proposal,
    ProposalState,
)
from kpiworkshop.mapping.models import Audience, BusinessGoal
from kpiworkshop.workshops.models import Participant, Workshop

from . import rawsql
from .models import (
    CatalogEntry,
    CatalogRelease,
    Export,
    PublishJob,
    PublishState,
)
from .permissions import Reader
from .rawsql import organisation_with_member_role  # noqa: F401 - raw SQL, see rawsql

# --- approval ---------------------------------------------------------------------------------


def publish_job_for(*, workshop: Workshop) -> PublishJob | None:
    return PublishJob.objects.filter(workshop=workshop).first()


def publishing_under_way(*, workshop: Workshop) -> bool:
    """A release of the workshop is asked for and not yet built (nor failed): what it will
    contain must not change under it."""
    return (
        PublishJob.objects.filter(workshop=workshop)
        .exclude(state__in=[PublishState.DONE, PublishState.FAILED])
        .exists()
    )


def quorum_refused_while_publishing(workshop: Workshop) -> str:
    """Why the quorum may not change now ("" : it may): what a release being built contains
    must not change under it. Registered with ``approval.services`` (AppConfig.ready)."""
    if publishing_under_way(workshop=workshop):
        return _("The catalogue is being published: change the quorum once publishing has ended.")
    return ""


# --- snapshots for the publish task ------------------------------------------------------------


def link_names(*, organisation_id: int) -> tuple[dict[str, str], dict[str, str]]:
    """Every goal's and audience's name (retired ones too) by its snapshot slug, in the
    active language: a release names what it carries over in its own language too."""
    goals = BusinessGoal.objects.filter(organisation_id=organisation_id)
    audiences = Audience.objects.filter(organisation_id=organisation_id)
    return (
        {_slug(g): g.label for g in goals.only("key", "name", "name_it")},
        {_slug(a): a.label for a in audiences.only("key", "name", "name_it")},
    )


def computable_by_revision(*, revision_ids: list[int]) -> dict[int, dict]:
    """The computable definitions of these revisions as a release keeps them (issue 19):
    ``{"dataset", "spec", "columns": [{"name", "type", "description"}]}``, the columns those
    of the dataset's current version. One query."""
    if not revision_ids:
        return {}
    out = {}
    rows = KpiDefinition.objects.filter(revision_id__in=revision_ids).select_related(
        "dataset__current_version"
    )
    for row in rows:
        version = row.dataset.current_version
        columns = [
            {
                "name": c.get("name", ""),
                "type": c.get("type", ""),
                "description": c.get("description", ""),
            }
            for c in (version.columns if version is not None else [])
        ]
        out[row.revision_id] = {"dataset": row.dataset.name, "spec": row.spec, "columns": columns}
    return out


def approved_snapshots(*, workshop: Workshop) -> list[dict]:
    """Every approved KPI of the workshop as an entry snapshot (a dict, ``_proposal`` kept for
    the caller)."""
    proposals = list(
        Proposal.objects.filter(workshop=workshop, state=ProposalState.APPROVED)
        .exclude(void_approved())  # issue 20: approvals on an earlier definition are void
        .select_related("current_revision", "current_revision__counter_metric_proposal")
        .select_related("current_revision__counter_metric_proposal__current_revision")
        .prefetch_related(
            "notes",
            Prefetch(
                "approvals",
                queryset=Approval.objects.select_related("approver").order_by("created_at", "id"),
            ),
        )
        .order_by("created_at", "id")
    )
    votes = _vote_summaries(workshop)
    goals, audiences = _links([p.pk for p in proposals])
    out = []
    for p in proposals:
        rev = p.current_revision
        definition = {f: getattr(rev, f) for f in DEFINITION_FIELDS}
        definition.pop("training_notes", None)
        counter = rev.counter_metric_text
        cm = rev.counter_metric_proposal
        if not counter and cm is not None and cm.current_revision is not None:
            counter = cm.current_revision.name
        decisions = [
            {
                "decision": d.decision,
                "reason": d.reason,
                "approver": d.approver.display_name,
                "pilot_until": d.pilot_until.isoformat() if d.pilot_until else None,
                "at": d.created_at.isoformat(),
                "current": d.superseded_at is None,
            }
            for d in p.approvals.all()
        ]
        current = [d for d in p.approvals.all() if d.superseded_at is None]
        pilots = [d.pilot_until for d in current if d.decision == Decision.PILOT]
        notes = {n.language: n.as_dict() for n in p.notes.all()}
        search = " ".join(
            [rev.name, rev.measures, rev.why, rev.owner, rev.data_sources, counter]
        ).lower()
        out.append(
            {
                "_proposal": p,
                "proposal_id": p.pk,
                "name": rev.name,
                "category": rev.category,
                "definition": definition,
                "internal_fields": list(p.internal_fields or []),
                "channels": list(rev.channels or []),
                "goals": goals.get(p.pk, []),
                "audiences": audiences.get(p.pk, []),
                "counter_metric": counter,
                "training_notes": notes,
                "decisions": decisions,
                "pilot_until": min(pilots).isoformat() if pilots else None,
                "votes": votes.get(p.pk, []),
                "search_text": search,
                "retire_reason": "; ".join(d.reason for d in current if d.decision in APPROVING),
            }
        )
    return out


def entry_as_dict(entry: CatalogEntry) -> dict:
    return {
        "kpi_uid": str(entry.kpi_uid),
        "proposal_id": entry.proposal_id,
        "name": entry.name,
        "category": entry.category,
        "definition": entry.definition,
        "internal_fields": entry.internal_fields,
        "channels": entry.channels,
        "goals": entry.goals,
        "audiences": entry.audiences,
        "counter_metric": entry.counter_metric,
        "training_notes": entry.training_notes,
        "decisions": entry.decisions,
        "pilot_until": entry.pilot_until.isoformat() if entry.pilot_until else None,
        "votes": entry.votes,
        "search_text": entry.search_text,
    }


def entry_dicts(*, release: CatalogRelease | None) -> list[dict]:
    if release is None:
        return []
    return [entry_as_dict(e) for e in CatalogEntry.objects.filter(release=release)]


def kpi_uids_by_entry_id(*, release: CatalogRelease | None) -> dict[int, str]:
    """Entry ids of *any* release of the organisation mapped to their KPI identity, so a
    proposal that refers to an entry of an older release still finds its KPI."""
    if release is None:
        return {}
    return {
        pk: str(uid)
        for pk, uid in CatalogEntry.objects.filter(
            release__organisation_id=release.organisation_id
        ).values_list("pk", "kpi_uid")
    }


# --- readers and the catalogue ------------------------------------------------------------------


_UNKNOWN = object()


def reader_for(
    *, user, guest_key: str | None, organisation_id: int, member_role=_UNKNOWN
) -> Reader | None:
    """How the person belongs to the organisation: an active membership, else an active
    participant of one of its workshops (by account or guest device key). ``member_role``:
    the membership role when the caller already read it (None: no active membership)."""
    if member_role is not _UNKNOWN:
        if member_role:
            return Reader(organisation_id, member_role)
    elif user.is_authenticated:
        membership = (
            Membership.objects.active()
            .filter(user=user, organisation_id=organisation_id)
            .values_list("role", flat=True)
            .first()
        )
        if membership:
            return Reader(organisation_id, membership)
    who = Q(user=user) if user.is_authenticated else Q(pk__in=[])
    if guest_key:
        who |= Q(guest_key=guest_key)
    role = (
        Participant.objects.active()
        .filter(who, workshop__organisation_id=organisation_id)
        .order_by("pk")
        .values_list("role", flat=True)
        .first()
    )
    return Reader(organisation_id, role) if role else None


def releases_for(*, organisation_id: int) -> list[CatalogRelease]:
    return list(
        CatalogRelease.objects.filter(organisation_id=organisation_id)
        .select_related("workshop", "previous")
        .order_by("-major", "-minor")
    )


def release_current(*, organisation_id: int, with_workshop: bool = False) -> CatalogRelease | None:
    if with_workshop:  # for a page that shows where it was agreed: the catalogue's, compiled
        return rawsql.release_current_with_workshop(organisation_id=organisation_id)
    qs = CatalogRelease.objects.filter(organisation_id=organisation_id)
    return qs.order_by("-major", "-minor").first()


def version_key(version: str) -> tuple[int, int] | None:
    """(major, minor) of a version typed in a URL ("1.2"), or None when it is not one."""
    try:
        major, minor = (int(x) for x in version.split("."))
    except ValueError:
        return None
    if not (0 <= major < 2**31 and 0 <= minor < 2**31):
        return None
    return major, minor


def release_get(*, organisation_id: int, version: str) -> CatalogRelease | None:
    parsed = version_key(version)
    if parsed is None:
        return None
    major, minor = parsed
    return (
        CatalogRelease.objects.filter(organisation_id=organisation_id, major=major, minor=minor)
        .select_related("workshop", "organisation", "previous")
        .first()
    )


def release_and_current(
    *, organisation_id: int, version: str
) -> tuple[CatalogRelease | None, CatalogRelease | None]:
    """``release_get`` and ``release_current`` in one query (the newest of the rows it reads is
    the current release), with the workshop, organisation and previous release loaded; the
    statement is ``rawsql.releases_for_version_and_current``."""
    parsed = version_key(version)
    if parsed is None:
        return None, None
    found = rawsql.releases_for_version_and_current(
        organisation_id=organisation_id, major=parsed[0], minor=parsed[1]
    )
    release = next((r for r in found if (r.major, r.minor) == parsed), None)
    return release, max(found, key=lambda r: (r.major, r.minor), default=None)


@dataclass
class Filters:
    audience: str = ""
    goal: str = ""
    category: str = ""
    channel: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        return any([self.audience, self.goal, self.category, self.channel, self.q])


def clean_filters(params) -> Filters:
    """Filters from a query string; unknown values match nothing rather than everything."""

    def get(key: str, limit: int = 80) -> str:
        return (params.get(key) or "").replace("\x00", "").strip()[:limit]

    return Filters(
        audience=get("audience"),
        goal=get("goal"),
        category=get("category"),
        channel=get("channel"),
        q=get("q", 100),
    )


#: One entry of the catalogue list as ``views._catalogue_list`` caches it, next to its rendered
#: card: (card, category, channels, audience slugs, goal slugs, search text). A plain tuple of
#: strings and tuples: unpickling a NamedTuple or a frozenset runs Python code for every row
#: (three times slower for 100 rows, and it happens on every page view).
Listed = tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...], str]


def listed(entry: CatalogEntry, html: str) -> Listed:
    return (
        html,
        entry.category,
        tuple(entry.channels or []),
        tuple(a.get("slug") for a in entry.audiences or []),
        tuple(g.get("slug") for g in entry.goals or []),
        entry.search_text,
    )


def _matches(row: Listed, f: Filters) -> bool:
    _html, category, channels, audiences, goals, search_text = row
    if f.category and category != f.category:
        return False
    if f.channel and f.channel not in channels:
        return False
    if f.audience and f.audience not in audiences:
        return False
    if f.goal and f.goal not in goals:
        return False
    if f.q:
        words = f.q.lower().split()
        if not all(w in search_text for w in words):
            return False
    return True


#: What the catalogue list does not show: left in the database for the list page.
LIST_DEFERRED = ("training_notes", "decisions", "votes", "internal_fields", "proposal")


def entries_for(
    *, release: CatalogRelease, filters: Filters | None = None, full: bool = True
) -> list[CatalogEntry]:
    """The release's entries, filtered: one query (the JSON lists are filtered in Python, the
    same on SQLite and PostgreSQL; a release holds hundreds of KPIs, not millions). ``full``
    False leaves out what a list does not show."""
    qs = CatalogEntry.objects.filter(release=release).order_by("position", "id")
    if not full:
        qs = qs.defer(*LIST_DEFERRED)
    entries = list(qs)
    return filter_entries(entries, filters)


def filter_entries(entries: list[CatalogEntry], filters: Filters | None) -> list[CatalogEntry]:
    if filters is None or not filters.active:
        return entries
    if _unknown_choice(filters):
        return []
    return [e for e in entries if _matches(listed(e, ""), filters)]


def filter_listed(rows: list[Listed], filters: Filters | None) -> list[Listed]:
    """``filter_entries`` for the cached rows of the catalogue list (same rules)."""
    if filters is None or not filters.active:
        return rows
    if _unknown_choice(filters):
        return []
    return [r for r in rows if _matches(r, filters)]


def _unknown_choice(filters: Filters) -> bool:
    return bool(
        (filters.category and filters.category not in Category.values)
        or (filters.channel and filters.channel not in Channel.values)
    )


def facets(entries: list[CatalogEntry]) -> dict:
    """Audiences and goals present in the release, for the filter menus."""
    audiences: dict[str, str] = {}
    goals: dict[str, str] = {}
    for e in entries:
        for a in e.audiences or []:
            audiences.setdefault(a.get("slug", ""), a.get("name", ""))
        for g in e.goals or []:
            goals.setdefault(g.get("slug", ""), g.get("name", ""))
    return {
        "audiences": sorted(audiences.items(), key=lambda x: x[1].lower()),
        "goals": sorted(goals.items(), key=lambda x: x[1].lower()),
    }


def entry_get(*, release: CatalogRelease, kpi_uid: str) -> CatalogEntry | None:
    return CatalogEntry.objects.filter(release=release, kpi_uid=kpi_uid).first()


def entry_history(*, organisation_id: int, kpi_uid: str) -> list[CatalogEntry]:
    """The KPI across every release it appears in, newest first: what the history list shows
    (not every release's definition, notes and votes)."""
    return list(
        CatalogEntry.objects.filter(release__organisation_id=organisation_id, kpi_uid=kpi_uid)
        .select_related("release")
        .only(
            "kpi_uid",
            "name",
            "release__major",
            "release__minor",
            "release__effective_date",
            "release__organisation_id",
        )
        .order_by("-release__major", "-release__minor")
    )


def entry_with_history(
    *, release: CatalogRelease, kpi_uid: str, related: tuple[str, ...] = ()
) -> tuple[CatalogEntry | None, list[CatalogEntry]]:
    """``entry_get`` and ``entry_history`` in one query: the KPI in every release of the
    organisation, newest first, and the one in ``release`` (None when it is not there).
    ``related``: the entry's one-to-one relations the page's panels read, joined in
    (``pages.entry_related``: the reviews' own review date)."""
    history = rawsql.entries_of_kpi(
        organisation_id=release.organisation_id, kpi_uid=kpi_uid, related=related
    )
    entry = next((e for e in history if e.release_id == release.pk), None)
    if entry is not None:
        entry.release = release  # the caller's instance (its workshop, previous, organisation)
    return entry, history


def entry_counts(*, release_ids: list[int]) -> dict[int, int]:
    return dict(
        CatalogEntry.objects.filter(release_id__in=release_ids)
        .values_list("release_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def exports_for(*, release: CatalogRelease) -> list[Export]:
    """The release's exports by format and audience (``rawsql.exports_of``)."""
    return rawsql.exports_of(release_id=release.pk)


def export_get(*, token: str) -> Export | None:
    if not token or len(token) > 32:
        return None
    return Export.objects.filter(token=token).select_related("release").first()
