"""Versions of shared markup, bumped by the writes that change it.

Every service that changes what a shared fragment shows calls ``version_bump`` for the scope
it changed, inside its own transaction. The counter row is updated with ``n = n + 1`` in that
transaction, so the new version becomes visible exactly when the write does (the same
commit): a reader that sees the new data sees the new version, and a fragment cached under
the old version is never served after the commit (its key is no longer asked for). Nothing
rests on timestamps taken before commit, so no entry needs a short lifetime to hide a lag.

Scopes are (kind, object id):

- ``BOARD`` (workshop): proposals, their revisions and states, comments, suggestions,
  supports, merges: what the board's cards, the map's cards and a ballot's cards show of a
  proposal. Written by kpis, approval, voting (shortlist), mapping (counter metric), catalog
  (publishing, review workshops).
- ``ROSTER`` (workshop): participants (names, roles, active) and invitations.
- ``MAP`` (workshop): goal and audience links, breakdowns, link comments, the map settings.
- ``GOALS`` (organisation): the organisation's business goals and audiences.
- ``BALLOT`` (ballot): a ballot's settings, state and proposals. Votes are not counted here:
  a room of phones votes at once and one counter row would serialise them on its lock; each
  vote bumps its voter's own row instead (``voting.Voter.changes``, already locked by the
  vote), and the ballot's version adds up those counters (see ``voting.selectors``).

Reading: ``versions_read`` (one query for several scopes) or ``version_subquery`` (an
annotation, to read the version with the object it belongs to, in the same query).

A write that does not go through a service (``manage.py shell``, a data migration) must call
``version_bump`` too, or clear the cache (``manage.py shell -c "from django.core.cache import
cache; cache.clear()"``, docs/operations.md).
"""

from django.db import connection, transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from . import rawsql
from .models import ScopeVersion

BOARD = "board"
ROSTER = "roster"
MAP = "map"
GOALS = "goals"
BALLOT = "ballot"
KINDS = (BOARD, ROSTER, MAP, GOALS, BALLOT)


def version_bump(kind: str, *object_ids: int) -> None:
    """Move the version of each scope (``kind``, id) by one, in the caller's transaction.

    Takes the scope's counter row for update until the caller commits: keep scopes narrow
    where many people write at once (see ``BALLOT`` above). Raises if called outside a
    transaction: a bump committed apart from its write could be seen before the write."""
    if kind not in KINDS:
        raise ValueError(f"unknown version scope {kind!r}")
    if not connection.in_atomic_block:
        raise RuntimeError("version_bump must run in the writing service's transaction")
    for object_id in sorted({int(i) for i in object_ids if i is not None}):
        rows = ScopeVersion.objects.filter(kind=kind, object_id=object_id)
        if not rows.update(n=F("n") + 1):
            # The first write of the scope: create the row (a concurrent first write may win
            # the race; either way one row exists), then count this write.
            with transaction.atomic():
                ScopeVersion.objects.bulk_create(
                    [ScopeVersion(kind=kind, object_id=object_id)], ignore_conflicts=True
                )
            rows.update(n=F("n") + 1)


def versions_read(*scopes: tuple[str, int]) -> str:
    """The versions of ``scopes`` ((kind, id) pairs) as one string, in one query. A scope
    never written reads as "0"."""
    if not scopes:
        return ""
    found = {
        (kind, object_id): f"{epoch}.{n}"
        for kind, object_id, epoch, n in rawsql.scope_versions(scopes)
    }
    return "|".join(found.get((kind, int(object_id)), "0") for kind, object_id in scopes)


def versions_of(obj, *scopes: tuple[str, int]) -> str:
    """``versions_read(*scopes)``, each scope read once per loaded object (a request's
    workshop): the fragments of one page that share scopes cost one query between them, and
    none for the scopes read with the object itself (``versions_prefill``)."""
    memo = obj.__dict__.setdefault("_kpiw_versions", {})
    wanted = [(kind, int(object_id)) for kind, object_id in scopes]
    missing = [scope for scope in dict.fromkeys(wanted) if scope not in memo]
    if missing:
        memo.update(zip(missing, versions_read(*missing).split("|"), strict=True))
    return "|".join(memo[scope] for scope in wanted)


#: The scopes of a workshop (and of its organisation: ``GOALS``) that its pages' fragments
#: read: ``workshops.rawsql.participant_with_workshop`` reads them with the workshop.
WORKSHOP_KINDS = (BOARD, ROSTER, MAP)


def version_token(epoch: str | None, n: int | None) -> str:
    """A scope's version as ``versions_read`` gives it: "epoch.n", or "0" never written."""
    return "0" if epoch is None else f"{epoch}.{n}"


def versions_prefill(obj, found: dict[tuple[str, int], str]) -> None:
    """Remember versions read in the same query as ``obj`` (``version_token`` values), so
    ``versions_of(obj, ...)`` does not read them again."""
    obj.__dict__.setdefault("_kpiw_versions", {}).update(found)


def version_subquery(kind: str, outer: str = "pk") -> Subquery:
    """An annotation: the version (``epoch.n``) of the scope (``kind``, the outer row's
    ``outer``), or NULL when the scope was never written."""
    return Subquery(
        ScopeVersion.objects.filter(kind=kind, object_id=OuterRef(outer)).values(
            token=Concat("epoch", Value("."), Cast("n", CharField()), output_field=CharField())
        )[:1]
    )
