"""The vote's hand-written SQL: the statements a profile showed pay for themselves. A room of
phones votes hundreds of times a second; building and compiling the equivalent ORM queries
(bulk_create with update_conflicts, an aggregate, select_related joins, six annotated
subqueries) cost several times more than running them, much of it inside the write
transaction where every other voter waits. Each statement is written (or compiled from its
ORM query) once per process and run with new parameters on every request; each is tested
against the ORM query it replaces in ``tests/voting/test_rawsql.py``; the figures are in
``docs/benchmarks.md`` ("Raw SQL")."""

from collections.abc import Callable
from functools import cache

from django.db import connection, connections, router
from django.utils import timezone

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.core.rawrows import loaders, model_columns
from kpiworkshop.kpis.models import Proposal
from kpiworkshop.workshops.models import Participant, Workshop
from kpiworkshop.workshops.rawsql import (
    REQUEST_PARTICIPANT_ORDER,
    REQUEST_PARTICIPANT_WHERE,
    request_participant_params,
)

from .models import Ballot, Vote, Voter

# --- ORM queries compiled once ------------------------------------------------------------------

#: Stand-ins for the ids in queries compiled once (no real id is negative).
_IDS = {-900_000_001: "workshop", -900_000_002: "ballot", -900_000_003: "viewer"}
_ID = {name: value for value, name in _IDS.items()}
_COMPILED: dict[tuple, tuple[str, list]] = {}


def _marked(qs, expected: set[str]) -> tuple[str, list]:
    """``qs``'s SQL and its parameters, with the stand-in ids marked to fill in per call."""
    sql, params = qs.query.sql_with_params()
    marked = [(_IDS[p], None) if isinstance(p, int) and p in _IDS else (None, p) for p in params]
    if {name for name, _v in marked if name} != expected:  # pragma: no cover - guard
        raise RuntimeError("a compiled query lost one of its ids")
    return sql, marked


def _compiled(key: tuple, build: Callable, expected: set[str]) -> tuple[str, list]:
    """The statement ``build()``'s queryset compiles to, compiled once per ``key``."""
    if key not in _COMPILED:
        _COMPILED[key] = _marked(build(), expected)
    return _COMPILED[key]


def _params(marked: list, ids: dict) -> list:
    """A compiled statement's parameters, with this call's ids filled in."""
    return [ids[name] if name else value for name, value in marked]


def ballot_with_activity(*, workshop_id: int, ballot_id: int, annotate: Callable) -> Ballot | None:
    """The ballot of this workshop annotated by ``annotate`` (``selectors._with_activity``).

    Runs the SQL the ORM compiles for ``annotate(Ballot.objects.filter(workshop_id=...,
    pk=...))``, compiled once per process and database: building its five subqueries costs
    the ORM several milliseconds a request, running it a fraction of one. The ballot page
    reads it with its viewer instead (``ballot_page_read``)."""
    db = router.db_for_read(Ballot)
    sql, marked = _ballot_sql(db, annotate)
    ids = {"workshop": workshop_id, "ballot": ballot_id}
    return next(iter(Ballot.objects.raw(sql, _params(marked, ids)).using(db)), None)


def _ballot_sql(db: str, annotate: Callable) -> tuple[str, list]:
    return _compiled(
        ("ballot", db),
        lambda: annotate(
            Ballot.objects.using(db).filter(workshop_id=_ID["workshop"], pk=_ID["ballot"])
        ),
        {"workshop", "ballot"},
    )


