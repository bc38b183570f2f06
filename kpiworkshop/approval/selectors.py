"""Reads for the approval board: the shortlist with its decisions, contributors, training-note
languages and stale notes, the quorum, and the goal/audience links and vote summaries a board row
and a release snapshot both show. Each function owns its joins so the board's query count does
not grow with the number of KPIs."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Comment, Proposal, ProposalState, Revision, Stance
from kpiworkshop.mapping.models import AudienceLink, GoalLink
from kpiworkshop.voting.models import Ballot, BallotState
from kpiworkshop.voting.selectors import OTHER_GROUPS, results_for_ballot
from kpiworkshop.workshops.models import Participant, Workshop

from .currency import void_approved
from .figures import stale_quotes
from .models import APPROVING, Approval, ApprovalPolicy, TrainingNotes

# --- approval ---------------------------------------------------------------------------------


def quorum_for(*, workshop: Workshop) -> int:
    policy = ApprovalPolicy.objects.filter(workshop=workshop).first()
    return policy.quorum if policy else 1


def approver_count(*, workshop: Workshop) -> int:
    """Active participants who may decide (leadership), contributors included."""
    return Participant.objects.active().filter(workshop=workshop, role=Role.LEADERSHIP).count()


def contributor_ids(*, proposal: Proposal) -> frozenset[int]:
    """The author, every revision's author and every credited suggester."""
    ids = {proposal.author_id}
    for author_id, credited_id in Revision.objects.filter(proposal=proposal).values_list(
        "author_id", "credited_to_id"
    ):
        ids.add(author_id)
        if credited_id:
            ids.add(credited_id)
    return frozenset(ids)


def _contributors_by_proposal(proposal_ids: list[int], authors: dict[int, int]) -> dict:
    out: dict[int, set[int]] = {pid: {authors[pid]} for pid in proposal_ids}
    for pid, author_id, credited_id in Revision.objects.filter(
        proposal_id__in=proposal_ids
    ).values_list("proposal_id", "author_id", "credited_to_id"):
        out[pid].add(author_id)
        if credited_id:
            out[pid].add(credited_id)
    return {pid: frozenset(ids) for pid, ids in out.items()}


APPROVAL_STATES = [
    ProposalState.SHORTLISTED,
    ProposalState.APPROVED,
    ProposalState.REJECTED,
    ProposalState.CHANGES_REQUESTED,
]


#: The definition fields whose figures training notes quote (issue 17, item 26).
FIGURE_FIELDS = ("target", "thresholds", "baseline")


@dataclass(frozen=True)
class StaleNotes:
    """Training notes in ``language`` that quote ``quoted`` (as written in them), figures an
    earlier revision's target, thresholds or baseline stated and the current one does not."""

    proposal_id: int
    name: str
    language: str
    quoted: list[str]
    target: str
    thresholds: str


def stale_quotes_of(*, notes: TrainingNotes, current: Revision) -> list[str]:
    """The figures ``notes`` quote from the revision they were checked against that
    ``current`` no longer states (empty: they still hold). ``notes.revision`` is read."""
    if notes.revision_id is None or notes.revision_id == current.pk:
        return []
    before = notes.revision
    return stale_quotes(
        notes.as_dict().values(),
        before=[getattr(before, f) for f in FIGURE_FIELDS],
        after=[getattr(current, f) for f in FIGURE_FIELDS],
    )


def _stale_notes(proposals: dict[int, Proposal], checked: list[tuple[int, str, int]]) -> dict:
    """Per proposal, its stale notes, from (proposal id, language, revision id) rows: one
    query, and only when some notes were checked against an earlier revision."""
    behind = [
        (pid, lang)
        for pid, lang, revision_id in checked
        if revision_id is not None and revision_id != proposals[pid].current_revision_id
    ]
    if not behind:
        return {}
    wanted = Q()
    for pid, lang in behind:
        wanted |= Q(proposal_id=pid, language=lang)
    out: dict[int, list[StaleNotes]] = {}
    for notes in TrainingNotes.objects.filter(wanted).select_related("revision"):
        rev = proposals[notes.proposal_id].current_revision
        quoted = stale_quotes_of(notes=notes, current=rev)
        if quoted:
            out.setdefault(notes.proposal_id, []).append(
                StaleNotes(
                    notes.proposal_id, rev.name, notes.language, quoted, rev.target, rev.thresholds
                )
            )
    for found in out.values():
        found.sort(key=lambda s: s.language)
    return out


@dataclass
class ApprovalRow:
    proposal: Proposal
    decisions: list[Approval]
    contributors: frozenset[int]
    languages_with_notes: set[str] = field(default_factory=set)
    goals: list[dict] = field(default_factory=list)
    audiences: list[dict] = field(default_factory=list)
    votes: list[dict] = field(default_factory=list)
    open_concerns: int = 0
    stale_notes: list[StaleNotes] = field(default_factory=list)

    @property
    def current(self) -> list[Approval]:
        return [d for d in self.decisions if d.superseded_at is None]

    @property
    def approvals(self) -> int:
        return sum(1 for d in self.current if d.decision in APPROVING)


