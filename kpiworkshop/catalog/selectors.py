"""Reads for the publish task and the catalogue pages (the approval board's are in
``kpiworkshop.approval.selectors``). Each function owns its
joins so a page's query count does not grow with the number of KPIs."""

import datetime
from dataclasses import dataclass, field
from functools import cache

from django.db import connections, router
from django.db.models import Count, Max, Min, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Membership, Organisation, Role
from kpiworkshop.approval.currency import void_approved
from kpiworkshop.approval.models import APPROVING, Approval, Decision
from kpiworkshop.approval.selectors import link_slug as _slug
from kpiworkshop.approval.selectors import proposal_links as _links
from kpiworkshop.approval.selectors import vote_summaries as _vote_summaries
from kpiworkshop.core.rawrows import loaders, model_columns
from kpiworkshop.datasets.models import KpiDefinition
from kpiworkshop.kpis.models import (
    DEFINITION_FIELDS,
    Category,
    Channel,
    Comment,
    Proposal,
    ProposalState,
    Stance,
)
from kpiworkshop.mapping.models import Audience, BusinessGoal
from kpiworkshop.workshops.models import Participant, Workshop

from .models import (
    Answer,
    CatalogEntry,
    CatalogRelease,
    EntryReview,
    Export,
    Feedback,
    Measurement,
    PublishJob,
    PublishState,
    ReviewCycle,
    ReviewItem,
    ReviewSettings,
)
from .permissions import Reader

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


@cache
def _organisation_with_member_role_sql(using: str, vendor: str) -> tuple[str, list]:
    """The statement behind ``organisation_with_member_role``, written once per database."""
    organisation = model_columns(Organisation, "o", using)
    sql = (
        f"SELECT {organisation.sql}, "  # noqa: S608 - no user text
        f"(SELECT m.role FROM {Membership._meta.db_table} m "
        "WHERE m.organisation_id = o.id AND m.user_id = %s AND m.is_active = %s "
        "ORDER BY m.id LIMIT 1) "
        f"FROM {Organisation._meta.db_table} o WHERE o.slug = %s "
        # The slug is unique: at most one row (the ORM's ``first()`` ordered it by name).
        "ORDER BY o.name, o.id LIMIT 1"
    )
    return sql, [organisation]


def organisation_with_member_role(*, slug: str, user) -> tuple[Organisation | None, str | None]:
    """The organisation and the user's active membership role in it (None for none), in one
    query: what every catalogue page needs first.

    Equivalent to ``Organisation.objects.filter(slug=slug)`` annotated with the user's active
    ``Membership.role`` (none for an anonymous user); written once per process as a fixed
    statement because building and compiling that ORM query on every request cost more than
    running it."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    using = router.db_for_read(Organisation)
    sql, columns = _organisation_with_member_role_sql(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [user_id, True, slug])
        row = cursor.fetchone()
    if row is None:
        return None, None
    (organisation,) = loaders(*columns)(row)
    return organisation, row[-1]


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
    qs = CatalogRelease.objects.filter(organisation_id=organisation_id)
    if with_workshop:  # for a page that shows where it was agreed
        qs = qs.select_related("workshop")
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


@cache
def _release_and_current_sql(using: str, vendor: str) -> tuple[str, list]:
    """The statement behind ``release_and_current``, written once per database."""
    table = CatalogRelease._meta.db_table
    release = model_columns(CatalogRelease, "r", using)
    workshop = model_columns(Workshop, "w", using)
    organisation = model_columns(Organisation, "o", using)
    previous = model_columns(CatalogRelease, "p", using)
    sql = (
        f"SELECT {release.sql}, {workshop.sql}, {organisation.sql}, {previous.sql} "  # noqa: S608
        f"FROM {table} r "
        f"LEFT OUTER JOIN {Workshop._meta.db_table} w ON w.id = r.workshop_id "
        f"INNER JOIN {Organisation._meta.db_table} o ON o.id = r.organisation_id "
        f"LEFT OUTER JOIN {table} p ON p.id = r.previous_id "
        "WHERE r.organisation_id = %s AND ((r.major = %s AND r.minor = %s) OR r.id = "
        f"(SELECT n.id FROM {table} n WHERE n.organisation_id = %s "
        "ORDER BY n.major DESC, n.minor DESC LIMIT 1)) "
        "ORDER BY r.major DESC, r.minor DESC"
    )
    return sql, [release, workshop, organisation, previous]


def release_and_current(
    *, organisation_id: int, version: str
) -> tuple[CatalogRelease | None, CatalogRelease | None]:
    """``release_get`` and ``release_current`` in one query (the newest of the rows it reads is
    the current release), with the workshop, organisation and previous release loaded.

    Equivalent to ``CatalogRelease.objects.filter(organisation_id=...)`` for that version or
    the newest one, ``select_related("workshop", "organisation", "previous")``; written once
    per process as a fixed statement because building and compiling that ORM query on every
    request cost more than running it."""
    parsed = version_key(version)
    if parsed is None:
        return None, None
    major, minor = parsed
    using = router.db_for_read(CatalogRelease)
    sql, columns = _release_and_current_sql(using, connections[using].vendor)
    load = loaders(*columns)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [organisation_id, major, minor, organisation_id])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        release, workshop, organisation, previous = load(row)
        release.workshop = workshop
        release.organisation = organisation
        release.previous = previous
        found.append(release)
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
    *, release: CatalogRelease, kpi_uid: str, with_review: bool = False
) -> tuple[CatalogEntry | None, list[CatalogEntry]]:
    """``entry_get`` and ``entry_history`` in one query: the KPI in every release of the
    organisation, newest first, and the one in ``release`` (None when it is not there).
    ``with_review``: also read the entry's own review date (the reviews manager's form)."""
    qs = CatalogEntry.objects.filter(
        release__organisation_id=release.organisation_id, kpi_uid=kpi_uid
    ).select_related("release", *(("review",) if with_review else ()))
    history = list(qs.order_by("-release__major", "-release__minor"))
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
    return list(Export.objects.filter(release=release).order_by("format", "audience"))


def export_get(*, token: str) -> Export | None:
    if not token or len(token) > 32:
        return None
    return Export.objects.filter(token=token).select_related("release").first()


# --- review cycles, feedback, measured values (issue 10) ---------------------------------------

#: Share of "unclear" and "wrong behaviour" answers from which a KPI counts as flagged.
FLAG_SHARE = 1 / 3

#: The answers that count towards a flag.
DOUBTFUL_ANSWERS = (Answer.UNCLEAR, Answer.WRONG)


def is_flagged(total: int, doubtful: int) -> bool:
    """The flag rule: a third or more of a KPI's answers are doubtful."""
    return total > 0 and doubtful / total >= FLAG_SHARE


