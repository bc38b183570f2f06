"""What the review pages read: feedback counts and flags, measured values, the review
schedule and who to remind, the review workshop's rows, the home page's banners. Each selector
owns its joins so a page's query count is fixed by one function."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q
from django.utils import timezone

from kpiworkshop.accounts.models import Membership, Role
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease
from kpiworkshop.kpis.models import Comment, Proposal, Stance
from kpiworkshop.workshops.models import Workshop

from . import rawsql
from .models import (
    Answer,
    EntryReview,
    Feedback,
    Measurement,
    ReviewCycle,
    ReviewItem,
    ReviewSettings,
)

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


#: How many of the latest comments a KPI's page shows.
FEEDBACK_COMMENTS_SHOWN = 20


@dataclass
class EntryPageReads:
    """What a KPI's catalogue page reads of this app, in one statement (``entry_page_reads``)."""

    summary: FeedbackSummary
    #: The reader's own answer, None when they gave none (or are nobody).
    own: OwnFeedback | None
    #: The latest comments, newest first (hidden ones included, marked, for the facilitator).
    comments: list
    #: Every value of the KPI across releases, oldest first: ``period``, ``breakdown``, ``value``.
    values: list


def entry_page_reads(
    *, entry: CatalogEntry, organisation_id: int, person: str, with_comments: bool
) -> EntryPageReads:
    """``feedback_summaries`` for one entry, the person's own answer (``feedback_of``), the
    latest ``FEEDBACK_COMMENTS_SHOWN`` comments when ``with_comments`` and the KPI's measured
    values, in one round trip (``rawsql.entry_reads``). A person has at most one answer, so the
    group holding it is the one whose filtered count is 1, and its comment is the filtered
    maximum."""
    reads = rawsql.entry_reads(
        entry_id=entry.pk,
        person=person,
        organisation_id=organisation_id,
        kpi_uid=entry.kpi_uid,
        comments=FEEDBACK_COMMENTS_SHOWN if with_comments else 0,
    )
    summary = FeedbackSummary()
    own = None
    per_role: dict[str, dict[str, int]] = {}
    for role, answer, n, mine_n, comment in reads.counts:
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
    return EntryPageReads(summary, own, reads.comments, reads.measurements)


def feedback_get(*, organisation_id: int, feedback_id: int) -> Feedback | None:
    """One answer on the organisation's catalogue (None for another organisation's), with its
    entry and release (the page it is hidden on)."""
    return (
        Feedback.objects.filter(pk=feedback_id, entry__release__organisation_id=organisation_id)
        .select_related("entry__release")
        .first()
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


def review_proposal_get(*, workshop: Workshop, proposal_id: int) -> Proposal | None:
    """A proposal of the workshop (None for another workshop's), as the review board changes it."""
    return (
        Proposal.objects.filter(workshop=workshop, pk=proposal_id)
        .select_related("current_revision", "workshop")
        .first()
    )


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


# --- home page: reviews coming due -----------------------------------------------------------

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
