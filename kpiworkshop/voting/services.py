"""Every write to ballots and votes.

Integrity rests on the database, not on ``if``s: one vote per (ballot, participant, proposal,
criterion) is a unique constraint written by upsert; a dot budget is checked under a row lock
on the voter's row; a vote and the closing of its ballot are serialised by a shared/exclusive
lock pair on the ballot row (PostgreSQL) or by SQLite's IMMEDIATE transactions.
"""

from datetime import UTC, timedelta
from functools import cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpiworkshop.accounts.models import Role
from kpiworkshop.core import versions
from kpiworkshop.core.audit import audit_in_workshop
from kpiworkshop.core.live import live_bump
from kpiworkshop.kpis.models import Proposal, ProposalState
from kpiworkshop.workshops.models import Participant, Stage, Workshop

from . import permissions, rawsql, selectors
from .models import (
    DEFAULT_CRITERIA,
    SCORE_MAX,
    SCORE_MIN,
    STANDARD_CRITERIA,
    STANDARD_TITLES,
    Ballot,
    BallotItem,
    BallotState,
    Criterion,
    ItemSource,
    Method,
    Visibility,
)

MAX_CRITERIA = 8
MAX_REASON = 500


def _audit(actor: Participant | None, action: str, ballot: Ballot, **details) -> None:
    """Record a ballot's write and move its version (``core.versions``, the ballot's scope:
    settings, state, proposals) in the write's transaction; every ballot service audits. Also tells
    the room's pages (``core.live``) after commit."""
    versions.version_bump(versions.BALLOT, ballot.pk)
    audit_in_workshop(
        actor=actor, action=action, workshop=ballot.workshop, target=ballot, **details
    )
    live_bump(workshop_id=ballot.workshop_id)


def _proposals_for(workshop: Workshop, source: str) -> list[int]:
    states = (
        [ProposalState.SHORTLISTED]
        if source == ItemSource.SHORTLIST
        else [ProposalState.OPEN, ProposalState.CHANGES_REQUESTED, ProposalState.SHORTLISTED]
    )
    return list(
        # A proposal still waiting for (or hidden by) moderation is not on the board either.
        Proposal.objects.filter(workshop=workshop, state__in=states, moderation="shown")
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )


def _normalised(text: str) -> str:
    return " ".join(str(text).split()).casefold()


@cache
def _standard_codes() -> dict[str, str]:
    """{normalised text: code} of the standard criteria in every language the site offers:
    translations are fixed while the process runs."""
    from django.conf import settings
    from django.utils import translation

    found: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, text in STANDARD_CRITERIA.items():
                found.setdefault(_normalised(text), code)
    return found


@cache
def _standard_title_codes() -> dict[str, str]:
    from django.conf import settings
    from django.utils import translation

    found: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, text in STANDARD_TITLES.items():
                found.setdefault(_normalised(text), code)
    return found


def criterion_code_for(label: str) -> str:
    """The code of a standard criterion written in any of the site's languages (case and
    spacing ignored), else "": the facilitator's own wording."""
    return _standard_codes().get(_normalised(label), "")


def _english(text) -> str:
    from django.utils import translation

    with translation.override("en"):
        return str(text)


def _clean_criteria(method: str, criteria: list[str] | None) -> list[tuple[str, str]]:
    """(code, label) of each criterion: a standard one (the defaults, "Overall", whatever the
    language it was written in) gets its code and English text, so each reader sees it in
    their own language; any other is kept as typed."""
    if method != Method.SCORE:
        return [("overall", _english(STANDARD_CRITERIA["overall"]))]
    labels = [str(c).strip()[:120] for c in (criteria or []) if c and str(c).strip()]
    if not labels:
        labels = [str(c) for c in DEFAULT_CRITERIA]
    if len(labels) > MAX_CRITERIA:
        raise ValidationError({"criteria": _("At most %(n)d criteria.") % {"n": MAX_CRITERIA}})
    cleaned = []
    for label in labels:
        code = criterion_code_for(label)
        cleaned.append((code, _english(STANDARD_CRITERIA[code]) if code else label))
    keys = [code or _normalised(label) for code, label in cleaned]
    if len(set(keys)) != len(keys):
        raise ValidationError({"criteria": _("Each criterion must be different.")})
    return cleaned