def approval_rows(*, workshop: Workshop) -> list[ApprovalRow]:
    """The shortlist with its decisions, contributors and training-note languages: four
    queries whatever its length."""
    proposals = list(
        Proposal.objects.filter(workshop=workshop, state__in=APPROVAL_STATES)
        .select_related("current_revision", "author")
        .prefetch_related(
            Prefetch(
                "approvals",
                queryset=Approval.objects.select_related("approver", "revision").order_by(
                    "created_at", "id"
                ),
            )
        )
        .order_by("state", "created_at", "id")
    )
    ids = [p.pk for p in proposals]
    for p in proposals:
        p.workshop = workshop  # the permission predicates read it: no query per row
    contributors = _contributors_by_proposal(ids, {p.pk: p.author_id for p in proposals})
    notes: dict[int, set[str]] = {}
    checked = list(
        TrainingNotes.objects.filter(proposal_id__in=ids).values_list(
            "proposal_id", "language", "revision_id"
        )
    )
    for pid, lang, _revision_id in checked:
        notes.setdefault(pid, set()).add(lang)
    stale = _stale_notes({p.pk: p for p in proposals}, checked)
    goals, audiences = proposal_links(ids)
    votes = vote_summaries(workshop) if ids else {}
    concerns = dict(
        Comment.objects.filter(
            proposal_id__in=ids,
            stance=Stance.CONCERN,
            hidden_at__isnull=True,
            resolved_at__isnull=True,
            moderation="shown",
        )
        .values_list("proposal_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        ApprovalRow(
            p,
            list(p.approvals.all()),
            contributors[p.pk],
            notes.get(p.pk, set()),
            goals.get(p.pk, []),
            audiences.get(p.pk, []),
            votes.get(p.pk, []),
            concerns.get(p.pk, 0),
            stale.get(p.pk, []),
        )
        for p in proposals
    ]


def approved_proposals(*, workshop: Workshop) -> list[Proposal]:
    """The approved KPIs a release takes: without those whose approvals are void (issue 20,
    ``currency.void_approved``)."""
    return list(
        Proposal.objects.filter(workshop=workshop, state=ProposalState.APPROVED)
        .exclude(void_approved())
        .select_related("current_revision")
        .order_by("created_at", "id")
    )


def void_approved_proposals(*, workshop: Workshop) -> list[Proposal]:
    """Approved KPIs whose approving decisions are all on an earlier revision: publishing
    refuses to start while there are any."""
    return list(
        Proposal.objects.filter(workshop=workshop, state=ProposalState.APPROVED)
        .filter(void_approved())
        .select_related("current_revision")
        .order_by("created_at", "id")
    )


def proposals_with_notes(*, workshop: Workshop, language: str) -> set[int]:
    return set(
        TrainingNotes.objects.filter(proposal__workshop=workshop, language=language).values_list(
            "proposal_id", flat=True
        )
    )


def notes_for(*, proposal: Proposal) -> dict[str, TrainingNotes]:
    """A KPI's notes by language, with the revision each was checked against."""
    return {
        n.language: n
        for n in TrainingNotes.objects.filter(proposal=proposal).select_related("revision")
    }


def vote_summaries(workshop: Workshop) -> dict[int, list[dict]]:
    """Per proposal, each closed round's result: overall and per stakeholder group, as the
    voting app shows them (groups too small to be shown in a secret ballot are left out, and
    merged into an "other groups" line, and a round with too few voters shows no figure: the
    voting app's small-group rule, ``voting.selectors.result_blocks``)."""
    out: dict[int, list[dict]] = {}
    for ballot in Ballot.objects.filter(workshop=workshop, state=BallotState.CLOSED).order_by(
        "created_at", "id"
    ):
        results = results_for_ballot(ballot=ballot)
        hide_overall = results.withheld
        for row in results.rows:
            out.setdefault(row.proposal.pk, []).append(
                {
                    "ballot": ballot.title_text,  # release language: snapshotted under its override
                    "method": ballot.method,
                    "secret": ballot.secret,
                    "voters": None if hide_overall else results.voters,
                    "percent": None if hide_overall else row.percent,
                    "divergence": row.divergence,
                    "groups": [
                        {
                            "role": g.role,
                            "roles": list(g.roles),
                            "percent": round(100 * g.normalised),
                        }
                        for g in row.groups
                    ],
                }
            )
    return out


def link_slug(obj) -> str:
    return obj.key or f"{obj._meta.model_name[0]}{obj.pk}"


def proposal_links(proposal_ids: list[int]) -> tuple[dict[int, list], dict[int, list]]:
    """Goal and audience links per proposal, from the mapping stage (names in the active
    language: the caller snapshots them in the release's language)."""
    goals: dict[int, list] = {}
    for link in GoalLink.objects.filter(proposal_id__in=proposal_ids).select_related("goal"):
        goals.setdefault(link.proposal_id, []).append(
            {
                "slug": link_slug(link.goal),
                "name": link.goal.label,
                "kind": link.strength,
                "why": link.why,
            }
        )
    audiences: dict[int, list] = {}
    for link in AudienceLink.objects.filter(proposal_id__in=proposal_ids).select_related(
        "audience"
    ):
        audiences.setdefault(link.proposal_id, []).append(
            {
                "slug": link_slug(link.audience),
                "name": link.audience.label,
                "kind": link.relation,
                "cadence": link.cadence,
                "where": link.where_shown,
            }
        )
    return goals, audiences


def vote_group_label(group: dict) -> str:
    """The reader's-language label of a snapshotted vote group: a role, or the "other groups"
    line a secret ballot merges its small groups into (with the roles it holds)."""
    role = group.get("role", "")
    if role == OTHER_GROUPS:
        names = ", ".join(_role_label(r) for r in group.get("roles") or [])
        return _("Other groups (%(groups)s)") % {"groups": names} if names else _("Other groups")
    return _role_label(role)


def _role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role or ""
