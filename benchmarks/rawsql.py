"""Each statement compiled once (``<app>/rawsql.py``) against the ORM query it replaces.

    .venv/bin/python benchmarks/rawsql.py [--db postgres] [--calls 2000]

Seeds the same data as ``pages.py`` into a throwaway database, then calls each statement and
its ORM query ``--calls`` times in this process, after a warm-up, best of three, and prints a
Markdown table for docs/benchmarks.md ("Raw SQL"): microseconds per call. The gap is what
building and compiling the ORM query costs on every request; the tests
(``tests/<app>/test_rawsql.py``) show both give the same rows.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import make_server
from pages import SEED


def best_of(fn, calls: int, rounds: int = 3) -> float:
    """Microseconds per call, the best of ``rounds`` rounds of ``calls`` calls."""
    for _ in range(min(calls, 200)):
        fn()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls * 1e6)
    return best


def statements(data: dict) -> list[tuple[str, str, object, object]]:
    """(statement, what it replaces, raw call, ORM call) on the seeded data."""
    from django.db.models import Count, Max, Q
    from django.utils import timezone

    from kpiworkshop.accounts import rawsql as accounts_sql
    from kpiworkshop.accounts.models import Organisation, Role, Session, User
    from kpiworkshop.catalog import rawsql as catalog_sql
    from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease, Export
    from kpiworkshop.core import rawsql as core_sql
    from kpiworkshop.core.models import ScopeVersion
    from kpiworkshop.reviews import rawsql as reviews_sql
    from kpiworkshop.reviews.models import Feedback, Measurement
    from kpiworkshop.voting import rawsql as voting_sql
    from kpiworkshop.voting import selectors as voting_selectors
    from kpiworkshop.voting.models import Ballot, Vote
    from kpiworkshop.workshops import rawsql as workshops_sql
    from kpiworkshop.workshops.models import Invitation, Participant

    session_key, now = data["session"], timezone.now()
    user_id = Session.objects.get(session_key=session_key).get_decoded()["_auth_user_id"]
    org = Organisation.objects.get(slug="bench")
    release = CatalogRelease.objects.filter(organisation=org).order_by("-major", "-minor")[0]
    entry = CatalogEntry.objects.get(release=release, kpi_uid=data["kpi"])
    w, invitation = data["workshop"], data["invitation"]
    scopes = (("roster", w), ("board", w))
    person = f"u:{user_id}"
    mine = Q(person=person)

    def orm_versions():
        where = Q()
        for kind, object_id in scopes:
            where |= Q(kind=kind, object_id=object_id)
        return list(
            ScopeVersion.objects.filter(where).values_list("kind", "object_id", "epoch", "n")
        )

    # The ballot page of a guest who voted on each of the 100 KPIs of the seed's round.
    ballot = Ballot.objects.get(workshop__organisation=org, title="Bench round")
    voter = Vote.objects.filter(ballot=ballot).select_related("participant")[0].participant

    def orm_ballot_page():
        viewer = (
            Participant.objects.select_related("workshop__organisation")
            .filter(workshop_id=ballot.workshop_id, is_active=True, guest_key=voter.guest_key)
            .first()
        )
        found = voting_selectors._with_activity(
            Ballot.objects.filter(workshop_id=ballot.workshop_id, pk=ballot.pk), viewer=viewer
        ).first()
        votes = list(
            Vote.objects.filter(ballot_id=ballot.pk, participant_id=viewer.pk).values_list(
                "proposal_id",
                "criterion_id",
                "value",
                "revision_id",
                "proposal__current_revision_id",
            )
        )
        return viewer, found, votes

    def orm_invitation():
        found = Invitation.objects.filter(pk=invitation, workshop_id=w).first()
        count = (
            Participant.objects.active()
            .filter(workshop_id=w)
            .exclude(role=Role.FACILITATOR)
            .count()
        )
        return found, count

    return [
        (
            "accounts.session_with_user",
            '`Session…select_related("user").filter(session_key=…, expire_date__gt=now)`: '
            "every signed-in request (the session and its user, two queries before)",
            lambda: accounts_sql.session_with_user(session_key=session_key, now=now),
            lambda: (
                Session.objects.select_related("user")
                .filter(session_key=session_key, expire_date__gt=now)
                .first()
            ),
        ),
        (
            "accounts.user_get",
            "`User.objects.get(pk=…)` (`ModelBackend.get_user`): every signed-in request",
            lambda: accounts_sql.user_get(user_id=user_id),
            lambda: User.objects.get(pk=user_id),
        ),
        (
            "core.scope_versions",
            "`ScopeVersion` filtered by an OR of (kind, id): every shared fragment's key",
            lambda: core_sql.scope_versions(scopes),
            orm_versions,
        ),
        (
            "workshops.invitation_and_joined",
            "`Invitation…first()` and the joined `Participant` count: the join screen",
            lambda: workshops_sql.invitation_and_joined(workshop_id=w, invitation_id=invitation),
            orm_invitation,
        ),
        (
            "catalog.release_current_with_workshop",
            '`CatalogRelease…select_related("workshop").order_by(…).first()`: the catalogue',
            lambda: catalog_sql.release_current_with_workshop(organisation_id=org.pk),
            lambda: (
                CatalogRelease.objects.filter(organisation_id=org.pk)
                .select_related("workshop")
                .order_by("-major", "-minor")
                .first()
            ),
        ),
        (
            "catalog.exports_of",
            '`Export.objects.filter(release=…).order_by("format", "audience")`: the catalogue',
            lambda: catalog_sql.exports_of(release_id=release.pk),
            lambda: list(
                Export.objects.filter(release_id=release.pk).order_by("format", "audience")
            ),
        ),
        (
            "catalog.entries_of_kpi",
            '`CatalogEntry…select_related("release", "review")`, newest first: the KPI page',
            lambda: catalog_sql.entries_of_kpi(
                organisation_id=org.pk, kpi_uid=entry.kpi_uid, related=("review",)
            ),
            lambda: list(
                CatalogEntry.objects.filter(release__organisation_id=org.pk, kpi_uid=entry.kpi_uid)
                .select_related("release", "review")
                .order_by("-release__major", "-release__minor")
            ),
        ),
        (
            "reviews.entry_reads",
            "three queries of the KPI page: `Feedback` grouped by role and answer with two "
            'filtered aggregates, `Feedback…exclude(comment="")[:20]` (for moderators) and '
            '`Measurement…values_list("period", "breakdown", "value", named=True)`',
            lambda: reviews_sql.entry_reads(
                entry_id=entry.pk,
                person=person,
                organisation_id=org.pk,
                kpi_uid=entry.kpi_uid,
                comments=20,
            ),
            lambda: (
                list(
                    Feedback.objects.filter(entry_id=entry.pk)
                    .values_list("role", "answer")
                    .annotate(
                        n=Count("id"), mine=Count("id", filter=mine), c=Max("comment", filter=mine)
                    )
                    .order_by()
                ),
                list(Feedback.objects.filter(entry_id=entry.pk).exclude(comment="")[:20]),
                list(
                    Measurement.objects.filter(organisation_id=org.pk, kpi_uid=entry.kpi_uid)
                    .order_by("period", "breakdown")
                    .values_list("period", "breakdown", "value", named=True)
                ),
            ),
        ),
        (
            "voting.ballot_page_read",
            "three queries of the ballot page: the participant with the workshop and its "
            "organisation, the ballot with its five activity subqueries and `viewer_voted`, "
            "and the viewer's votes (`Vote…values_list(…)`); here a guest with 100 votes",
            lambda: voting_sql.ballot_page_read(
                workshop_id=ballot.workshop_id,
                ballot_id=ballot.pk,
                user=None,
                guest_key=voter.guest_key,
                annotate=voting_selectors._with_activity,
            ),
            orm_ballot_page,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()

    server = make_server(args.db, static=False)
    try:
        data = json.loads(server.manage("shell", "-c", "N = 100\n" + SEED).strip().splitlines()[-1])
        os.environ.update(server.env)
        import django

        django.setup()
        print(f"\n{args.db}, {args.calls} calls, best of 3, µs per call\n")
        print("| statement (`app.rawsql`) | replaces | raw µs | ORM µs |")
        print("|---|---|---:|---:|")
        for name, replaces, raw, orm in statements(data):
            print(f"| `{name}` | {replaces} | {best_of(raw, args.calls):,.0f} "
                  f"| {best_of(orm, args.calls):,.0f} |")  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