def _validate_settings(*, method: str, eligible_roles: list[str], dot_budget: int, dot_cap):
    if method not in Method.values:
        raise ValidationError({"method": _("Choose a voting method.")})
    bad = [r for r in eligible_roles if r not in Role.values]
    if bad:
        raise ValidationError({"eligible_roles": _("Unknown role.")})
    if eligible_roles and set(eligible_roles) <= {Role.LEADERSHIP}:
        raise ValidationError(
            {"eligible_roles": _("Leadership approves later and does not vote: add other roles.")}
        )
    if method == Method.DOTS:
        if not 1 <= dot_budget <= 100:
            raise ValidationError({"dot_budget": _("Between 1 and 100 dots.")})
        if dot_cap is not None and not 1 <= dot_cap <= dot_budget:
            raise ValidationError(
                {"dot_cap": _("The cap must be between 1 and the number of dots per person.")}
            )


@transaction.atomic
def ballot_create(
    *,
    actor: Participant | None,
    workshop: Workshop,
    title: str,
    method: str,
    item_source: str = ItemSource.OPEN,
    eligible_roles: list[str] | None = None,
    secret: bool = True,
    visibility: str = Visibility.WHEN_REVEALED,
    dot_budget: int = 5,
    dot_cap: int | None = None,
    reason_required: bool = False,
    duration_minutes: int | None = None,
    criteria: list[str] | None = None,
) -> Ballot:
    if not permissions.can_manage_ballots(actor, workshop):
        raise PermissionDenied
    eligible_roles = list(dict.fromkeys(eligible_roles or []))
    _validate_settings(
        method=method, eligible_roles=eligible_roles, dot_budget=dot_budget, dot_cap=dot_cap
    )
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose when results are shown.")})
    if duration_minutes is not None and not 1 <= duration_minutes <= 24 * 60:
        raise ValidationError({"duration_minutes": _("Between 1 minute and 24 hours.")})
    proposal_ids = _proposals_for(workshop, item_source)
    if not proposal_ids:
        raise ValidationError(
            _("There are no proposals to vote on yet.")
            if item_source == ItemSource.OPEN
            else _("The shortlist is empty: shortlist proposals first, or vote on all of them.")
        )
    labels = _clean_criteria(method, criteria)
    title = (title or "").strip()
    # The system's own title (in any language) keeps its code: each reader sees it in theirs.
    title_code = _standard_title_codes().get(_normalised(title), "")
    ballot = Ballot(
        workshop=workshop,
        title=_english(STANDARD_TITLES[title_code]) if title_code else title,
        title_code=title_code,
        method=method,
        secret=secret,
        visibility=visibility,
        eligible_roles=eligible_roles,
        dot_budget=dot_budget if method == Method.DOTS else 5,
        dot_cap=dot_cap if method == Method.DOTS else None,
        reason_required=reason_required,
        duration_minutes=duration_minutes,
        created_by=actor.user if actor and actor.user_id else None,
    )
    ballot.full_clean()
    ballot.save()
    Criterion.objects.bulk_create(
        [
            Criterion(ballot=ballot, position=i, code=code, label=label)
            for i, (code, label) in enumerate(labels)
        ]
    )
    BallotItem.objects.bulk_create(
        [
            BallotItem(ballot=ballot, proposal_id=pid, position=i)
            for i, pid in enumerate(proposal_ids)
        ]
    )
    _audit(actor, "ballot.create", ballot, method=method, items=len(proposal_ids), secret=secret)
    return ballot