def opened_ballots_with_activity(
    *, workshop_id: int, viewer_id: int | None, annotate: Callable
) -> list[Ballot]:
    """The workshop's opened ballots, newest first, annotated by ``annotate``
    (``selectors._with_activity``): where the room agrees reads them on every request.

    Runs the SQL the ORM compiles for ``annotate(Ballot.objects.filter(workshop_id=...,
    opened_at__isnull=False).order_by("-opened_at", "-id"), viewer=...)``, compiled once per
    process and database: building its six subqueries cost the ORM about 4 ms a request, more
    than the rest of the page on a hit."""
    db = router.db_for_read(Ballot)
    viewer = _ID["viewer"] if viewer_id is not None else None
    sql, marked = _compiled(
        ("opened", db, viewer_id is not None),
        lambda: annotate(
            Ballot.objects.using(db)
            .filter(workshop_id=_ID["workshop"], opened_at__isnull=False)
            .order_by("-opened_at", "-id"),
            viewer=viewer,
        ),
        {"workshop"} | ({"viewer"} if viewer is not None else set()),
    )
    ids = {"workshop": workshop_id, "viewer": viewer_id}
    return list(Ballot.objects.raw(sql, _params(marked, ids)).using(db))


def my_votes_rows(*, ballot_id: int, viewer_id: int) -> list[tuple]:
    """(proposal_id, criterion_id, value, revision_id, proposal's current revision id) of one
    person's votes in a ballot: the SQL the ORM compiles for ``Vote.objects.filter(ballot_id=...,
    participant_id=...).values_list(...)``, compiled once per process (every phone's page and
    every vote asks it)."""
    db = router.db_for_read(Vote)
    key = ("my_votes", db)
    if key not in _COMPILED:
        qs = (
            Vote.objects.using(db)
            .filter(ballot_id=_ID["ballot"], participant_id=_ID["viewer"])
            .order_by()
            .values_list(
                "proposal_id",
                "criterion_id",
                "value",
                "revision_id",
                "proposal__current_revision_id",
            )
        )
        _COMPILED[key] = _marked(qs, {"ballot", "viewer"})
    sql, marked = _COMPILED[key]
    ids = {"ballot": ballot_id, "viewer": viewer_id}
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [ids[name] if name else value for name, value in marked])
        return cursor.fetchall()


# --- the vote's own read ------------------------------------------------------------------------


@cache
def _voter_and_ballot_sql(vendor: str) -> tuple[str, list]:
    """The statement behind ``voter_and_ballot``, written once per database vendor."""
    people = model_columns(Participant, "p")
    workshop = model_columns(Workshop, "w")
    organisation = model_columns(Organisation, "o")
    ballot = model_columns(Ballot, "b")
    sql = (
        f"SELECT {people.sql}, {workshop.sql}, {organisation.sql}, {ballot.sql} "  # noqa: S608 - no user text
        f"FROM {Participant._meta.db_table} p "
        f"INNER JOIN {Workshop._meta.db_table} w ON w.id = p.workshop_id "
        f"INNER JOIN {Organisation._meta.db_table} o ON o.id = w.organisation_id "
        f"LEFT JOIN {Ballot._meta.db_table} b ON b.workshop_id = w.id AND b.id = %s "
        # The request's participant, by the rule ``participant_with_workshop`` also follows.
        f"WHERE {REQUEST_PARTICIPANT_WHERE} {REQUEST_PARTICIPANT_ORDER}"
    )
    return sql, [people, workshop, organisation, ballot]


def voter_and_ballot(
    *, workshop_id: int, ballot_id: int, user, guest_key: str | None
) -> tuple[Participant, Ballot | None] | None:
    """What a vote needs first, in one query written once: the request's participant (by
    account, else by guest cookie) with the workshop and its organisation, and the ballot of
    that workshop (None when the workshop has no such ballot). None when the request has not
    joined the workshop: the caller then falls back to ``load_workshop`` (members who have not
    joined, 404s). Equivalent to ``participant_with_workshop`` + ``ballot_get``; it exists
    because a room of phones votes hundreds of times a second and compiling those two ORM
    queries cost more than running them."""
    params = request_participant_params(workshop_id=workshop_id, user=user, guest_key=guest_key)
    if params is None:
        return None
    sql, columns = _voter_and_ballot_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [ballot_id, *params])
        row = cursor.fetchone()
    if row is None:
        return None
    return _viewer_and_ballot(row, columns)


