"""Where the room agrees and where it splits (issue 20, item 5): every KPI of a workshop ranked
by how much the stakeholder groups agree on it, summarised in the manner of pol.is.

The figures are the per-group results the voting app already shows (``selectors.
results_from_tally``, so a secret round's small groups are merged or withheld exactly as on its
results page, by ``selectors.result_blocks``): for each KPI, the latest round the reader may see
the results of that had it. From those lines only:

- **support** per group: the group's standing for the KPI in that round (0–100, the figure the
  results page shows);
- **agreement**: the lowest group's support (what every group gives it at least);
- **division**: the spread between the highest and the lowest group (the results page's
  divergence);
- **the room agrees on** the KPIs every group puts in its own top half of that round, with the
  groups less than ``DIVERGENCE_FLAG`` points apart; **the room is split on** the KPIs whose
  groups are ``DIVERGENCE_FLAG`` points apart or more.

Every figure is a function of the shown lines, each of which covers at least the secret
minimum of voters, so nothing here can be combined into a hidden group's votes: the same
argument as ``result_blocks``'. Reads are a fixed number of queries however many rounds, KPIs,
groups and votes there are (``agreement_for_workshop``).
"""

from dataclasses import dataclass, field
from statistics import median

from django.db.models import Count, Sum
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Role
from kpiworkshop.core.numbers import number_shown
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops.models import Participant, Workshop

from . import permissions, rawsql
from .models import Ballot, BallotItem, Criterion, Vote, Voter
from .selectors import DIVERGENCE_FLAG, _with_activity, results_from_tally, turnout_from

AGREES, SPLIT, MIXED, ONE_GROUP = "agrees", "split", "mixed", "one_group"
#: Proposals no longer in play are left out (merged into another, or withdrawn).
GONE = frozenset({ProposalState.MERGED, ProposalState.WITHDRAWN, ProposalState.DRAFT})


@dataclass
class GroupSupport:
    key: str
    label: str
    percent: int


@dataclass
class KpiAgreement:
    proposal: Proposal
    ballot: Ballot
    overall: int | None  # None: the round's results are withheld (secret, too few voters)
    groups: list[GroupSupport] = field(default_factory=list)
    verdict: str = ONE_GROUP
    #: Each group's support at or above its own median in the round (the room's "top half").
    top_half_everywhere: bool = False

    @property
    def agreement(self) -> int | None:
        return min(g.percent for g in self.groups) if len(self.groups) >= 2 else None

    @property
    def division(self) -> int | None:
        if len(self.groups) < 2:
            return None
        return max(g.percent for g in self.groups) - min(g.percent for g in self.groups)

    @property
    def lowest(self) -> GroupSupport | None:
        return min(self.groups, key=lambda g: g.percent) if len(self.groups) >= 2 else None

    @property
    def name(self) -> str:
        rev = self.proposal.current_revision
        return rev.name if rev is not None else f"#{self.proposal.pk}"


@dataclass
class Agreement:
    rows: list[KpiAgreement]
    #: Rounds whose results the reader may see, newest first.
    ballots: list[Ballot]
    #: KPIs seen only in secret rounds with too few voters: counted, never figured.
    withheld: int = 0
    sort: str = "agreement"

    @property
    def agrees(self) -> list[KpiAgreement]:
        return [r for r in self.rows if r.verdict == AGREES]

    @property
    def splits(self) -> list[KpiAgreement]:
        return sorted(
            (r for r in self.rows if r.verdict == SPLIT), key=lambda r: (-r.division, r.name)
        )

    @property
    def compared(self) -> list[KpiAgreement]:
        return [r for r in self.rows if r.verdict != ONE_GROUP]

    @property
    def uncompared(self) -> list[KpiAgreement]:
        return [r for r in self.rows if r.verdict == ONE_GROUP]


SORTS = ("agreement", "division")


def agreement_ballots(*, workshop: Workshop, actor: Participant | None) -> list[Ballot]:
    """The workshop's opened rounds whose results ``actor`` may see
    (``permissions.can_see_results``, as on each round's page), newest first, each with the
    activity ``selectors.ballot_version`` reads. One query."""
    ballots = rawsql.opened_ballots_with_activity(
        workshop_id=workshop.pk,
        viewer_id=actor.pk if actor is not None else None,
        annotate=_with_activity,
    )
    for ballot in ballots:
        ballot.workshop = workshop
    return [
        b
        for b in ballots
        if permissions.can_see_results(actor, b, has_voted=bool(getattr(b, "viewer_voted", False)))
    ]