def _lock_ballot(ballot_id: int, *, exclusive: bool) -> Ballot:
    """Re-read the ballot inside the transaction, locked: exclusively for state changes
    (PostgreSQL ``FOR UPDATE`` on the ballot row; SQLite's IMMEDIATE transactions serialise
    writers). Votes take the same row shared (``_refresh_for_vote``), so a state change waits
    for the votes in flight and the votes after it see the new state."""
    qs = Ballot.objects.select_related("workshop")
    if connection.vendor == "postgresql" and exclusive:
        return qs.select_for_update(of=("self",)).get(pk=ballot_id)
    return qs.get(pk=ballot_id)


def _refresh_for_vote(
    ballot: Ballot, *, proposal_id: int | None = None, criterion_ids: list[int] | None = None
) -> set[int]:
    """Re-read the ballot's state for a vote and find the criteria the vote goes to, in one
    query, holding a shared lock on the ballot row (PostgreSQL): votes run in parallel, but a
    close (exclusive lock) waits for the votes in flight, and votes after it see it closed.
    SQLite has no row locks; its IMMEDIATE transactions serialise writers, which gives the
    same guarantee.

    ``criterion_ids`` are the criteria of a multi-criteria vote; the other methods vote on the
    ballot's single criterion. Updates ``ballot.state`` / ``ballot.closes_at`` in place and
    returns the ids of the criteria found: empty when the proposal is not part of this ballot,
    and without the ids that are not this ballot's criteria."""
    rows = rawsql.ballot_state_for_vote(
        ballot_id=ballot.pk,
        proposal_id=proposal_id,
        criterion_ids=list(criterion_ids or []) if ballot.method == Method.SCORE else None,
    )
    if not rows:
        raise ValidationError(_("This round no longer exists."))
    state, closes_at, _criterion = rows[0]
    if isinstance(closes_at, str):  # SQLite hands back text from a raw query
        closes_at = parse_datetime(closes_at)
    if closes_at is not None and timezone.is_naive(closes_at):
        closes_at = timezone.make_aware(closes_at, UTC)
    ballot.state, ballot.closes_at = state, closes_at
    return {row[2] for row in rows if row[2] is not None}


@transaction.atomic
def ballot_open(*, actor: Participant | None, ballot: Ballot) -> Ballot:
    """Open the round. Takes the ballot row exclusively, so two facilitators opening it at
    once open it once and its closing time is set once."""
    ballot = _lock_ballot(ballot.pk, exclusive=True)
    if not permissions.can_manage_ballots(actor, ballot):
        raise PermissionDenied
    if ballot.workshop.stage != Stage.VOTE:
        raise ValidationError(_("Move the workshop to the Vote stage to open a round."))
    if ballot.state != BallotState.DRAFT:
        raise ValidationError(_("This round has already been opened."))
    now = timezone.now()
    ballot.state = BallotState.OPEN
    ballot.opened_at = now
    ballot.closes_at = (
        now + timedelta(minutes=ballot.duration_minutes) if ballot.duration_minutes else None
    )
    ballot.save(update_fields=["state", "opened_at", "closes_at", "updated_at"])
    _audit(actor, "ballot.open", ballot, closes_at=str(ballot.closes_at or ""))
    return ballot


@transaction.atomic
def ballot_close(*, actor: Participant | None, ballot: Ballot) -> Ballot:
    """Close the round. Takes the ballot row exclusively: votes in flight finish first and
    count; votes arriving after see it closed and are refused. Never half."""
    ballot = _lock_ballot(ballot.pk, exclusive=True)
    if not permissions.can_manage_ballots(actor, ballot):
        raise PermissionDenied
    if ballot.state == BallotState.CLOSED:
        return ballot
    if ballot.state == BallotState.DRAFT:
        raise ValidationError(_("This round was never opened."))
    now = timezone.now()
    ballot.state = BallotState.CLOSED
    ballot.closed_at = min(now, ballot.closes_at) if ballot.closes_at else now
    ballot.save(update_fields=["state", "closed_at", "updated_at"])
    _audit(actor, "ballot.close", ballot)
    return ballot


