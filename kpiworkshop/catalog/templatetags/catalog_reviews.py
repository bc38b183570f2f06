"""The facilitator's home-page line about the catalogue's next review (issue 10): "Catalogue
review due in 5 days — 3 KPIs flagged by the people who use them". A template tag so that the
home page (workshops, a lower layer) needs no import of the catalogue."""

import datetime

from django import template
from django.utils import timezone

from kpiworkshop.accounts.models import Role

from .. import selectors

register = template.Library()

#: Reviews this close (or overdue) are announced on the home page.
ANNOUNCE_DAYS = 30


@register.inclusion_tag("catalog/_review_banner.html")
def review_banners(memberships) -> dict:
    today = timezone.localdate()
    banners = []
    for m in memberships or []:
        if m.role != Role.FACILITATOR:
            continue
        rows = selectors.reviews_for(organisation_id=m.organisation_id)
        due = [r for r in rows if r.due <= today + datetime.timedelta(days=ANNOUNCE_DAYS)]
        if not due:
            continue
        release = selectors.release_current(organisation_id=m.organisation_id)
        days = due[0].days(today)
        banners.append(
            {
                "organisation": m.organisation,
                "days": days,
                "late": -days,
                "flagged": len(selectors.flagged_entries(release=release)),
            }
        )
    return {"banners": banners}
