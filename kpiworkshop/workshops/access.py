"""Request helpers shared by every app's views: loading a workshop with the viewer's standing in
it, the guest cookie, the join client used for throttling, and absolute public URLs.

Views of kpis, voting, mapping, approval, catalog and reviews import from here, never from
another app's views (the reviews' views load a catalogue through ``catalog.access``).
"""

from django.conf import settings
from django.http import Http404, HttpResponse

from kpiworkshop.accounts.selectors import membership_for

from . import selectors
from .models import Workshop
from .throttle import JoinClient

GUEST_SALT = "kpiw.guest"


def guest_key_of(request) -> str | None:
    return request.get_signed_cookie(settings.KPIW_GUEST_COOKIE, default=None, salt=GUEST_SALT)


def remember_guest(response: HttpResponse, key: str) -> None:
    response.set_signed_cookie(
        settings.KPIW_GUEST_COOKIE,
        key,
        salt=GUEST_SALT,
        max_age=settings.KPIW_GUEST_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def join_client_of(request) -> JoinClient:
    address = request.META.get("REMOTE_ADDR", "")
    device = guest_key_of(request) or (f"{address}|{request.META.get('HTTP_USER_AGENT', '')[:200]}")
    if request.user.is_authenticated:
        device = f"user:{request.user.pk}"
    return JoinClient(device=device, address=address)


def public_url(request, path: str) -> str:
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


class WorkshopAccess:
    """Who is looking at a workshop: their participant row (if joined) and membership."""

    def __init__(self, workshop: Workshop, participant, membership):
        self.workshop = workshop
        self.participant = participant
        self.membership = membership


def participant_of(request, workshop_id: int):
    """The request's participant in a workshop (by account, else by guest cookie; active only),
    with the workshop and its organisation loaded; None if they have not joined it. The one
    loader of "who is acting here" for every app's views.

    On a read (GET, HEAD: no writes, by the rule of the views) the workshop comes with the
    versions its pages' fragments key on, read in the same statement; a request that writes
    reads them after its write instead, so what it renders next is never keyed on the
    version from before it."""
    return selectors.participant_with_workshop(
        workshop_id=workshop_id,
        user=request.user,
        guest_key=guest_key_of(request),
        with_versions=request.method in ("GET", "HEAD"),
    )


def load_workshop(request, pk: int) -> WorkshopAccess:
    """The workshop and the viewer's standing in it. 404 for anyone who neither joined it nor
    belongs to its organisation, so other organisations cannot even learn it exists."""
    if pk > 2**63 - 1:  # beyond any database's integer: no such workshop
        raise Http404
    participant = participant_of(request, pk)
    if participant is not None:
        # One query gave both; a participant's page needs no membership lookup.
        return WorkshopAccess(participant.workshop, participant, None)
    workshop = selectors.workshop_get(workshop_id=pk)
    if workshop is None:
        raise Http404
    membership = membership_for(user=request.user, organisation_id=workshop.organisation_id)
    if membership is None:
        raise Http404
    return WorkshopAccess(workshop, None, membership)


def api_access(request, workshop_id: int) -> WorkshopAccess:
    """The API's version of ``load_workshop``: the workshop and the caller's standing in it
    (participant through their account, else their organisation membership). 404 for anyone
    who is neither, so the API tells other organisations no more than the pages do."""
    if workshop_id > 2**63 - 1:
        raise Http404
    workshop = selectors.workshop_get(workshop_id=workshop_id)
    if workshop is None:
        raise Http404
    user = request.auth
    # An API token stands for an account, never for a guest device.
    participant = selectors.participant_with_workshop(
        workshop_id=workshop.pk, user=user, guest_key=None
    )
    membership = None
    if participant is None:
        membership = membership_for(user=user, organisation_id=workshop.organisation_id)
        if membership is None:
            raise Http404
    return WorkshopAccess(workshop, participant, membership)