@dataclass
class FeedbackSummary:
    total: int = 0
    by_answer: dict[str, int] = field(default_factory=dict)
    #: [(role, {answer: n}, total)] for roles with answers
    by_role: list[tuple[str, dict[str, int], int]] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return is_flagged(self.total, sum(self.by_answer.get(a, 0) for a in DOUBTFUL_ANSWERS))

    def rows(self) -> list[tuple[str, str, int]]:
        """(answer, label, count) in the question's order."""
        return [(a, str(label), self.by_answer.get(a, 0)) for a, label in Answer.choices]


def feedback_summaries(*, entry_ids: list[int]) -> dict[int, FeedbackSummary]:
    """Counts per answer and per role for several entries, in one grouped query."""
    out: dict[int, FeedbackSummary] = {pk: FeedbackSummary() for pk in entry_ids}
    per_role: dict[int, dict[str, dict[str, int]]] = {}
    for entry_id, role, answer, n in (
        Feedback.objects.filter(entry_id__in=entry_ids)
        .values_list("entry_id", "role", "answer")
        .annotate(n=Count("id"))
        .order_by()
    ):
        summary = out[entry_id]
        summary.total += n
        summary.by_answer[answer] = summary.by_answer.get(answer, 0) + n
        per_role.setdefault(entry_id, {}).setdefault(role, {})[answer] = n
    order = {r: i for i, r in enumerate(Role.values)}
    for entry_id, roles in per_role.items():
        out[entry_id].by_role = sorted(
            ((r, counts, sum(counts.values())) for r, counts in roles.items()),
            key=lambda row: order.get(row[0], 99),
        )
    return out


def feedback_of(*, entry: CatalogEntry, person: str) -> Feedback | None:
    if not person:
        return None
    return Feedback.objects.filter(entry=entry, person=person).first()


@dataclass
class OwnFeedback:
    """What the KPI page shows of the reader's own answer."""

    answer: str
    comment: str


def feedback_summary_and_own(
    *, entry: CatalogEntry, person: str
) -> tuple[FeedbackSummary, OwnFeedback | None]:
    """``feedback_summaries`` for one entry and the person's own answer (``feedback_of``) in
    one grouped query: a person has at most one answer, so the group holding it is the one
    whose filtered count is 1, and its comment is the filtered maximum."""
    summary = FeedbackSummary()
    own = None
    per_role: dict[str, dict[str, int]] = {}
    mine = Q(person=person) if person else Q(pk__in=[])
    rows = (
        Feedback.objects.filter(entry=entry)
        .values_list("role", "answer")
        .annotate(n=Count("id"), mine=Count("id", filter=mine), comment=Max("comment", filter=mine))
        .order_by()
    )
    for role, answer, n, mine_n, comment in rows:
        summary.total += n
        summary.by_answer[answer] = summary.by_answer.get(answer, 0) + n
        per_role.setdefault(role, {})[answer] = n
        if mine_n:
            own = OwnFeedback(answer=answer, comment=comment or "")
    order = {r: i for i, r in enumerate(Role.values)}
    summary.by_role = sorted(
        ((r, counts, sum(counts.values())) for r, counts in per_role.items()),
        key=lambda row: order.get(row[0], 99),
    )
    return summary, own