@transaction.atomic
def ballot_reveal(*, actor: Participant | None, ballot: Ballot) -> Ballot:
    """Show the results. Takes the ballot row exclusively, so the reveal time is set (and
    audited) once even when pressed twice at once."""
    ballot = _lock_ballot(ballot.pk, exclusive=True)
    if not permissions.can_manage_ballots(actor, ballot):
        raise PermissionDenied
    if ballot.state == BallotState.DRAFT:
        raise ValidationError(_("Open the round before revealing its results."))
    if ballot.revealed_at is None:
        ballot.revealed_at = timezone.now()
        ballot.save(update_fields=["revealed_at", "updated_at"])
        _audit(actor, "ballot.reveal", ballot)
    return ballot


@transaction.atomic
def ballot_shortlist(
    *,
    actor: Participant | None,
    ballot: Ballot,
    proposal_ids: list[int] = (),
    top: int | None = None,
    equal_weight: bool = False,
) -> int:
    """Shortlist the chosen proposals of this ballot, or with ``top`` the first N of its
    results in the order the facilitator sees (by equal weights when ``equal_weight``): they
    move on to mapping and approval."""
    if not permissions.can_manage_ballots(actor, ballot):
        raise PermissionDenied
    if top:
        rows = selectors.results_for_ballot(ballot=ballot, equal_weight=equal_weight).rows
        proposal_ids = [row.proposal.pk for row in rows[:top]]
    ids = set(
        BallotItem.objects.filter(ballot=ballot, proposal_id__in=proposal_ids).values_list(
            "proposal_id", flat=True
        )
    )
    if not ids:
        raise ValidationError(_("Choose at least one proposal of this round."))
    changed = Proposal.objects.filter(
        pk__in=ids,
        state__in=[ProposalState.OPEN, ProposalState.CHANGES_REQUESTED],
    ).update(state=ProposalState.SHORTLISTED, updated_at=timezone.now())
    versions.version_bump(versions.BOARD, ballot.workshop_id)  # proposals' states
    _audit(actor, "ballot.shortlist", ballot, proposals=sorted(ids), changed=changed)
    return changed


@transaction.atomic
def ballot_unshortlist(
    *, actor: Participant | None, ballot: Ballot, proposal_ids: list[int]
) -> int:
    """Take proposals of this ballot off the shortlist (back to open), e.g. after a mistake."""
    if not permissions.can_manage_ballots(actor, ballot):
        raise PermissionDenied
    ids = set(
        BallotItem.objects.filter(ballot=ballot, proposal_id__in=proposal_ids).values_list(
            "proposal_id", flat=True
        )
    )
    if not ids:
        raise ValidationError(_("Choose at least one proposal of this round."))
    changed = Proposal.objects.filter(pk__in=ids, state=ProposalState.SHORTLISTED).update(
        state=ProposalState.OPEN, updated_at=timezone.now()
    )
    versions.version_bump(versions.BOARD, ballot.workshop_id)  # proposals' states
    _audit(actor, "ballot.unshortlist", ballot, proposals=sorted(ids), changed=changed)
    return changed


# --- votes ------------------------------------------------------------------------------------


def _check_can_vote(actor: Participant | None, ballot: Ballot) -> None:
    if not permissions.is_eligible(actor, ballot):
        raise PermissionDenied(_("You are not invited to vote in this round."))
    if not ballot.is_open:
        message = (
            _("This round is closed: your vote was not recorded.")
            if ballot.is_closed
            else _("This round has not opened yet.")
        )
        raise ValidationError(message, code="closed")


def _clean_reason(ballot: Ballot, reason: str) -> str:
    reason = " ".join((reason or "").split())[:MAX_REASON]
    if ballot.reason_required and not reason:
        raise ValidationError({"reason": _("This round asks for a short reason with each vote.")})
    return reason


def _voter_ensure(ballot: Ballot, actor: Participant) -> None:
    """Record the turnout row and count this vote on it (``changes``: the ballot's results
    version adds these counters up, see ``voting.selectors.ballot_version``). On PostgreSQL
    the upsert (ON CONFLICT DO UPDATE) also locks the row until commit, which serialises one
    person's concurrent taps (their dot budget); it is the narrowest scope a vote changes,
    so a room voting at once never waits on one shared counter row. Every vote calls this
    before writing its votes, in the same transaction."""
    rawsql.voter_upsert(ballot_id=ballot.pk, participant_id=actor.pk, role=actor.role)