def agreement_for_workshop(
    *,
    workshop: Workshop,
    actor: Participant | None,
    sort: str = "agreement",
    ballots: list[Ballot] | None = None,
) -> Agreement:
    """The workshop's KPIs ranked by agreement across groups (``sort="division"``: most divided
    first), from the rounds whose results ``actor`` may see (``agreement_ballots``; pass them
    when already read). Six queries, whatever the number of rounds, KPIs, groups and votes."""
    sort = sort if sort in SORTS else "agreement"
    if ballots is None:
        ballots = agreement_ballots(workshop=workshop, actor=actor)
    if not ballots:
        return Agreement(rows=[], ballots=[], sort=sort)
    ids = [b.pk for b in ballots]
    items: dict[int, list[Proposal]] = {}
    for item in (
        BallotItem.objects.filter(ballot_id__in=ids)
        .select_related("proposal__current_revision")
        .order_by("ballot_id", "position")
    ):
        items.setdefault(item.ballot_id, []).append(item.proposal)
    criteria: dict[int, list[Criterion]] = {}
    for c in Criterion.objects.filter(ballot_id__in=ids).order_by("ballot_id", "position"):
        criteria.setdefault(c.ballot_id, []).append(c)
    tallies: dict[int, list[dict]] = {}
    for row in (
        Vote.objects.filter(ballot_id__in=ids)
        .values("ballot_id", "proposal_id", "role", "criterion_id")
        .annotate(total=Sum("value"), n=Count("id"))
        .order_by()
    ):
        tallies.setdefault(row["ballot_id"], []).append(row)
    voters: dict[int, dict[str, int]] = {}
    for ballot_id, role, n in (
        Voter.objects.filter(ballot_id__in=ids)
        .values_list("ballot_id", "role")
        .annotate(n=Count("id"))
        .order_by()
    ):
        voters.setdefault(ballot_id, {})[role] = n
    # The same eligible count as ``selectors.turnout``: active participants, leadership and
    # facilitators not expected to vote; each round's eligible roles applied below.
    eligible_all = dict(
        Participant.objects.active()
        .filter(workshop_id=workshop.pk)
        .exclude(role__in=[Role.LEADERSHIP, Role.FACILITATOR])
        .values_list("role")
        .annotate(n=Count("id"))
        .order_by()
    )

    rows: dict[int, KpiAgreement] = {}
    withheld: set[int] = set()
    for ballot in ballots:  # newest first: a KPI's row comes from the latest round that had it
        eligible = {
            r: n
            for r, n in eligible_all.items()
            if not ballot.eligible_roles or r in ballot.eligible_roles
        }
        results = results_from_tally(
            ballot=ballot,
            items=items.get(ballot.pk, []),
            criteria_list=criteria.get(ballot.pk, []),
            rows=tallies.get(ballot.pk, []),
            turnout=turnout_from(voted=voters.get(ballot.pk, {}), eligible=eligible),
        )
        if results.withheld:
            withheld.update(p.pk for p in items.get(ballot.pk, []))
            continue
        medians = {
            key: median(g.normalised for r in results.rows for g in r.groups if g.role == key)
            for key, _label in results.roles
        }
        for result in results.rows:
            proposal = result.proposal
            if proposal.pk in rows or proposal.state in GONE:
                continue
            groups = [
                GroupSupport(g.role, g.label, round(100 * g.normalised)) for g in result.groups
            ]
            row = KpiAgreement(proposal, ballot, result.percent, groups)
            row.top_half_everywhere = bool(groups) and all(
                g.normalised > 0 and g.normalised >= medians[g.role] for g in result.groups
            )
            row.verdict = _verdict(row)
            rows[proposal.pk] = row
    ranked = sorted(rows.values(), key=_sort_key(sort))
    return Agreement(
        rows=ranked,
        ballots=ballots,
        withheld=len(withheld - set(rows)),
        sort=sort,
    )


def _verdict(row: KpiAgreement) -> str:
    if len(row.groups) < 2:
        return ONE_GROUP
    if row.division >= DIVERGENCE_FLAG:
        return SPLIT
    return AGREES if row.top_half_everywhere else MIXED


