"""Read endpoints for ballots and their results, with the same secrecy and visibility rules as
the pages: results only when the caller may see them; who-voted-what only for the facilitator
of an open (non-secret) ballot, never for a secret one."""

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from kpiworkshop.core.api_errors import ErrorOut
from kpiworkshop.workshops.access import api_access

from . import permissions, selectors

router = Router(tags=["voting"])


class BallotOut(Schema):
    id: int
    title: str
    method: str
    state: str
    is_open: bool
    secret: bool
    visibility: str
    eligible_roles: list[str]
    opened_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    items: int
    voters: int


class GroupOut(Schema):
    role: str  # a role, or "other": the small groups of a secret ballot merged into one line
    roles: list[str]
    value: float
    normalised: float


class OnCurrentOut(Schema):
    voters: int
    current: int


class RowOut(Schema):
    rank: int
    proposal_id: int
    name: str
    value: float
    normalised: float
    equal_weight: float
    divergence: int
    groups: list[GroupOut]
    criteria: dict[str, float]
    on_current: OnCurrentOut | None = Field(
        None,
        description="An open round whose KPI changed while it was open: its voters and how many "
        "of them voted on (or kept their vote for) the current version of the definition. "
        "Null when the KPI did not change during the round (every vote is on the current "
        "version) and always in a secret round (see the results' currency).",
    )


class CurrencyOut(Schema):
    """How many votes are on the current version of their KPI, when a KPI of the round changed
    while it was open (``revisions.currency_for_ballot``, as the results page shows it)."""

    secret: bool
    withheld: bool = Field(
        description="A secret round where fewer than `minimum` voters are on either side "
        "(some vote on an earlier version, or every vote on the current versions): no figure "
        "is given, whatever the count."
    )
    voters: int | None = Field(
        description="Secret round, not withheld: all the round's voters. Null otherwise."
    )
    current: int | None = Field(
        description="Secret round, not withheld: the voters with every vote on the current "
        "versions. Null otherwise (an open round gives the figure per KPI, `rows[].on_current`)."
    )
    minimum: int | None = Field(
        description="Secret round: the small-group minimum (K) both sides must reach."
    )


class TurnoutOut(Schema):
    role: str
    voted: int
    eligible: int


class IndividualVoteOut(Schema):
    participant: str
    role: str
    proposal: str
    criterion: str
    #: The standard criterion's stable code ("overall", "aligned", ...), "" when typed.
    criterion_code: str
    value: int
    reason: str


class ResultsOut(Schema):
    ballot: BallotOut
    voters: int
    turnout: list[TurnoutOut]
    rows: list[RowOut]
    hidden_groups: int
    withheld: bool
    individual_votes: list[IndividualVoteOut] | None
    currency: CurrencyOut | None = Field(
        None,
        description="Null when no KPI of the round changed while it was open (every vote is "
        "on the current version) or nothing is shown of the results.",
    )


def _access(request: HttpRequest, workshop_id: int):
    access = api_access(request, workshop_id)
    return access.workshop, access.participant


def _ballot_out(b) -> BallotOut:
    return BallotOut(
        id=b.pk,
        title=b.title_text,
        method=b.method,
        state=b.state,
        is_open=b.is_open,
        secret=b.secret,
        visibility=b.visibility,
        eligible_roles=b.eligible_roles,
        opened_at=b.opened_at,
        closes_at=b.closes_at,
        closed_at=b.closed_at,
        items=getattr(b, "item_count", 0),
        voters=getattr(b, "voter_count", 0),
    )


@router.get("/workshops/{workshop_id}/ballots", response=list[BallotOut], summary="Voting rounds")
def list_ballots(request: HttpRequest, workshop_id: int):
    workshop, _actor = _access(request, workshop_id)
    return [_ballot_out(b) for b in selectors.ballots_for_workshop(workshop=workshop)]


@router.get(
    "/workshops/{workshop_id}/ballots/{ballot_id}/results",
    response={200: ResultsOut, 403: ErrorOut},
    summary="A round's results",
)
def ballot_results(
    request: HttpRequest, workshop_id: int, ballot_id: int, equal_weight: bool = False
):
    """Totals per proposal, per stakeholder group, divergence and turnout, and how many votes
    are on the current version of a KPI that changed during the round (per KPI in an open
    round; one overall figure in a secret round, withheld under the small-group minimum, as on
    the results page). 403 while the results are not visible to the caller."""
    workshop, actor = _access(request, workshop_id)
    found = selectors.ballots_for_workshop(workshop=workshop, ballot_id=ballot_id)
    ballot = found[0] if found else None
    if ballot is None:
        raise Http404
    ballot.workshop = workshop
    voted = selectors.has_voted(ballot=ballot, participant=actor)
    visible = (
        permissions.can_see_results(actor, ballot, has_voted=voted)
        if actor is not None
        else permissions.results_public(ballot)
    )
    if not visible:
        return Status(403, {"detail": "The results of this round are not shown yet."})
    results = selectors.results_for_ballot(ballot=ballot, equal_weight=equal_weight)
    individual = None
    if permissions.can_see_individual_votes(actor, ballot):
        individual = [
            IndividualVoteOut(
                participant=v["participant__display_name"],
                role=v["role"],
                proposal=v["proposal__current_revision__name"] or "",
                criterion=v["criterion"],
                criterion_code=v["criterion__code"],
                value=v["value"],
                reason=v["reason"],
            )
            for v in selectors.individual_votes(ballot=ballot)
        ]
    return results_out(results=results, individual=individual)  # 200


def results_out(*, results, individual: list[IndividualVoteOut] | None = None) -> ResultsOut:
    """The results as the API shows them: only what ``selectors.results_for_ballot`` computed,
    so the secret-ballot rule there holds here too."""
    return ResultsOut(
        ballot=_ballot_out(results.ballot),
        voters=results.voters,
        turnout=[
            TurnoutOut(role=g.role, voted=g.voted, eligible=g.eligible) for g in results.turnout
        ],
        rows=[
            RowOut(
                rank=r.rank,
                proposal_id=r.proposal.pk,
                name=r.proposal.current_revision.name if r.proposal.current_revision else "",
                value=r.value,
                normalised=r.normalised,
                equal_weight=r.equal_weight,
                divergence=r.divergence,
                groups=[
                    GroupOut(
                        role=g.role, roles=list(g.roles), value=g.value, normalised=g.normalised
                    )
                    for g in r.groups
                ],
                criteria=dict(r.criteria),
                on_current=_on_current_out(r.on_current),
            )
            for r in results.rows
        ],
        hidden_groups=results.hidden_groups,
        withheld=results.withheld,
        individual_votes=individual,
        currency=_currency_out(results.currency),
    )


def _on_current_out(pair: tuple[int, int] | None) -> OnCurrentOut | None:
    return None if pair is None else OnCurrentOut(voters=pair[0], current=pair[1])


def _currency_out(currency) -> CurrencyOut | None:
    """``results.currency`` as computed for the page: a secret round's figure only when it is
    not withheld (the withheld Currency's zeros are not figures: null, never 0)."""
    if currency is None:
        return None
    shown = currency.secret and not currency.withheld
    return CurrencyOut(
        secret=currency.secret,
        withheld=currency.withheld,
        voters=currency.voters if shown else None,
        current=currency.current if shown else None,
        minimum=currency.minimum if currency.secret else None,
    )
