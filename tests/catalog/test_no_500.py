"""Every catalogue route, with the demo's real organisation, releases, KPIs, exports and
proposals, as four kinds of visitor, with garbage posts and hostile query strings: never a
500."""

import pytest
from django.core.management import call_command

from kpiworkshop.accounts.models import User
from kpiworkshop.catalog.models import CatalogRelease, Export
from kpiworkshop.kpis.models import Proposal
from kpiworkshop.workshops.models import Participant, Stage, Workshop
from tests.conftest import as_guest

GARBAGE = [
    {},
    {"decision": "king", "reason": "", "pilot_until": "yesterday"},
    {"decision": "pilot", "reason": "r" * 5000, "pilot_until": "1999-01-01"},
    {"decision": "approve", "reason": "\x00<script>", "quorum": "-5"},
    {"quorum": "99999999999999999999", "language": "xx", "effective_date": "2026-13-45"},
    {"language": "it", "effective_date": "2026-01-01", "next_review": "2020-01-01",
     "how_to_read": "x" * 6000, "name": "", "change_note": "\x00"},
]  # fmt: skip
HOSTILE = {k: "\x00<x>" for k in ("q", "audience", "goal", "category", "channel", "a", "b",
                                  "language")}  # fmt: skip


@pytest.mark.django_db
def test_catalogue_routes_never_answer_500(client):
    call_command("seed_demo", verbosity=0)
    release = CatalogRelease.objects.order_by("-major").first()
    entry = release.entries.first()
    export = Export.objects.filter(release=release).first()
    published = release.workshop
    approving = Workshop.objects.exclude(stage=Stage.PUBLISHED).first()
    Workshop.objects.filter(pk=approving.pk).update(stage=Stage.APPROVE)
    proposal = Proposal.objects.filter(workshop=approving).first()
    org = release.organisation.slug
    paths = [
        f"/o/{org}/catalogue/",
        f"/o/{org}/catalogue/releases/",
        f"/o/{org}/catalogue/diff/",
        f"/o/{org}/catalogue/diff/?a=1.0&b=2.0",
        f"/o/{org}/catalogue/{release.version}/",
        f"/o/{org}/catalogue/99999999999999999999.1/",
        f"/o/{org}/catalogue/{release.version}/kpi/{entry.kpi_uid}/",
        f"/o/{org}/catalogue/{release.version}/kpi/{'f' * 300}/",
        f"/o/{org}/catalogue/exports/{export.token}/",
        f"/o/{org}/catalogue/exports/{'x' * 300}/",
        f"/w/{published.pk}/catalogue/",
        f"/w/{approving.pk}/approve/",
        f"/w/{approving.pk}/approve/quorum/",
        f"/w/{approving.pk}/approve/publish/",
        f"/w/{approving.pk}/approve/publish/status/",
        f"/w/{approving.pk}/approve/{proposal.pk}/decide/",
        f"/w/{approving.pk}/approve/{proposal.pk}/notes/",
        f"/w/{approving.pk}/approve/{proposal.pk}/notes/confirm/",
        f"/w/{approving.pk}/approve/{proposal.pk}/revise/",
        f"/api/v1/organisations/{org}/catalogue/releases",
        f"/api/v1/organisations/{org}/catalogue/releases/current/entries",
        f"/api/v1/organisations/{org}/catalogue/releases/{'9' * 40}/changelog",
    ]
    guest = Participant.objects.filter(workshop=published, guest_key__isnull=False).first()
    failures = []
    for who in ("anonymous", "guest", "leader", "facilitator"):
        client.logout()
        client.cookies.clear()
        if who == "guest" and guest is not None:
            as_guest(client, guest)
        elif who in ("leader", "facilitator"):
            client.force_login(User.objects.get(username=who))
        for path in paths:
            tries = [("get", None), ("get", HOSTILE)] + [("post", g) for g in GARBAGE]
            for method, data in tries:
                for hx in ({}, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "catalogue-results"}):
                    response = getattr(client, method)(path, data or {}, **hx)
                    if response.status_code >= 500:
                        failures.append((who, method, path, data, response.status_code))
    assert failures == []
