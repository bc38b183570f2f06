"""Votes bound to the revision they were given on (issue 20).

Every vote row records the proposal's current revision when it was written (the upsert in
``services._votes_upsert`` does it in the same statement). A vote whose revision is no longer
its proposal's current one is *on an earlier version*: its voter is asked, on their ballot
page, to keep it (``vote_reconfirm``: one tap re-binds it to the current revision) or change it
(any new vote on the proposal binds it too). Whether a vote is current is never stored: it is
read by comparing the two ids, so every service that makes a new revision current (an edit, an
accepted suggestion, a counter-metric, a resubmission after a request for changes) is covered
without calling anything here.

Results say how many votes are on the current version (``currency_for_ballot``), under the
secret-ballot rule of ``selectors.result_blocks``: in a secret round only one overall figure,
and only while both the voters on an earlier version and those on the current ones number at
least K; otherwise the same "withheld" line whether none, one or K-1 voters are behind, so
that no count, and no difference between two shown counts, singles anyone out.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpiworkshop.kpis.models import Proposal, Revision
from kpiworkshop.kpis.permissions import hidden_fields
from kpiworkshop.kpis.selectors import FieldDiff, revision_diff
from kpiworkshop.workshops.models import Participant

from .models import Ballot, Method, Vote


def _counts(ballot: Ballot) -> Q:
    """The rows that are a vote: a dot taken back (kept at 0) is not one."""
    return Q(value__gt=0) if ballot.method == Method.DOTS else Q()


#: A vote on an earlier version: bound to a revision that is no longer its proposal's current
#: one (votes written before issue 20 and never re-bound have none and count as current).
EARLIER = Q(revision__isnull=False) & ~Q(revision_id=F("proposal__current_revision_id"))


# --- the voter's own votes -------------------------------------------------------------------


class MyVotes(dict):
    """``{(proposal_id, criterion_id): value}`` (what ``selectors.my_votes`` always returned),
    plus ``earlier``: ``{proposal_id: (revision voted on, current revision)}`` for this
    person's votes on an earlier version (dots taken back left out)."""

    earlier: dict[int, tuple[int, int]]

    def __init__(self, rows, *, method: str):
        super().__init__()
        self.earlier = {}
        for pid, cid, value, revision_id, current_id in rows:
            self[(pid, cid)] = value
            if revision_id is None or revision_id == current_id:
                continue
            if method == Method.DOTS and not value:
                continue
            self.earlier[pid] = (revision_id, current_id)


@dataclass
class ChangedSinceVote:
    """One KPI that changed since this person voted on it, with what changed."""

    proposal_id: int
    name: str
    voted: Revision
    current: Revision
    diffs: list[FieldDiff]


def changed_since_vote(
    *, ballot: Ballot, participant: Participant | None, mine: MyVotes
) -> list[ChangedSinceVote]:
    """The KPIs of this person's votes on an earlier version, each with the field-by-field
    changes since (without the fields hidden from them): one query, and none when every vote
    is current."""
    earlier = getattr(mine, "earlier", None)
    if not earlier or participant is None:
        return []
    ids = {rid for pair in earlier.values() for rid in pair}
    revisions = {r.pk: r for r in Revision.objects.filter(pk__in=ids).select_related("proposal")}
    found = []
    for pid, (voted_id, current_id) in sorted(earlier.items()):
        voted, current = revisions.get(voted_id), revisions.get(current_id)
        if voted is None or current is None:
            continue
        current.proposal.workshop = ballot.workshop  # the predicate reads it: no query per KPI
        hidden = hidden_fields(participant, current.proposal)
        found.append(
            ChangedSinceVote(
                pid, current.name, voted, current, revision_diff(voted, current, hidden=hidden)
            )
        )
    return found


# --- keep my vote ------------------------------------------------------------------------------