def _viewer_and_ballot(row, columns) -> tuple[Participant, Ballot | None]:
    """The participant, workshop, organisation and ballot laid side by side at the start of
    ``row`` (``columns``), linked as the ORM's ``select_related`` would link them."""
    participant, workshop, organisation, ballot = loaders(*columns)(row)
    workshop.organisation = organisation
    participant.workshop = workshop
    if ballot is not None:
        ballot.workshop = workshop
    return participant, ballot


# --- the ballot page's one read ---------------------------------------------------------------


#: A person's votes in a ballot as one text (``proposal:criterion:value:revision:current;…``,
#: the revisions empty when NULL), per database: one row for the page whatever the votes.
_VOTES_AGGREGATE = {"postgresql": "string_agg({}, ';')", "sqlite": "group_concat({}, ';')"}


@cache
def _ballot_page_sql(db: str, vendor: str, inner: str, annotate: Callable) -> tuple:
    """The statement behind ``ballot_page_read``, written once per database: the request's
    participant (a derived table, so its ``LIMIT 1`` picks one person), the workshop and
    organisation, the ballot as ``inner`` compiles it (a derived table whose ORDER BY keeps
    PostgreSQL from merging it into the joins, so its subqueries run once), whether the
    participant has voted (the one-voter-per-ballot row), and their votes with their
    proposals' current revisions aggregated into one text column: one row, however many
    votes (a row per vote would repeat, and make the driver parse, the sixty columns of the
    person, the workshop and the ballot for each)."""
    quote = connections[db].ops.quote_name
    people = model_columns(Participant, "p", db)
    workshop = model_columns(Workshop, "w", db)
    organisation = model_columns(Organisation, "o", db)
    ballot = model_columns(Ballot, "q", db)
    names = tuple(annotate(Ballot.objects.using(db).all()).query.annotation_select)
    picked = ", ".join(f"q.{quote(n)}" for n in names)
    parts = " || ':' || ".join(
        f"COALESCE(CAST({column} AS TEXT), '')"
        for column in (
            "v.proposal_id",
            "v.criterion_id",
            "v.value",
            "v.revision_id",
            "pr.current_revision_id",
        )
    )
    votes = (
        f"(SELECT {_VOTES_AGGREGATE[vendor].format(parts)} "  # noqa: S608 - no user text
        f"FROM {Vote._meta.db_table} v "
        f"INNER JOIN {Proposal._meta.db_table} pr ON pr.id = v.proposal_id "
        f"WHERE v.ballot_id = q.{quote('id')} AND v.participant_id = p.id)"
    )
    table = Participant._meta.db_table
    sql = (
        f"SELECT {people.sql}, {workshop.sql}, {organisation.sql}, {ballot.sql}, {picked}, "  # noqa: S608 - no user text
        f"vr.id, {votes} "
        f"FROM (SELECT * FROM {table} p WHERE {REQUEST_PARTICIPANT_WHERE} "
        f"{REQUEST_PARTICIPANT_ORDER}) p "
        f"INNER JOIN {Workshop._meta.db_table} w ON w.id = p.workshop_id "
        f"INNER JOIN {Organisation._meta.db_table} o ON o.id = w.organisation_id "
        f"LEFT JOIN ({inner}) q ON 1 = 1 "
        f"LEFT JOIN {Voter._meta.db_table} vr ON vr.ballot_id = q.{quote('id')} "
        "AND vr.participant_id = p.id"
    )
    return sql, (people, workshop, organisation, ballot), names


def _vote_rows(text: str | None) -> list[tuple]:
    """The rows of ``my_votes_rows`` from the statement's aggregated text."""
    rows = []
    for vote in text.split(";") if text else ():
        pid, cid, value, revision, current = vote.split(":")
        rows.append(
            (int(pid), int(cid), int(value), int(revision) if revision else None,
             int(current) if current else None)
        )  # fmt: skip
    return rows


