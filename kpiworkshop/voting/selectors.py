"""Reads for ballots: the tally is one grouped aggregate query over the votes; everything else
on the results page is arithmetic over its (proposal × role × criterion) rows, never a loop over
votes."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Role
from kpiworkshop.core import versions
from kpiworkshop.core.fragments import versioned_key
from kpiworkshop.kpis.models import Proposal
from kpiworkshop.workshops.models import Participant, Workshop

from . import rawsql
from .models import (
    SCORE_MAX,
    SCORE_MIN,
    Ballot,
    BallotItem,
    Criterion,
    Method,
    Vote,
    Voter,
    criterion_text,
)
from .rawsql import voter_and_ballot  # noqa: F401 - raw SQL, see rawsql
from .revisions import Currency, MyVotes, currency_for_ballot

#: Divergence (0–100) from which a proposal is flagged as dividing the groups.
DIVERGENCE_FLAG = 25


def _count_of(model, **filters):
    """A correlated COUNT per ballot, as a subquery: joining items and voters in one query
    would multiply their rows (items x voters) before counting."""
    return Subquery(
        model.objects.filter(ballot=OuterRef("pk"), **filters)
        .order_by()
        .values("ballot")
        .annotate(n=Count("id"))
        .values("n")
    )


def ballots_for_workshop(*, workshop: Workshop, ballot_id: int | None = None) -> list[Ballot]:
    qs = Ballot.objects.filter(workshop=workshop)
    if ballot_id is not None:
        qs = qs.filter(pk=ballot_id)
    return list(
        qs.annotate(
            item_count=Coalesce(_count_of(BallotItem), 0),
            voter_count=Coalesce(_count_of(Voter), 0),
        ).order_by("-created_at", "-id")
    )


def _with_activity(qs, *, viewer: Participant | None = None):
    """Annotate, as subqueries (each an index lookup or a small aggregate), the versions a
    ballot's pages are keyed by (``core.versions``): the ballot's own scope (settings, state,
    proposals), the workshop's board (the proposals' names and states) and roster (the
    turnout's "of N"), the number of voters and the sum of their vote counters
    (``Voter.changes``, bumped by every vote in its transaction). Joining voters instead
    would multiply rows. With ``viewer``, also whether that person has voted
    (``viewer_voted``), which saves their page a query."""
    voters = Voter.objects.filter(ballot=OuterRef("pk")).order_by().values("ballot")
    qs = qs.annotate(
        setup_version=versions.version_subquery(versions.BALLOT),
        board_version=versions.version_subquery(versions.BOARD, "workshop_id"),
        roster_version=versions.version_subquery(versions.ROSTER, "workshop_id"),
        voters_n=Subquery(voters.annotate(n=Count("id")).values("n")),
        votes_n=Subquery(voters.annotate(n=Sum("changes")).values("n")),
    )
    if viewer is not None:
        qs = qs.annotate(
            viewer_voted=Exists(Voter.objects.filter(ballot=OuterRef("pk"), participant=viewer))
        )
    return qs


def ballot_get(*, workshop: Workshop, ballot_id: int, with_activity: bool = False) -> Ballot | None:
    """One ballot of this workshop. ``with_activity`` adds, in the same query, what
    ``ballot_version`` needs (see ``_with_activity``). The activity annotations are raw column
    values (a time may be a string on SQLite): they are only compared, through
    ``ballot_version``. The ballot page reads its ballot with its viewer
    (``ballot_page_read``)."""
    if with_activity:
        ballot = rawsql.ballot_with_activity(
            workshop_id=workshop.pk, ballot_id=ballot_id, annotate=_with_activity
        )
    else:
        ballot = Ballot.objects.filter(workshop=workshop, pk=ballot_id).first()
    if ballot is not None:
        ballot.workshop = workshop  # already loaded with its organisation by the caller
    return ballot


def ballot_page_read(
    *, workshop_id: int, ballot_id: int, user, guest_key: str | None
) -> tuple[Participant, Ballot | None] | None:
    """The ballot page's viewer and ballot in one query (``rawsql.ballot_page_read``): the
    request's participant with the workshop and organisation, the ballot with what
    ``ballot_version`` needs and whether the viewer has voted (``viewer_voted``), and the
    viewer's own votes, kept for ``my_votes``. None when the request has not joined the
    workshop (the caller falls back to ``load_workshop`` and ``ballot_get``); the ballot is
    None when the workshop has no such ballot."""
    return rawsql.ballot_page_read(
        workshop_id=workshop_id,
        ballot_id=ballot_id,
        user=user,
        guest_key=guest_key,
        annotate=_with_activity,
    )


def _activity_of(ballot: Ballot) -> Ballot:
    """``ballot`` with the annotations of ``ballot_get(with_activity=True)`` (read again when
    it lacks them), so that a version is computed from the same values whoever asks."""
    if hasattr(ballot, "votes_n"):
        return ballot
    workshop = Workshop(pk=ballot.workshop_id)
    return ballot_get(workshop=workshop, ballot_id=ballot.pk, with_activity=True) or ballot


def ballot_items(*, ballot: Ballot) -> list[Proposal]:
    """The ballot's proposals in ballot order, each with its current revision. Read once per
    loaded ballot (a request's): a ballot's items never change after its creation, and the
    page and its shared fragments both need them."""
    memo = ballot.__dict__.setdefault("_kpiw_memo", {})
    if "items" not in memo:
        items = (
            BallotItem.objects.filter(ballot=ballot)
            .select_related("proposal__current_revision")
            .order_by("position")
        )
        memo["items"] = [item.proposal for item in items]
    return memo["items"]


def ballot_item(*, ballot: Ballot, proposal_id: int | None) -> Proposal | None:
    if proposal_id is None:
        return None
    item = (
        BallotItem.objects.filter(ballot=ballot, proposal_id=proposal_id)
        .select_related("proposal__current_revision")
        .first()
    )
    return item.proposal if item else None


def ballot_criteria(*, ballot: Ballot) -> list[Criterion]:
    """The ballot's criteria in order, read once per loaded ballot (see ``ballot_items``)."""
    memo = ballot.__dict__.setdefault("_kpiw_memo", {})
    if "criteria" not in memo:
        memo["criteria"] = list(Criterion.objects.filter(ballot=ballot).order_by("position"))
    return memo["criteria"]


def my_votes(*, ballot: Ballot, participant: Participant | None) -> MyVotes:
    """{(proposal_id, criterion_id): value} for one person: what their own phone shows, with
    the votes on an earlier version of their KPI (``MyVotes.earlier``, issue 20). Its SQL is
    compiled once per process (every phone's page asks it); no query when they were read with
    the ballot (``ballot_page_read``)."""
    if participant is None:
        return MyVotes((), method=ballot.method)
    rows = rawsql.viewer_votes_of(ballot, participant.pk)
    if rows is None:
        rows = rawsql.my_votes_rows(ballot_id=ballot.pk, viewer_id=participant.pk)
    return MyVotes(rows, method=ballot.method)


@dataclass
class BallotCards:
    """What one person's ballot page shows of their own votes."""

    items: list[Proposal]
    criteria: list[Criterion]
    cards: list[dict]
    has_voted: bool
    dots_spent: int


def ballot_cards(
    *,
    ballot: Ballot,
    participant: Participant | None,
    mine: dict[tuple[int, int], int] | None = None,
    voted: bool | None = None,
) -> BallotCards:
    """The ballot's proposals as cards with this person's own votes on them (a ranking in
    their order, unranked ones last), and whether they have voted. Pass ``mine``
    (``my_votes``) and ``voted`` (``has_voted``) when already known, to save their queries."""
    items = ballot_items(ballot=ballot)
    criteria = ballot_criteria(ballot=ballot)
    if mine is None:
        mine = my_votes(ballot=ballot, participant=participant)
    overall = criteria[0].pk if criteria else None
    cards = [
        {
            # A string: the template writes it a dozen times, and an int is localised each time.
            "pid": str(proposal.pk),
            "proposal": proposal,
            "value": mine.get((proposal.pk, overall)),
            "dots": range(mine.get((proposal.pk, overall)) or 0),
            "scores": [(c, mine.get((proposal.pk, c.pk))) for c in criteria],
        }
        for proposal in items
    ]
    if ballot.method == Method.RANKING:
        ranked = {pid: v for (pid, _c), v in mine.items()}
        position = {p.pk: i for i, p in enumerate(items)}
        cards.sort(key=lambda c: (ranked.get(c["proposal"].pk, 10_000), position[c["proposal"].pk]))
    return BallotCards(
        items=items,
        criteria=criteria,
        cards=cards,
        has_voted=bool(mine)
        or (voted if voted is not None else has_voted(ballot=ballot, participant=participant)),
        dots_spent=sum(mine.values()) if ballot.method == Method.DOTS else 0,
    )


def ballot_card(
    *, ballot: Ballot, participant: Participant | None, proposal_id: int
) -> dict | None:
    """One card's controls with this person's votes on it, or None when the proposal is not
    on this ballot."""
    if not BallotItem.objects.filter(ballot=ballot, proposal_id=proposal_id).exists():
        return None
    criteria = ballot_criteria(ballot=ballot) if ballot.method == Method.SCORE else []
    mine = (
        {
            c: v
            for c, v in Vote.objects.filter(
                ballot=ballot, participant=participant, proposal_id=proposal_id
            ).values_list("criterion_id", "value")
        }
        if participant is not None
        else {}
    )
    value = next(iter(mine.values()), None)
    return {
        "pid": str(proposal_id),
        "value": value,
        "dots": range(value or 0),
        "scores": [(c, mine.get(c.pk)) for c in criteria],
    }


def has_voted(*, ballot: Ballot, participant: Participant | None) -> bool:
    if participant is None:
        return False
    return Voter.objects.filter(ballot=ballot, participant=participant).exists()


def ballot_version(*, ballot: Ballot) -> str:
    """The version of everything a ballot's results, board and turnout show: its state (read
    with it, and whether its timer has run out now), the ballot's scope (bumped by every
    ballot service), the votes (the voters and the sum of their vote counters, bumped by
    every vote), the proposals' names and the participants (the workshop's board and roster
    scopes). Every part moves in the transaction of the write that changes it, so the key
    never lags a commit. Uses the annotations of ``ballot_get(with_activity=True)`` when
    present, else one query."""
    ballot = _activity_of(ballot)
    return versioned_key(
        ballot.pk,
        ballot.state,
        ballot.is_open,
        ballot.secret,
        ballot.visibility,
        ballot.closes_at,
        ballot.revealed_at,
        ballot.setup_version,
        ballot.board_version,
        ballot.roster_version,
        ballot.voters_n,
        ballot.votes_n,
    )


def cards_version(*, ballot: Ballot) -> str:
    """The version of the ballot page's cards as everyone sees them before their own votes
    are filled in: the ballot's settings and state (open or not, its timer), its scope and
    the proposals' names. Not the votes: the cards stay shared while the room votes."""
    ballot = _activity_of(ballot)
    return versioned_key(
        ballot.pk,
        ballot.method,
        ballot.state,
        ballot.is_open,
        ballot.closes_at,
        ballot.setup_version,
        ballot.board_version,
    )


# --- turnout ----------------------------------------------------------------------------------


@dataclass
class GroupTurnout:
    role: str
    label: str
    voted: int
    eligible: int

    @property
    def percent(self) -> int:
        return round(100 * self.voted / self.eligible) if self.eligible else 0


def turnout(*, ballot: Ballot) -> list[GroupTurnout]:
    """Voters and eligible participants per role: two grouped counts."""
    voted = dict(
        Voter.objects.filter(ballot=ballot).values_list("role").annotate(n=Count("id")).order_by()
    )
    # Leadership does not vote and facilitators run the room: neither is counted as expected
    # to vote (a facilitator who does vote still shows in the voted count).
    eligible_qs = (
        Participant.objects.active()
        .filter(workshop_id=ballot.workshop_id)
        .exclude(role__in=[Role.LEADERSHIP, Role.FACILITATOR])
    )
    if ballot.eligible_roles:
        eligible_qs = eligible_qs.filter(role__in=ballot.eligible_roles)
    eligible = dict(eligible_qs.values_list("role").annotate(n=Count("id")).order_by())
    return turnout_from(voted=voted, eligible=eligible)


def turnout_from(*, voted: dict[str, int], eligible: dict[str, int]) -> list[GroupTurnout]:
    """``turnout``'s groups from its two counts ({role: n}), for a caller that counted several
    ballots at once (``agreement``)."""
    roles = [r for r in Role.values if r in voted or r in eligible]
    return [
        GroupTurnout(
            r, str(Role(r).label), voted.get(r, 0), max(eligible.get(r, 0), voted.get(r, 0))
        )
        for r in roles
    ]


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultBlock:
    """A set of voters whose votes are shown together: one role group, or "other groups"."""

    key: str  # the role, or OTHER_GROUPS
    label: str
    roles: tuple[str, ...]
    voters: int


OTHER_GROUPS = "other"


def secret_minimum() -> int:
    """The fewest voters a secret ballot ever shows a figure for (settings, never below 2)."""
    return max(2, int(getattr(settings, "KPIW_SECRET_MIN_GROUP", 3)))


def result_blocks(*, turnout: list[GroupTurnout], secret: bool) -> list[ResultBlock]:
    """THE small-group rule: which voters each shown result line covers. Page, board, API (and
    exports) get their figures from ``results_for_ballot``, which computes every figure from
    these blocks' sums and nothing finer.

    Open ballot: each role group that voted is a block of its own.

    Secret ballot, with K = ``secret_minimum()``:

    1. fewer than K voters in all: no block, and no result is shown (the overall figure would
       be those few people's votes);
    2. each group of at least K voters is a block of its own; the groups under K are merged
       into one "other groups" block;
    3. while that block has fewer than K voters, the smallest shown group joins it (so with
       3 agents and 1 stakeholder there is only the overall line);
    4. a single block is just the overall line: no per-group lines, no divergence, and no
       equal-weights view (it has nothing to weigh).

    Why this cannot be undone by arithmetic: everything shown (overall, group lines, equal
    weights, divergence, per-criterion means, ranks) is a function of the blocks' sums, and
    every block has at least K voters, so any sum or difference of shown figures covers whole
    blocks: never a group under K on its own, and never one person. Hiding a small group's
    line while still showing every other group and the overall (the earlier rule) let its
    votes be read as overall minus the rest; re-weighting each hidden group on its own in the
    equal-weights view leaked them too. What K does not protect against is people pooling
    their own ballots, and watching a live board change as one person votes: the guide says so.
    """
    active = [g for g in turnout if g.voted]
    if not secret:
        return [ResultBlock(g.role, g.label, (g.role,), g.voted) for g in active]
    minimum = secret_minimum()
    if sum(g.voted for g in active) < minimum:
        return []
    shown = sorted((g for g in active if g.voted >= minimum), key=lambda g: (-g.voted, g.role))
    merged = [g for g in active if g.voted < minimum]
    while merged and sum(g.voted for g in merged) < minimum:
        merged.append(shown.pop())  # the smallest shown group joins the others
    blocks = [ResultBlock(g.role, g.label, (g.role,), g.voted) for g in shown]
    if merged:
        roles = tuple(r for r in Role.values if r in {g.role for g in merged})
        label = _("Other groups (%(groups)s)") % {
            "groups": ", ".join(str(Role(r).label) for r in roles)
        }
        blocks.append(ResultBlock(OTHER_GROUPS, label, roles, sum(g.voted for g in merged)))
    return blocks


@dataclass
class GroupResult:
    role: str  # a role, or OTHER_GROUPS for the merged small groups of a secret ballot
    label: str
    value: float  # in the method's own unit (yes votes, dots, mean score, Borda points)
    normalised: float  # 0..1, comparable across groups of different sizes
    roles: tuple[str, ...] = ()


@dataclass
class ProposalResult:
    proposal: Proposal
    value: float
    normalised: float
    equal_weight: float
    votes: int
    groups: list[GroupResult] = field(default_factory=list)
    criteria: list[tuple[str, float]] = field(default_factory=list)
    divergence: int = 0
    rank: int = 0
    #: (voters, of them on the current version): open rounds whose KPIs changed (issue 20).
    on_current: tuple[int, int] | None = None

    @property
    def divides(self) -> bool:
        return self.divergence >= DIVERGENCE_FLAG

    @property
    def percent(self) -> int:
        return round(100 * self.normalised)


@dataclass
class Results:
    ballot: Ballot
    rows: list[ProposalResult]
    turnout: list[GroupTurnout]
    voters: int
    equal_weight: bool  # the rows are ordered by equal weights (asked for, and possible)
    roles: list[tuple[str, str]]  # the group lines shown: (key, label)
    hidden_groups: int = 0  # role groups not shown on their own (merged into a line)
    withheld: bool = False  # a secret ballot with too few voters: no figure is shown
    minimum: int = 0  # the secret ballot's minimum group size
    can_weigh_equally: bool = False  # at least two group lines to weigh
    #: How many votes are on the current version of their KPI (``revisions.Currency``), or
    #: None when no KPI of the round changed since it opened.
    currency: Currency | None = None

    @property
    def divided(self) -> list[ProposalResult]:
        return sorted((r for r in self.rows if r.divides), key=lambda r: -r.divergence)


def tally_rows(*, ballot: Ballot) -> list[dict]:
    """THE tally: one aggregate query grouped by proposal, role and criterion."""
    return list(
        Vote.objects.filter(ballot=ballot)
        .values("proposal_id", "role", "criterion_id")
        .annotate(total=Sum("value"), n=Count("id"))
        .order_by()
    )


def _normalise(
    method: str, *, total: float, n: int, voters: int, ballot: Ballot, items: int
) -> float:
    """A group's (or everyone's) standing for one proposal on a 0..1 scale."""
    if voters <= 0:
        return 0.0
    if method == Method.APPROVAL:
        return total / voters
    if method == Method.DOTS:
        return total / (voters * ballot.dot_budget)
    if method == Method.SCORE:
        return ((total / n) - SCORE_MIN) / (SCORE_MAX - SCORE_MIN) if n else 0.0
    # ranking: Borda points (items - rank) over the most a proposal could get
    return total / (voters * (items - 1)) if items > 1 else 0.0


def results_for_ballot(
    *,
    ballot: Ballot,
    equal_weight: bool = False,
    items: list[Proposal] | None = None,
    criteria_list: list[Criterion] | None = None,
    groups: list[GroupTurnout] | None = None,
) -> Results:
    """Results of a ballot, as every page, the board and the API show them. Pass ``items`` /
    ``criteria_list`` / ``groups`` (the turnout) when the caller has loaded them already, to
    save their queries."""
    items = ballot_items(ballot=ballot) if items is None else items
    results = results_from_tally(
        ballot=ballot,
        items=items,
        criteria_list=ballot_criteria(ballot=ballot) if criteria_list is None else criteria_list,
        rows=tally_rows(ballot=ballot),
        turnout=turnout(ballot=ballot) if groups is None else groups,
        equal_weight=equal_weight,
    )
    if results.rows:  # nothing is shown of a round without votes or withheld as a whole
        results.currency = currency_for_ballot(
            ballot=ballot, items=items, voters=results.voters, minimum=secret_minimum()
        )
        if results.currency is not None and not results.currency.secret:
            for row in results.rows:
                row.on_current = results.currency.per_proposal.get(row.proposal.pk)
    return results


def results_from_tally(
    *,
    ballot: Ballot,
    items: list[Proposal],
    criteria_list: list[Criterion],
    rows: list[dict],
    turnout: list[GroupTurnout],
    equal_weight: bool = False,
) -> Results:
    """The arithmetic of ``results_for_ballot`` over tally rows (no query). Every figure is
    computed from the sums of ``result_blocks``, never from a finer grouping."""
    n_items = len(items)
    method = ballot.method
    blocks = result_blocks(turnout=turnout, secret=ballot.secret)
    block_of = {role: block for block in blocks for role in block.roles}
    total_voters = sum(g.voted for g in turnout)
    criteria = {c.pk: c.text for c in criteria_list}  # in the reader's language

    # (proposal, block) -> [sum, n] and (proposal, criterion) -> [sum, n], over shown blocks
    by_block: dict[tuple[int, str], list[float]] = {}
    by_criterion: dict[tuple[int, int], list[float]] = {}
    for row in rows:
        block = block_of.get(row["role"])
        if block is None:  # withheld (or a role with no turnout row: never shown)
            continue
        total = row["total"] or 0
        if method == Method.RANKING:
            total = n_items * row["n"] - total  # Borda: rank r earns (items - r) points
        g = by_block.setdefault((row["proposal_id"], block.key), [0, 0])
        g[0] += total
        g[1] += row["n"]
        c = by_criterion.setdefault((row["proposal_id"], row["criterion_id"]), [0, 0])
        c[0] += total
        c[1] += row["n"]

    lines = blocks if len(blocks) >= 2 else []
    results: list[ProposalResult] = []
    for proposal in items if blocks else []:
        total = sum(by_block.get((proposal.pk, b.key), [0, 0])[0] for b in blocks)
        n = sum(by_block.get((proposal.pk, b.key), [0, 0])[1] for b in blocks)
        group_results = []
        for b in lines:
            g_total, g_n = by_block.get((proposal.pk, b.key), [0, 0])
            norm = _normalise(
                method, total=g_total, n=g_n, voters=b.voters, ballot=ballot, items=n_items
            )
            shown = (g_total / g_n if g_n else 0.0) if method == Method.SCORE else g_total
            group_results.append(GroupResult(b.key, b.label, shown, norm, b.roles))
        overall_norm = _normalise(
            method, total=total, n=n, voters=total_voters, ballot=ballot, items=n_items
        )
        # Equal weights: the mean of the shown lines' standings ("other groups" counts as one
        # group). Weighing hidden groups one by one would let them be solved for.
        equal = (
            sum(g.normalised for g in group_results) / len(group_results)
            if group_results
            else overall_norm
        )
        value = (total / n if n else 0.0) if method == Method.SCORE else total
        norms = [g.normalised for g in group_results]
        divergence = round(100 * (max(norms) - min(norms))) if len(norms) >= 2 else 0
        crit = []
        if method == Method.SCORE:
            for cid, label in criteria.items():
                c_total, c_n = by_criterion.get((proposal.pk, cid), [0, 0])
                crit.append((label, c_total / c_n if c_n else 0.0))
        results.append(
            ProposalResult(
                proposal=proposal,
                value=value,
                normalised=overall_norm,
                equal_weight=equal,
                votes=n,
                groups=group_results,
                criteria=crit,
                divergence=divergence,
            )
        )
    weigh = equal_weight and len(lines) >= 2
    key = (
        (lambda r: (-r.equal_weight, -r.value))
        if weigh
        else (lambda r: (-r.value, -r.equal_weight))
    )
    results.sort(key=key)
    for i, row in enumerate(results, start=1):
        row.rank = i
    return Results(
        ballot=ballot,
        rows=results,
        turnout=turnout,
        voters=total_voters,
        equal_weight=weigh,
        roles=[(b.key, b.label) for b in lines],
        hidden_groups=sum(1 for b in blocks for _r in b.roles if len(b.roles) > 1)
        if ballot.secret
        else 0,
        withheld=not blocks and total_voters > 0,
        minimum=secret_minimum() if ballot.secret else 0,
        can_weigh_equally=len(lines) >= 2,
    )


def individual_votes(*, ballot: Ballot) -> list[dict]:
    """Who voted what, for the facilitator of an OPEN ballot only (callers check
    permissions.can_see_individual_votes; never call this for a secret ballot)."""
    if ballot.secret:
        return []
    rows = list(
        Vote.objects.filter(ballot=ballot)
        .select_related("participant", "proposal__current_revision", "criterion")
        .order_by("participant__display_name", "proposal_id", "criterion__position")
        .values(
            "participant__display_name",
            "role",
            "proposal__current_revision__name",
            "criterion__code",
            "criterion__label",
            "value",
            "reason",
        )
    )
    for row in rows:
        # The criterion in the reader's language (``Criterion.text``).
        row["criterion"] = criterion_text(row["criterion__code"], row["criterion__label"])
    return rows


def reasons_for_ballot(*, ballot: Ballot, limit: int = 200) -> list[dict]:
    """The reasons given with votes; in a secret ballot without names or roles, which could
    single a person out."""
    qs = Vote.objects.filter(ballot=ballot).exclude(reason="").order_by("-updated_at")
    fields = ["proposal_id", "reason"]
    if not ballot.secret:
        fields += ["role", "participant__display_name"]
    return list(qs.values(*fields)[:limit])


def dots_left(*, ballot: Ballot, mine: dict) -> int:
    """The dots this person has left to give: the budget less the dots in ``mine`` (their
    votes, from ``my_votes``) on a dot-voting ballot; the whole budget on any other."""
    return ballot.dot_budget - (sum(mine.values()) if ballot.method == Method.DOTS else 0)