@transaction.atomic
def vote_reconfirm(*, actor: Participant | None, ballot: Ballot, proposal_id: int) -> int:
    """Keep this person's vote on a KPI that changed since: their votes on it move to its
    current revision, values untouched. Refused when the round is not open (or they may not
    vote in it). Returns how many vote rows moved (0: already on the current version, so a
    second tap changes nothing). Locks as ``services.vote_cast``: the ballot row shared, so a
    close waits for it and a re-confirmation after the close is refused.

    Not audited, like a vote: an audit line naming the KPI would tell who voted on it."""
    from . import services  # services → selectors → this module: import when called

    criteria = None
    if ballot.method == Method.SCORE:
        criteria = list(ballot.criteria.values_list("pk", flat=True))
    found = services._refresh_for_vote(ballot, proposal_id=proposal_id, criterion_ids=criteria)
    services._check_can_vote(actor, ballot)
    if not found:
        raise ValidationError(_("This proposal or criterion is not part of this round."))
    current = (
        Proposal.objects.filter(pk=proposal_id).values_list("current_revision_id", flat=True).get()
    )
    return (
        Vote.objects.filter(ballot=ballot, participant=actor, proposal_id=proposal_id)
        .filter(EARLIER)
        .update(revision_id=current, updated_at=timezone.now())
    )


# --- results -----------------------------------------------------------------------------------


@dataclass
class Currency:
    """How many votes are on the current version of their KPI, as results may show it.

    ``per_proposal`` (open rounds only): ``{proposal_id: (voters, on the current version)}``.
    ``voters`` / ``current`` (secret rounds): one overall figure, or ``withheld``."""

    secret: bool
    per_proposal: dict[int, tuple[int, int]]
    voters: int = 0
    current: int = 0
    withheld: bool = False
    minimum: int = 0


def changed_during_round(*, ballot: Ballot, items: list[Proposal]) -> set[int]:
    """The KPIs of the round whose current revision was made while it was open (after it
    opened, before it closed). Public knowledge (revisions are dated on every proposal page);
    read from the items' current revisions, so no query. A KPI changed after the round closed
    is not one: its voters could not have kept their votes."""
    if ballot.opened_at is None:
        return set()
    return {
        p.pk
        for p in items
        if p.current_revision is not None
        and p.current_revision.created_at > ballot.opened_at
        and (ballot.closed_at is None or p.current_revision.created_at < ballot.closed_at)
    }


def currency_for_ballot(
    *, ballot: Ballot, items: list[Proposal], voters: int, minimum: int
) -> Currency | None:
    """How many votes are on the current version, or None when no KPI of the round changed
    since it opened (then every vote is, and nothing is said). One query otherwise.

    Open round: per KPI, its voters and how many of them voted on (or kept their vote for) the
    current version. Secret round: only the number of voters with every vote on the current
    versions, out of all ``voters`` (the turnout, already shown), and only when that number
    and the rest each reach ``minimum`` (K); else withheld, with the same words whatever the
    count, so that a withheld line cannot be told apart from "nobody is behind"."""
    changed = changed_during_round(ballot=ballot, items=items)
    if not changed:
        return None
    votes = Vote.objects.filter(ballot=ballot, proposal_id__in=changed).filter(_counts(ballot))
    if not ballot.secret:
        rows = (
            votes.values("proposal_id")
            .annotate(
                n=Count("participant_id", distinct=True),
                earlier=Count("participant_id", distinct=True, filter=EARLIER),
            )
            .order_by()
        )
        return Currency(
            secret=False,
            per_proposal={r["proposal_id"]: (r["n"], r["n"] - r["earlier"]) for r in rows},
        )
    behind = votes.filter(EARLIER).values("participant_id").distinct().count()
    current = voters - behind
    shown = behind >= minimum and current >= minimum
    return Currency(
        secret=True,
        per_proposal={},
        voters=voters if shown else 0,
        current=current if shown else 0,
        withheld=not shown,
        minimum=minimum,
    )