def ballot_page_read(
    *, workshop_id: int, ballot_id: int, user, guest_key: str | None, annotate: Callable
) -> tuple[Participant, Ballot | None] | None:
    """What the ballot page reads of its viewer and its ballot, in one statement: the
    request's participant (by account, else by guest cookie) with the workshop and its
    organisation; the ballot of that workshop annotated by ``annotate``
    (``selectors._with_activity``, as ``ballot_with_activity`` reads it) and whether the
    participant has voted (``viewer_voted``); and the participant's own votes in it (the rows
    of ``my_votes_rows``, kept with the ballot: ``viewer_votes_of``). The ballot is None when
    the workshop has no such ballot. None when the request has not joined the workshop: the
    caller falls back to ``load_workshop`` and ``ballot_get``.

    Equivalent to ``participant_with_workshop`` + ``ballot_get(with_activity=True)`` +
    ``my_votes_rows``: three round trips on the page every phone of the room opens."""
    params = request_participant_params(workshop_id=workshop_id, user=user, guest_key=guest_key)
    if params is None:
        return None
    db = router.db_for_read(Ballot)
    inner, marked = _ballot_sql(db, annotate)
    sql, columns, names = _ballot_page_sql(db, connections[db].vendor, inner, annotate)
    ids = {"workshop": workshop_id, "ballot": ballot_id}
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [*params, *_params(marked, ids)])
        row = cursor.fetchone()
    if row is None:
        return None
    participant, ballot = _viewer_and_ballot(row, columns)
    if ballot is None:
        return participant, None
    start = sum(c.width for c in columns)
    for i, name in enumerate(names):  # raw values, as ``Ballot.objects.raw`` leaves them
        setattr(ballot, name, row[start + i])
    voter, votes = row[start + len(names) :]
    ballot.viewer_voted = voter is not None
    ballot.__dict__.setdefault("_kpiw_memo", {})[("mine", participant.pk)] = _vote_rows(votes)
    return participant, ballot


def viewer_votes_of(ballot: Ballot, viewer_id: int) -> list[tuple] | None:
    """The rows of ``my_votes_rows`` read with ``ballot`` by ``ballot_page_read`` for this
    viewer; None when they were not read with it."""
    return ballot.__dict__.get("_kpiw_memo", {}).get(("mine", viewer_id))


# --- the vote's writes --------------------------------------------------------------------------


def ballot_state_for_vote(
    *, ballot_id: int, proposal_id: int | None, criterion_ids: list[int] | None
) -> list[tuple]:
    """(state, closes_at, criterion id) rows of the ballot for one vote, in one query, holding a
    shared lock on the ballot row on PostgreSQL (``FOR SHARE OF b``): no rows when the ballot
    is gone; one row with a NULL criterion when the proposal is not in the ballot or no
    criterion matches. ``criterion_ids``: the criteria of a multi-criteria (score) vote, of
    which only this ballot's are found; None: the ballot's single criterion (position 0).
    ``closes_at`` is the raw column value (text on SQLite).

    Replaces ``Ballot.objects.select_for_update(of=("self",))`` (a shared lock the ORM cannot
    take) plus ``BallotItem.objects.filter(ballot=..., proposal_id=...).exists()`` plus
    ``Criterion.objects.filter(ballot=..., ...)``: three round trips inside the write
    transaction, where every voter waits."""
    params: list = [proposal_id or 0]
    if criterion_ids is not None:
        ids = [int(c) for c in criterion_ids] or [0]
        crit = "c.id IN ({})".format(", ".join(["%s"] * len(ids)))
        params.extend(ids)
    else:
        crit = "c.position = 0"
    params.append(ballot_id)
    lock = " FOR SHARE OF b" if connection.vendor == "postgresql" else ""
    sql = (
        "SELECT b.state, b.closes_at, c.id FROM voting_ballot b "  # noqa: S608 - no user text
        "LEFT JOIN voting_ballotitem i ON i.ballot_id = b.id AND i.proposal_id = %s "
        f"LEFT JOIN voting_criterion c ON c.ballot_id = b.id AND i.id IS NOT NULL AND {crit} "
        f"WHERE b.id = %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_VOTER_UPSERT = (
    f"INSERT INTO {Voter._meta.db_table} "  # noqa: S608 - no user text
    "(ballot_id, participant_id, role, first_voted_at, changes) VALUES (%s, %s, %s, %s, 1) "
    "ON CONFLICT (ballot_id, participant_id) DO UPDATE SET role = EXCLUDED.role, "
    f"changes = {Voter._meta.db_table}.changes + 1"
)


