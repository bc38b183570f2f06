"""The proposal board's shared fragments (``kpiworkshop.core.fragments``): the cards and the
filter form, the same markup for everyone asking for the same filters."""

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