def _sort_key(sort: str):
    if sort == "division":
        return lambda r: (
            r.division is None,
            -(r.division or 0),
            -(r.agreement or 0),
            r.name.lower(),
        )
    return lambda r: (
        r.agreement is None,
        -(r.agreement if r.agreement is not None else r.overall or 0),
        r.division or 0,
        r.name.lower(),
    )


def verdict_label(verdict: str) -> str:
    return {
        AGREES: _("the room agrees"),
        SPLIT: _("the room is split"),
        MIXED: _("mixed"),
        ONE_GROUP: _("one group only"),
    }.get(verdict, "")


# --- the strip: one small bar per group --------------------------------------------------------

STRIP_WIDTH = 320
ROW_HEIGHT = 18
LABEL_W = 110
VALUE_W = 40


def agreement_strip(row: KpiAgreement) -> SafeString:
    """A bar per group (its support, 0–100) with the lowest and highest marked by the shaded
    spread: an ``<svg role="img">`` whose label says every figure (the page's table says them
    too). Empty without two groups."""
    if len(row.groups) < 2:
        return SafeString("")
    bar_w = STRIP_WIDTH - LABEL_W - VALUE_W
    height = ROW_HEIGHT * len(row.groups) + 4
    lo, hi = min(g.percent for g in row.groups), max(g.percent for g in row.groups)
    spread = format_html(
        '<rect class="agreement-spread" x="{}" y="0" width="{}" height="{}" fill="#fff3cd"/>',
        LABEL_W + bar_w * lo / 100,
        max(bar_w * (hi - lo) / 100, 1),
        height,
    )
    bars = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="12" text-anchor="end" dominant-baseline="middle">{}</text>'
        '<rect class="agreement-bar" x="{}" y="{}" width="{}" height="{}" fill="#0d6efd"/>'
        '<text x="{}" y="{}" font-size="12" dominant-baseline="middle">{} %</text>',
        (
            (
                LABEL_W - 4,
                2 + i * ROW_HEIGHT + ROW_HEIGHT / 2,
                _fit(g.label),
                LABEL_W,
                2 + i * ROW_HEIGHT + 3,
                round(bar_w * g.percent / 100, 1),
                ROW_HEIGHT - 6,
                LABEL_W + bar_w + 4,
                2 + i * ROW_HEIGHT + ROW_HEIGHT / 2,
                g.percent,
            )
            for i, g in enumerate(row.groups)
        ),
    )
    label = _("Support per group for %(kpi)s: %(groups)s.") % {
        "kpi": row.name,
        "groups": ", ".join(f"{g.label} {g.percent} %" for g in row.groups),
    }
    return format_html(
        '<svg class="agreement-strip" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'width="100%" preserveAspectRatio="xMinYMin meet">'
        '<line x1="{}" x2="{}" y1="0" y2="{}" stroke="#adb5bd"/>{}{}</svg>',
        label,
        STRIP_WIDTH,
        height,
        LABEL_W,
        LABEL_W,
        height,
        spread,
        bars,
    )


def _fit(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- a catalogue entry's own line --------------------------------------------------------------


def agreement_line(votes: list[dict], labels) -> str:
    """A published KPI's agreement, from the vote summaries its entry snapshot keeps (the
    latest round with at least two group lines): "Agreement across groups: the lowest group,
    Customers, gave it 40 %; the groups were 45 points apart: the room was split." ``labels``
    turns a snapshotted group into its name. Empty when no round compared two groups."""
    for vote in reversed(votes or []):
        groups = [g for g in vote.get("groups") or [] if g.get("percent") is not None]
        if len(groups) < 2:
            continue
        low = min(groups, key=lambda g: g["percent"])
        spread = max(g["percent"] for g in groups) - low["percent"]
        words = {
            "group": labels(low),
            "low": number_shown(low["percent"]),
            "spread": number_shown(spread),
        }
        if spread >= DIVERGENCE_FLAG:
            return (
                _(
                    "Agreement across groups: the lowest, %(group)s, gave it %(low)s %%; the "
                    "groups were %(spread)s points apart: the room was split."
                )
                % words
            )
        return (
            _(
                "Agreement across groups: the lowest, %(group)s, gave it %(low)s %%; the groups "
                "were %(spread)s points apart."
            )
            % words
        )
    return ""