def _votes_upsert(
    ballot: Ballot, actor: Participant, values: list[tuple[int, int, int]], reason: str
) -> None:
    """THE vote write: insert or replace (proposal, criterion, value) rows of one person, one
    statement. The unique constraint on (ballot, participant, proposal, criterion) makes a
    repeated or concurrent tap replace the vote, never add one."""
    rawsql.votes_upsert(
        ballot_id=ballot.pk, participant_id=actor.pk, role=actor.role, values=values, reason=reason
    )
    # The board's turnout and results move: tell the room once the vote commits.
    live_bump(workshop_id=ballot.workshop_id)


def _dots_spent(ballot: Ballot, actor: Participant, proposal_id: int) -> tuple[int, int]:
    """(all the dots this person has given in the ballot, those on ``proposal_id``)."""
    return rawsql.dots_spent(ballot_id=ballot.pk, participant_id=actor.pk, proposal_id=proposal_id)


def _dots_refusal(left: int) -> str:
    """What the phone says when a dot does not fit: the dots left, as its counter shows them."""
    if left <= 0:
        return _("You have 0 dots left: take one back from another proposal first.")
    return ngettext("You have %(n)d dot left.", "You have %(n)d dots left.", left) % {"n": left}


@transaction.atomic
def vote_cast(
    *,
    actor: Participant | None,
    ballot: Ballot,
    proposal_id: int,
    value: int,
    criterion_id: int | None = None,
    reason: str = "",
) -> int | None:
    """Record (or change) one vote: approval (1 yes / 0 no), dots (how many on this proposal,
    0 takes them back) or score (1–5 on one criterion, see ``score_card_cast``). Returns the
    dots left for dot voting.

    Locks: the ballot row shared (PostgreSQL) so a concurrent close waits for this vote; for
    dots, the voter's row exclusively so concurrent taps cannot overspend the budget.
    """
    if ballot.method == Method.RANKING:
        raise ValidationError(_("Submit a complete ranking of all proposals."))
    if ballot.method == Method.SCORE:
        score_card_cast(
            actor=actor,
            ballot=ballot,
            proposal_id=proposal_id,
            scores={criterion_id or 0: value},
            reason=reason,
        )
        return None
    found = _refresh_for_vote(ballot, proposal_id=proposal_id)
    _check_can_vote(actor, ballot)
    if not found:
        raise ValidationError(_("This proposal or criterion is not part of this round."))
    (criterion,) = found
    reason = _clean_reason(ballot, reason)

    if ballot.method == Method.APPROVAL:
        if value not in (0, 1):
            raise ValidationError(_("Answer yes or no."))
        _voter_ensure(ballot, actor)
        _votes_upsert(ballot, actor, [(proposal_id, criterion, value)], reason)
        return None

    if value < 0:
        raise ValidationError(_("Dots cannot be negative."))
    if ballot.dot_cap and value > ballot.dot_cap:
        raise ValidationError(
            _("At most %(n)d dots on one proposal in this round.") % {"n": ballot.dot_cap}
        )
    _voter_ensure(ballot, actor)
    spent_all, spent_here = _dots_spent(ballot, actor, proposal_id)
    others = spent_all - spent_here
    if others + value > ballot.dot_budget:
        raise ValidationError(_dots_refusal(ballot.dot_budget - spent_all), code="budget")
    # Taking all dots back keeps the row at 0 rather than deleting it, so the latest
    # updated_at always moves and the live board's ETag notices every change.
    _votes_upsert(ballot, actor, [(proposal_id, criterion, value)], reason)
    return ballot.dot_budget - others - value


