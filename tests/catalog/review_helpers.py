"""Hand-built releases for the issue-10 tests (no publish task, no PDF: fast)."""

import datetime

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease
from kpiworkshop.catalog.permissions import Reader
from tests.factories import MembershipFactory

NOTES = {
    "how_to_read": "Share of contacts solved at the first touch.",
    "when_it_moves": "Look at the repeat contacts by reason.",
    "pitfalls": "Closing tickets early inflates it.",
    "worked_example": "80 of 100 contacts solved first time: 80%.",
}


def make_release(organisation, names=("FCR", "NPS"), major=1, minor=0, **fields):
    release = CatalogRelease.objects.create(
        organisation=organisation,
        major=major,
        minor=minor,
        language="en",
        effective_date=fields.pop("effective_date", datetime.date(2026, 1, 1)),
        published_by_name="Fran",
        **fields,
    )
    for i, name in enumerate(names):
        CatalogEntry.objects.create(
            release=release,
            position=i,
            name=name,
            category="customer",
            definition={
                "name": name,
                "measures": f"How we measure {name}",
                "numerator": "Contacts solved",
                "denominator": "All contacts",
                "unit": "%",
                "direction": "higher",
                "baseline": "70%",
                "target": "80%",
                "thresholds": "amber 72-78",
                "owner": "Customer care",
            },
            audiences=[{"slug": "team_leaders", "name": "Team leaders", "kind": "accountable"}],
            goals=[{"slug": "loyalty", "name": "Loyalty", "kind": "primary"}],
            training_notes={"en": NOTES},
        )
    return release


def member(organisation, role=Role.AGENT):
    m = MembershipFactory(organisation=organisation, role=role)
    return m.user, Reader(organisation.pk, role)
