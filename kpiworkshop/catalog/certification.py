"""A catalogue entry's certification (issue 20): "approved in release 2.0 by Lia (5 Dec 2026),
Marco (6 Dec 2026)", from the decisions its snapshot holds. Only the decisions that were current
when the release was built count (a decision on an earlier revision was void and is not current),
so a certification always names the approvers of the definition the entry publishes.

Each decision snapshotted by a release is tagged with that release's version when it is built
(``services.release_build``), and keeps it when the entry is carried over unchanged into later
releases: the certification names the release the KPI was approved in. Entries published before
the tag existed fall back to their own release's version."""

import datetime

from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kpiworkshop.approval.models import APPROVING


def certification_of(entry, *, release_version: str) -> dict | None:
    """``{"release", "approvers": [{"name", "decision", "at"}]}``, or None when the entry has
    no current approving decision (a KPI carried over from before decisions were recorded)."""
    approving = [
        d for d in entry.decisions or [] if d.get("current") and d.get("decision") in APPROVING
    ]
    if not approving:
        return None
    return {
        "release": approving[0].get("release") or release_version,
        "approvers": [
            {
                "name": d.get("approver", ""),
                "decision": d.get("decision", ""),
                "at": (d.get("at") or "")[:10] or None,
            }
            for d in approving
        ],
    }


def _day(iso: str | None) -> str:
    if not iso:
        return ""
    moment = parse_datetime(iso) if "T" in iso else None
    day = moment.date() if moment else datetime.date.fromisoformat(iso[:10])
    return formats.date_format(day, "DATE_FORMAT")


def certification_text(cert: dict | None) -> str:
    """The certification in a sentence, in the active language and date format."""
    if not cert:
        return ""
    names = ", ".join(
        f"{a['name']} ({_day(a.get('at'))})" if a.get("at") else a["name"]
        for a in cert["approvers"]
    )
    return _("Approved in release %(release)s by %(names)s") % {
        "release": cert["release"],
        "names": names,
    }