def vote_submit(
    *,
    actor: Participant | None,
    ballot: Ballot,
    proposal_id: int,
    value: int | None = None,
    scores: dict[int, int] | None = None,
    reason: str = "",
) -> int | None:
    """One vote as the vote form sends it, whatever the ballot's method: a score card
    (``scores``, see ``score_card_cast``) for a multi-criteria score, else one value
    (``vote_cast``). Returns the dots left for dot voting, else None. Each of the two runs in
    its own transaction and locks as ``vote_cast`` says."""
    if ballot.method == Method.SCORE:
        score_card_cast(
            actor=actor, ballot=ballot, proposal_id=proposal_id, scores=scores or {}, reason=reason
        )
        return None
    return vote_cast(
        actor=actor, ballot=ballot, proposal_id=proposal_id, value=value, reason=reason
    )


@transaction.atomic
def score_card_cast(
    *,
    actor: Participant | None,
    ballot: Ballot,
    proposal_id: int,
    scores: dict[int, int],
    reason: str = "",
) -> None:
    """Record (or change) one person's scores of one proposal, {criterion id: 1–5}: all of
    them or none. An empty card, a criterion of another ballot or one score out of range
    refuses the whole card and changes nothing. Locks as ``vote_cast``."""
    if ballot.method != Method.SCORE:
        raise ValidationError(_("This round is not a multi-criteria score."))
    found = _refresh_for_vote(ballot, proposal_id=proposal_id, criterion_ids=list(scores))
    _check_can_vote(actor, ballot)
    if not scores:
        raise ValidationError(_("Choose a score for at least one criterion."))
    if len(found) != len(scores):
        raise ValidationError(_("This proposal or criterion is not part of this round."))
    if any(not SCORE_MIN <= value <= SCORE_MAX for value in scores.values()):
        raise ValidationError(
            _("Give a score from %(lo)d to %(hi)d.") % {"lo": SCORE_MIN, "hi": SCORE_MAX}
        )
    reason = _clean_reason(ballot, reason)
    _voter_ensure(ballot, actor)
    _votes_upsert(
        ballot, actor, [(proposal_id, cid, value) for cid, value in sorted(scores.items())], reason
    )


@transaction.atomic
def ranking_submit(
    *, actor: Participant | None, ballot: Ballot, order: list[int], reason: str = ""
) -> None:
    """Replace this person's ranking with ``order`` (proposal ids, first = best). Every item of
    the ballot must appear exactly once. Locks as ``vote_cast``: the ballot row shared, so a
    close waits for the ranking in flight and a ranking after it is refused."""
    if ballot.method != Method.RANKING:
        raise ValidationError(_("This round is not a ranking."))
    # The first proposal of the order finds the ballot's (single) criterion in the same query.
    found = _refresh_for_vote(ballot, proposal_id=order[0] if order else None)
    _check_can_vote(actor, ballot)
    items = set(BallotItem.objects.filter(ballot=ballot).values_list("proposal_id", flat=True))
    if len(order) != len(set(order)) or set(order) != items or not found:
        raise ValidationError(_("Rank every proposal of the round exactly once."))
    (criterion_id,) = found
    reason = _clean_reason(ballot, reason)
    _voter_ensure(ballot, actor)
    _votes_upsert(
        ballot,
        actor,
        [(pid, criterion_id, rank) for rank, pid in enumerate(order, start=1)],
        reason,
    )


def ranking_move(
    *,
    actor: Participant | None,
    ballot: Ballot,
    current: list[int],
    proposal_id: int,
    offset: int,
    reason: str = "",
) -> list[int]:
    """Move one proposal up (-1) or down (+1) in ``current`` and save the whole order (through
    ``ranking_submit``, which locks as ``vote_cast``)."""
    order = list(current)
    if proposal_id not in order or offset not in (-1, 1):
        raise ValidationError(_("Choose a proposal to move."))
    i = order.index(proposal_id)
    j = max(0, min(len(order) - 1, i + offset))
    order[i], order[j] = order[j], order[i]
    ranking_submit(actor=actor, ballot=ballot, order=order, reason=reason)
    return order