def voter_upsert(*, ballot_id: int, participant_id: int, role: str) -> None:
    """Record the turnout row (first vote: ``changes`` 1, ``first_voted_at`` now) or count one
    more vote on it (``changes`` + 1, the role refreshed).

    Replaces ``Voter.objects.get_or_create(...)`` plus ``Voter.objects.filter(...).update(
    changes=F("changes") + 1, role=...)``: one statement instead of two or three, and on
    PostgreSQL its row lock serialises one person's concurrent taps."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_VOTER_UPSERT, [ballot_id, participant_id, role, now])


_DOTS_SPENT = (
    "SELECT COALESCE(SUM(value), 0), "  # noqa: S608 - no user text
    "COALESCE(SUM(CASE WHEN proposal_id = %s THEN value ELSE 0 END), 0) "
    f"FROM {Vote._meta.db_table} WHERE ballot_id = %s AND participant_id = %s"
)


def dots_spent(*, ballot_id: int, participant_id: int, proposal_id: int) -> tuple[int, int]:
    """(all the dots this person has given in the ballot, those on ``proposal_id``).

    Replaces ``Vote.objects.filter(ballot_id=..., participant_id=...).aggregate(
    all=Coalesce(Sum("value"), 0), here=Coalesce(Sum("value", filter=Q(proposal_id=...)), 0))``,
    asked inside the write transaction of every dot."""
    with connection.cursor() as cursor:
        cursor.execute(_DOTS_SPENT, [proposal_id, ballot_id, participant_id])
        spent_all, spent_here = cursor.fetchone()
    return int(spent_all), int(spent_here)


@cache
def _votes_upsert_sql(rows: int) -> str:
    # Each row binds the vote to its proposal's current revision (issue 20) by a subquery in
    # the same statement: no extra round trip on the hot path.
    current = f"(SELECT current_revision_id FROM {Proposal._meta.db_table} WHERE id = %s)"  # noqa: S608
    values = ", ".join([f"(%s, %s, %s, %s, %s, %s, %s, %s, {current})"] * rows)
    return (
        f"INSERT INTO {Vote._meta.db_table} "  # noqa: S608 - no user text
        "(ballot_id, participant_id, proposal_id, criterion_id, role, value, reason, updated_at, "
        f"revision_id) VALUES {values} "
        "ON CONFLICT (ballot_id, participant_id, proposal_id, criterion_id) DO UPDATE SET "
        "value = EXCLUDED.value, reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at, "
        "role = EXCLUDED.role, revision_id = EXCLUDED.revision_id"
    )


def votes_upsert(
    *,
    ballot_id: int,
    participant_id: int,
    role: str,
    values: list[tuple[int, int, int]],
    reason: str,
) -> None:
    """Insert or replace (proposal, criterion, value) rows of one person, one statement, each
    bound to its proposal's current revision.

    Replaces ``Vote.objects.bulk_create([...], update_conflicts=True, unique_fields=[...],
    update_fields=[...])`` preceded by a read of the proposals' current revisions: one
    statement instead of two, and no ORM compile inside the write transaction."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list = []
    for proposal_id, criterion_id, value in values:
        params += [ballot_id, participant_id, proposal_id, criterion_id, role, value, reason, now]
        params.append(proposal_id)
    with connection.cursor() as cursor:
        cursor.execute(_votes_upsert_sql(len(values)), params)