FEEDBACK_COMMENTS_SHOWN = 20


def feedback_comments(*, entry: CatalogEntry, limit: int = FEEDBACK_COMMENTS_SHOWN) -> list:
    """The latest comments (hidden ones included, marked, for the facilitator's page)."""
    return list(Feedback.objects.filter(entry=entry).exclude(comment="")[:limit])


def measurements_for(*, organisation_id: int, kpi_uid) -> list:
    """Every value of one KPI across releases, oldest first: rows with ``period``,
    ``breakdown`` and ``value`` (what the chart and the table show; no model instances)."""
    return list(
        Measurement.objects.filter(organisation_id=organisation_id, kpi_uid=kpi_uid)
        .order_by("period", "breakdown")
        .values_list("period", "breakdown", "value", named=True)
    )


def review_settings_for(*, organisation_id: int) -> ReviewSettings:
    return ReviewSettings.objects.filter(organisation_id=organisation_id).first() or ReviewSettings(
        organisation_id=organisation_id
    )


@dataclass
class DueReview:
    release_id: int
    version: str
    entry_id: int | None
    name: str
    due: datetime.date
    recipient_ids: list[int] = field(default_factory=list)
    kpi_uid: str = ""
    flagged: bool = False

    def days(self, today: datetime.date) -> int:
        return (self.due - today).days


def _current_releases(
    organisation_id: int | None = None, *, organisation_ids: list[int] | None = None
) -> list[CatalogRelease]:
    qs = CatalogRelease.objects.order_by("organisation_id", "-major", "-minor")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if organisation_ids is not None:
        qs = qs.filter(organisation_id__in=organisation_ids)
    seen, out = set(), []
    for release in qs.only("pk", "organisation_id", "major", "minor", "next_review"):
        if release.organisation_id not in seen:
            seen.add(release.organisation_id)
            out.append(release)
    return out


def reviews_for(*, organisation_id: int) -> list[DueReview]:
    """The current release's review and its entries' own review dates, soonest first."""
    releases = _current_releases(organisation_id)
    if not releases:
        return []
    release = releases[0]
    out = []
    if release.next_review:
        out.append(DueReview(release.pk, release.version, None, "", release.next_review))
    for row in EntryReview.objects.filter(entry__release=release).select_related("entry"):
        out.append(
            DueReview(
                release.pk,
                release.version,
                row.entry_id,
                row.entry.name,
                row.next_review,
                kpi_uid=str(row.entry.kpi_uid),
            )
        )
    return sorted(out, key=lambda d: (d.due, d.name))


def flagged_entries(*, release: CatalogRelease) -> list[CatalogEntry]:
    """The release's flagged entries, in catalogue order: one query counting each entry's
    answers and doubtful answers in the database (not every answer's row per request)."""
    entries = (
        CatalogEntry.objects.filter(release=release)
        .only("pk", "name", "kpi_uid")
        .annotate(
            answers=Count("feedback"),
            doubtful=Count("feedback", filter=Q(feedback__answer__in=DOUBTFUL_ANSWERS)),
        )
    )
    return [e for e in entries if is_flagged(e.answers, e.doubtful)]


def flagged_counts(*, release_ids: list[int]) -> dict[int, int]:
    """How many entries are flagged, per release, for several releases in one grouped query."""
    out = dict.fromkeys(release_ids, 0)
    rows = (
        Feedback.objects.filter(entry__release_id__in=release_ids)
        .values_list("entry__release_id", "entry_id")
        .annotate(answers=Count("id"), doubtful=Count("id", filter=Q(answer__in=DOUBTFUL_ANSWERS)))
        .order_by()
    )
    for release_id, _entry_id, answers, doubtful in rows:
        if is_flagged(answers, doubtful):
            out[release_id] += 1
    return out


