"""The workshop page's shared fragments (``kpiworkshop.core.fragments``): the stage panel, the
head count, the facilitator's join-code panel, and the join screen's QR code."""

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.core import versions
from kpiworkshop.core.fragments import Fragment

from . import permissions, selectors
from .guidance import ACTION_LABELS, STAGE_HELP
from .models import STAGE_ORDER, Stage


def _scope(workshop, **_) -> tuple:
    return (workshop.organisation_id, workshop.pk)


def roster_version(*, workshop) -> str:
    """Participants and join codes: bumped by every service that writes them."""
    return versions.versions_of(workshop, (versions.ROSTER, workshop.pk))


class _Viewer:
    """The participant as the shared stage panel shows them: their role, and the slot where
    each response puts their own (escaped) name."""

    def __init__(self, role: str, name):
        self.display_name = name
        self._role = role

    def get_role_display(self):
        return Role(self._role).label


def _stage_audience(access, workshop) -> dict:
    participant = access.participant
    return {
        "role": participant.role if participant is not None else "",
        "actions": tuple(sorted(permissions.allowed_actions(participant, workshop))),
        "can_manage": permissions.can_manage(participant, workshop),
    }


def _stage_panel(*, audience, slots, workshop):
    previous, following = permissions.stage_moves(workshop)
    actions = audience["actions"]
    context = {
        "workshop": workshop,
        "participant": _Viewer(audience["role"], slots.slot("name")) if audience["role"] else None,
        "stages": [(s, Stage(s).label, i) for i, s in enumerate(STAGE_ORDER)],
        "stage_index": workshop.stage_index,
        "stage_help": STAGE_HELP[workshop.stage],
        "my_actions": [ACTION_LABELS[a] for a in actions if a in ACTION_LABELS],
        "can_manage": audience["can_manage"],
        "previous_stage": previous and Stage(previous),
        "next_stage": following and Stage(following),
        "poll_seconds": settings.KPIW_STATUS_POLL_SECONDS,
        "csrf_token": slots.slot("csrf"),
    }
    return render_to_string("workshops/workshop_detail.html#stage-panel", context)


#: The stage panel: stages, help, what the viewer's role may do, the facilitator's buttons.
#: Its version is the workshop's ``state_version`` column, which the stage change bumps.
stage_panel = Fragment(
    "stage-panel",
    templates=("workshops/workshop_detail.html",),
    inputs=("workshop",),
    scope=_scope,
    version=lambda workshop, **_: f"{workshop.state_version}:{workshop.stage}",
    audience=lambda access, workshop, **_: _stage_audience(access, workshop),
    compute=_stage_panel,
    slots=("name", "csrf"),
)


def _who(*, audience, workshop):
    roles = selectors.participants_by_role(workshop=workshop)
    for row in roles:
        row["label"] = Role(row["role"]).label
    context = {"roles": roles, "participant_count": sum(r["n"] for r in roles)}
    return render_to_string("workshops/workshop_detail.html#who", context)


#: The head count by role: the same for every viewer.
who = Fragment(
    "workshop-who",
    templates=("workshops/workshop_detail.html",),
    inputs=("workshop",),
    scope=_scope,
    version=lambda workshop, **_: roster_version(workshop=workshop),
    audience=lambda access, **_: {},
    compute=_who,
)


def _expiries(*, audience, workshop):
    return {"expiries": selectors.invitation_expiries(workshop=workshop)}


#: When the join codes expire (no markup): what the panel's clock input is computed from.
invitation_expiries = Fragment(
    "invitation-expiries",
    templates=(),
    inputs=("workshop",),
    scope=_scope,
    version=lambda workshop, **_: roster_version(workshop=workshop),
    audience=lambda access, workshop, **_: {
        "can_manage": permissions.can_manage(access.participant, workshop)
    },
    compute=_expiries,
)


def _invitations(*, audience, slots, workshop, site, clock):
    from .forms import InvitationForm

    invitations = selectors.invitations_for_workshop(workshop=workshop)
    for inv in invitations:
        inv.join_url = site.rstrip("/") + reverse("workshops:join_code", args=[inv.code])
    context = {
        "workshop": workshop,
        "invitations": invitations,
        "invitation_form": InvitationForm(),
        "csrf_token": slots.slot("csrf"),
    }
    return render_to_string("workshops/workshop_detail.html#invitations", context)


#: The facilitator's "Invite people" panel with the empty form. ``site``: the copied links are
#: absolute; ``clock``: while a code has an expiry ahead, the minute (its "expires in …") and
#: which codes have expired by now.
invitations_panel = Fragment(
    "invitations-panel",
    templates=("workshops/workshop_detail.html",),
    inputs=("workshop", "site", "clock"),
    scope=_scope,
    version=lambda workshop, **_: roster_version(workshop=workshop),
    audience=lambda access, workshop, **_: {
        "can_manage": permissions.can_manage(access.participant, workshop)
    },
    compute=_invitations,
    slots=("csrf",),
)


def _qr(*, audience, workshop, invitation, join_url):
    return segno.make(join_url, error="m").svg_inline(
        scale=10, border=2, dark="#000", light="#fff", omitsize=True
    )


#: The join screen's QR code: encoding it is most of that page's cost and depends only on the
#: URL (the version: a code never changes).
join_qr = Fragment(
    "join-qr",
    templates=(),
    inputs=("workshop", "invitation", "join_url"),
    scope=lambda workshop, invitation, **_: (workshop.organisation_id, workshop.pk, invitation.pk),
    version=lambda **_: "1",
    audience=lambda access, workshop, **_: {
        "can_manage": permissions.can_manage(access.participant, workshop)
    },
    compute=_qr,
)
