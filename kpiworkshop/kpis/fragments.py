"""The kpis app's shared fragments (``kpiworkshop.core.fragments``): the board's cards and
filter form, the same markup for everyone asking for the same filters, and a proposal's comment
list, the same for everyone with the same buttons."""

from django.conf import settings
from django.template.loader import render_to_string

from kpiworkshop.core import versions
from kpiworkshop.core.fragments import Fragment

from . import permissions, selectors

#: Proposals per board page: enough to scan on a phone, and the next ones one tap away.
BOARD_PAGE = 30


def board_version(*, workshop) -> str:
    """What a card shows moves with the board's scope (proposals, revisions, states,
    comments, suggestions, supports) and the roster's (authors' names): both bumped by the
    services that write them."""
    return versions.versions_of(
        workshop, (versions.BOARD, workshop.pk), (versions.ROSTER, workshop.pk)
    )


def _cards(*, audience, workshop, filters, author, page, next_query) -> dict:
    proposals = selectors.proposals_for_board(
        workshop=workshop,
        actor=None,  # nothing personal on a shared card
        category=filters["category"],
        channel=filters["channel"],
        state=filters["state"],
        mine=author is not None,
        author=author,
        q=filters["q"],
        sort=filters["sort"] or "newest",
        offset=(page - 1) * BOARD_PAGE,
        limit=BOARD_PAGE + 1,  # one more tells whether there is a next page
    )
    context = {
        "workshop": workshop,
        "proposals": proposals[:BOARD_PAGE],
        "has_more": len(proposals) > BOARD_PAGE,
        "next_query": next_query,
    }
    html = render_to_string("kpis/proposal_board.html#proposal-cards", context)
    return {"html": html, "empty": not proposals}


#: The board's cards, one page of them. Nothing on a card depends on who looks (name,
#: category and summary are never internal-only): no predicate splits the audience. "Only
#: mine" is an input (``author``), not an audience.
board_cards = Fragment(
    "board-cards",
    templates=("kpis/proposal_board.html",),
    inputs=("workshop", "filters", "author", "page", "next_query"),
    scope=lambda workshop, **_: (workshop.organisation_id, workshop.pk),
    version=lambda workshop, **_: board_version(workshop=workshop),
    audience=lambda access, **_: {},
    compute=_cards,
)


def _filter(*, audience, workshop, form_data):
    from django.http import QueryDict

    from .forms import BoardFilterForm

    data = QueryDict(mutable=True)
    for name, values in form_data.items():
        data.setlist(name, values)
    form = BoardFilterForm(data or None)
    form.is_valid()
    context = {"workshop": workshop, "form": form, "participant": audience["can_filter_own"]}
    return render_to_string("kpis/proposal_board.html#filter-form", context)


#: The filter form: the code's choices, the query's values; "Only mine" for participants.
board_filter = Fragment(
    "board-filter",
    templates=("kpis/proposal_board.html",),
    inputs=("workshop", "form_data"),
    scope=lambda workshop, **_: (workshop.organisation_id, workshop.pk),
    version=lambda **_: "1",  # the choices are the code's (the template digest follows them)
    audience=lambda access, workshop, **_: {
        "can_filter_own": permissions.can_filter_own(access.participant, workshop)
    },
    compute=_filter,
)


def comment_flags(access, proposal) -> dict:
    """What makes a comment list's markup differ between viewers: the reply form, the
    "mark resolved" button (the facilitator, or the proposal's author) and the hide form."""
    actor = access.participant
    return {
        "can_comment": permissions.can_comment_on(actor, proposal),
        "can_resolve": permissions.can_resolve(actor, proposal),
        "can_moderate": permissions.can_moderate(actor, proposal),
    }


def _comment_list(*, audience, slots, workshop, proposal) -> dict:
    # ``actor=None``: only the comments the whole room sees. A comment waiting for the
    # facilitator (or hidden by moderation) never enters the shared markup: its author gets
    # it in the ``own`` slot (views.comment_list_html).
    comments = selectors.proposal_comments(proposal=proposal, actor=None)
    times = {}
    for comment in comments:
        for c in (comment, *comment.thread):
            c.ago_slot = slots.slot(f"ago:{c.pk}")
            times[f"ago:{c.pk}"] = c.created_at
    context = audience | {
        "workshop": workshop,
        "proposal": proposal,
        "comments": comments,
        "csrf_token": slots.slot("csrf"),
        "own_slot": slots.slot("own"),
        "poll_seconds": settings.KPIW_STATUS_POLL_SECONDS,
    }
    return {"html": render_to_string("kpis/_comment_list.html", context), "times": times}


#: A proposal's comments with their replies (and those of the proposals merged into it), as
#: the whole room sees them: the same markup for every viewer with the same buttons. Rendered
#: once per change (the board's version: the comment services bump it, and so does letting a
#: held comment through), not once per phone. Slots: the CSRF token of the reply, resolve
#: and hide forms (``csrf``), each comment's age ("5 minutes", ``ago:<comment id>``, whose
#: time is in ``extra["times"]``) and the viewer's own comments the room does not see
#: (``own``).
comment_list = Fragment(
    "comment-list",
    templates=("kpis/_comment_list.html",),
    inputs=("workshop", "proposal"),
    scope=lambda workshop, proposal, **_: (workshop.organisation_id, workshop.pk, proposal.pk),
    version=lambda workshop, **_: board_version(workshop=workshop),
    audience=lambda access, proposal, **_: comment_flags(access, proposal),
    compute=_comment_list,
    slots=("csrf", "own", "ago:<comment id>"),
)