def reviews_to_remind(*, today: datetime.date) -> list[DueReview]:
    """Every due review of every organisation's current release whose reminder window has
    opened (``remind_days_before`` ahead; overdue ones too), with the facilitators to tell."""
    releases = _current_releases()
    if not releases:
        return []
    org_ids = [r.organisation_id for r in releases]
    lead = dict(
        ReviewSettings.objects.filter(organisation_id__in=org_ids).values_list(
            "organisation_id", "remind_days_before"
        )
    )
    recipients: dict[int, list[int]] = {}
    for org_id, user_id in (
        Membership.objects.active()
        .filter(organisation_id__in=org_ids, role=Role.FACILITATOR, user__is_active=True)
        .exclude(user__email="")
        .values_list("organisation_id", "user_id")
        .order_by("user_id")
    ):
        recipients.setdefault(org_id, []).append(user_id)
    by_release = {r.pk: r for r in releases}
    # A review already under way (its workshop started) needs no reminder.
    started = set(
        ReviewCycle.objects.filter(release_id__in=list(by_release)).values_list(
            "release_id", flat=True
        )
    )
    due: list[DueReview] = []
    for release in releases:
        if release.pk in started:
            continue
        if release.next_review:
            due.append(DueReview(release.pk, release.version, None, "", release.next_review))
    for release_id, entry_id, date in (
        EntryReview.objects.filter(entry__release_id__in=list(by_release))
        .exclude(entry__release_id__in=started)
        .values_list("entry__release_id", "entry_id", "next_review")
    ):
        due.append(DueReview(release_id, by_release[release_id].version, entry_id, "", date))
    out = []
    for d in due:
        org_id = by_release[d.release_id].organisation_id
        if d.due - datetime.timedelta(days=lead.get(org_id, 14)) <= today:
            d.recipient_ids = recipients.get(org_id, [])
            out.append(d)
    return out


def review_workshop_for(*, release: CatalogRelease | None) -> Workshop | None:
    if release is None:
        return None
    cycle = ReviewCycle.objects.filter(release=release).select_related("workshop").first()
    return cycle.workshop if cycle else None


@dataclass
class ReviewRow:
    proposal: Proposal
    item: ReviewItem
    feedback: FeedbackSummary
    latest: Measurement | None
    concerns: int


def review_rows(*, workshop: Workshop) -> list[ReviewRow]:
    """The review workshop's proposals about catalogue entries, with each entry's feedback,
    its latest value and its open concerns; a fixed number of queries."""

    items = list(
        ReviewItem.objects.filter(proposal__workshop=workshop)
        .select_related("proposal", "proposal__current_revision", "entry")
        .order_by("entry__position", "entry_id")
    )
    summaries = feedback_summaries(entry_ids=[i.entry_id for i in items])
    uids = [i.entry.kpi_uid for i in items]
    latest: dict = {}
    for m in Measurement.objects.filter(
        organisation_id=workshop.organisation_id, kpi_uid__in=uids, breakdown=""
    ).order_by("kpi_uid", "-period"):
        latest.setdefault(m.kpi_uid, m)
    # Open concerns on the review proposal and on the proposal the entry was published from.
    sources = {i.proposal_id for i in items} | {
        i.entry.proposal_id for i in items if i.entry.proposal_id
    }
    concerns = dict(
        Comment.objects.filter(
            proposal__in=sources, stance=Stance.CONCERN, resolved_at__isnull=True
        )
        .values_list("proposal_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        ReviewRow(
            proposal=i.proposal,
            item=i,
            feedback=summaries[i.entry_id],
            latest=latest.get(i.entry.kpi_uid),
            concerns=concerns.get(i.proposal_id, 0) + concerns.get(i.entry.proposal_id, 0),
        )
        for i in items
    ]


# --- home page: reviews coming due ---

#: Reviews this close (or overdue) are announced on the home page.
ANNOUNCE_DAYS = 30


def review_banners_for(*, memberships) -> list[dict]:
    """For each organisation the user facilitates: the next catalogue review if it is due within
    ``ANNOUNCE_DAYS`` (or overdue), with how many KPIs the people who use them flagged. Three
    queries however many organisations and KPIs: the current releases, the soonest entry
    review per release, the flag counts of the releases that are due."""
    facilitated = [m for m in memberships or [] if m.role == Role.FACILITATOR]
    if not facilitated:
        return []
    releases = _current_releases(organisation_ids=[m.organisation_id for m in facilitated])
    if not releases:
        return []
    soonest = {r.pk: r.next_review for r in releases}
    for release_id, first in (
        EntryReview.objects.filter(entry__release_id__in=list(soonest))
        .values_list("entry__release_id")
        .annotate(first=Min("next_review"))
        .order_by()
    ):
        current = soonest[release_id]
        soonest[release_id] = first if current is None else min(current, first)
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=ANNOUNCE_DAYS)
    due = {pk: date for pk, date in soonest.items() if date is not None and date <= horizon}
    if not due:
        return []
    flagged = flagged_counts(release_ids=list(due))
    release_of = {r.organisation_id: r.pk for r in releases}
    banners = []
    for m in facilitated:
        release_id = release_of.get(m.organisation_id)
        if release_id not in due:
            continue
        days = (due[release_id] - today).days
        banners.append(
            {
                "organisation": m.organisation,
                "days": days,
                "late": -days,
                "flagged": flagged[release_id],
            }
        )
    return banners
