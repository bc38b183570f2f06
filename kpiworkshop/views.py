"""Pages that span the apps, above every layer (DESIGN.md §5): the home page shows a member's
workshops (workshops) and, for a facilitator, the catalogue reviews coming due (reviews)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kpiworkshop.accounts.selectors import memberships_for_user
from kpiworkshop.core.htmx import HtmxHttpRequest
from kpiworkshop.reviews.selectors import review_banners_for
from kpiworkshop.workshops.forms import JoinCodeForm
from kpiworkshop.workshops.permissions import can_create_workshop
from kpiworkshop.workshops.selectors import workshops_for_user


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """Signed in: the workshops of your organisations, and the catalogue reviews coming due.
    Otherwise: join with a code, or sign in."""
    if not request.user.is_authenticated:
        return render(request, "home_public.html", {"form": JoinCodeForm()})
    memberships = memberships_for_user(user=request.user)
    context = {
        "memberships": memberships,
        "workshops": workshops_for_user(user=request.user, memberships=memberships),
        "can_create": any(can_create_workshop(m, m.organisation) for m in memberships),
        "review_banners": review_banners_for(memberships=memberships),
    }
    return render(request, "home.html", context)
