"""The workshop app's hand-written SQL: the statements a profile showed pay for themselves
(building and compiling the equivalent ORM query on every request cost more than running it).
Each is tested against the ORM query it replaces in ``tests/workshops/test_rawsql.py``; the
figures are in ``docs/benchmarks.md`` ("Raw SQL")."""

from functools import cache

from django.db import connections, router

from kpiworkshop.accounts.models import Organisation, Role
from kpiworkshop.core import versions
from kpiworkshop.core.models import ScopeVersion
from kpiworkshop.core.rawrows import loaders, model_columns

from .models import Invitation, Participant, Workshop

#: The request's participant in SQL, over ``p`` (participants): active, by account or by guest
#: cookie, the account's first (a participant is one or the other: participant_member_xor_guest;
#: at most one of each per workshop). Parameters: ``request_participant_params``. The one place
#: this rule is written; ``voting.selectors.voter_and_ballot`` joins its ballot onto it.
REQUEST_PARTICIPANT_WHERE = (
    "p.workshop_id = %s AND p.is_active = %s AND (p.user_id = %s OR p.guest_key = %s)"
)
REQUEST_PARTICIPANT_ORDER = "ORDER BY CASE WHEN p.user_id IS NULL THEN 1 ELSE 0 END LIMIT 1"


def request_participant_params(*, workshop_id: int, user, guest_key: str | None) -> list | None:
    """The parameters of ``REQUEST_PARTICIPANT_WHERE``; None when the request carries neither an
    account nor a guest cookie (nobody to look for, no query to run)."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    guest_key = guest_key or None
    if user_id is None and guest_key is None:
        return None
    return [workshop_id, True, user_id, guest_key]


#: The version scopes read with a participant on a GET: (kind, owner's alias in the statement:
#: ``w`` the workshop, ``o`` its organisation). The kinds are our constants, never user text.
VERSION_SCOPES = (*((kind, "w") for kind in versions.WORKSHOP_KINDS), (versions.GOALS, "o"))
assert all(kind.isidentifier() for kind, _owner in VERSION_SCOPES)


@cache
def _participant_with_workshop_sql(
    using: str, vendor: str, with_versions: bool
) -> tuple[str, list]:
    """The statement behind ``participant_with_workshop``, written once per database."""
    people = model_columns(Participant, "p", using)
    workshop = model_columns(Workshop, "w", using)
    organisation = model_columns(Organisation, "o", using)
    # The versions of the workshop's scopes and of its organisation's goals, read with it
    # (``core.versions.versions_prefill``): the page's shared fragments then read none.
    table = ScopeVersion._meta.db_table
    scopes = VERSION_SCOPES if with_versions else ()
    joins = "".join(
        f"LEFT OUTER JOIN {table} v{i} ON v{i}.kind = '{kind}' AND v{i}.object_id = {owner}.id "
        for i, (kind, owner) in enumerate(scopes)
    )
    picked = "".join(f", v{i}.epoch, v{i}.n" for i in range(len(scopes)))
    sql = (
        f"SELECT {people.sql}, {workshop.sql}, {organisation.sql}{picked} "  # noqa: S608
        f"FROM {Participant._meta.db_table} p "
        f"INNER JOIN {Workshop._meta.db_table} w ON w.id = p.workshop_id "
        f"INNER JOIN {Organisation._meta.db_table} o ON o.id = w.organisation_id "
        f"{joins}"
        f"WHERE {REQUEST_PARTICIPANT_WHERE} {REQUEST_PARTICIPANT_ORDER}"
    )
    return sql, [people, workshop, organisation]


def participant_with_workshop(
    *, workshop_id: int, user, guest_key: str | None, with_versions: bool = False
):
    """The request's participant in a workshop (by account, else by guest cookie; active only),
    with the workshop and its organisation, in one query: what nearly every page, poll and
    fragment of a participant needs first. None if not joined (no query without credentials).

    Equivalent to ``Participant.objects.select_related("workshop__organisation")`` filtered by
    the account, then by the cookie; written once per process as a fixed statement because
    building and compiling that ORM query on every request cost more than running it.

    ``with_versions``: also read the versions of the workshop's scopes and of its
    organisation's goals (``core.versions.WORKSHOP_KINDS``, ``GOALS``) and remember them on
    the workshop (``versions_prefill``), so its page's fragments read none. Only for a request
    that writes nothing: a write after this read would leave them behind."""
    params = request_participant_params(workshop_id=workshop_id, user=user, guest_key=guest_key)
    if params is None:
        return None
    using = router.db_for_read(Participant)
    sql, columns = _participant_with_workshop_sql(using, connections[using].vendor, with_versions)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    participant, workshop, organisation = loaders(*columns)(row)
    workshop.organisation = organisation
    participant.workshop = workshop
    if not with_versions:
        return participant
    tail = row[sum(c.width for c in columns) :]
    owner_ids = {"w": workshop.pk, "o": organisation.pk}
    versions.versions_prefill(
        workshop,
        {
            (kind, owner_ids[owner]): versions.version_token(tail[2 * i], tail[2 * i + 1])
            for i, (kind, owner) in enumerate(VERSION_SCOPES)
        },
    )
    return participant


@cache
def _invitation_and_joined_sql(using: str, vendor: str) -> tuple[str, object]:
    """The statement behind ``invitation_and_joined``, written once per database."""
    invitation = model_columns(Invitation, "i", using)
    sql = (
        f"SELECT {invitation.sql}, "  # noqa: S608 - no user text
        f"(SELECT COUNT(*) FROM {Participant._meta.db_table} p WHERE p.workshop_id = i.workshop_id "
        "AND p.is_active = %s AND NOT (p.role = %s)) "
        f"FROM {Invitation._meta.db_table} i WHERE i.id = %s AND i.workshop_id = %s"
    )
    return sql, invitation


def invitation_and_joined(*, workshop_id: int, invitation_id: int) -> tuple[Invitation | None, int]:
    """One invitation of this workshop (None for none: another workshop's is none) and how
    many active people who are not facilitators have joined the workshop, in one query: the
    projector's join screen, polled while a room joins.

    Replaces ``Invitation.objects.filter(pk=invitation_id, workshop_id=workshop_id).first()``
    and ``Participant.objects.active().filter(workshop_id=workshop_id).exclude(
    role=Role.FACILITATOR).count()``."""
    using = router.db_for_read(Invitation)
    sql, columns = _invitation_and_joined_sql(using, connections[using].vendor)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [True, Role.FACILITATOR, invitation_id, workshop_id])
        row = cursor.fetchone()
    if row is None:
        return None, 0
    return columns.load(row), int(row[-1])
