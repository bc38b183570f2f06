"""A ballot's shared fragments (``kpiworkshop.core.fragments``): the results with the turnout,
the phone's card list (with slots for the viewer's own votes), and the projector board's live
part (with a slot for the countdown)."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from kpiworkshop.core.fragments import Fragment
from kpiworkshop.kpis.models import ProposalState

from . import permissions, selectors
from .models import Method
from .templatetags import voting_cards

BOARD_POLL_SECONDS = 2


def _scope(ballot, **_) -> tuple:
    return (ballot.workshop.organisation_id, ballot.workshop_id, ballot.pk)


def _version(ballot, **_) -> str:
    return selectors.ballot_version(ballot=ballot)


def results_value(*, ballot, equal: bool, manager: bool) -> dict:
    """The results markup (``html``), the turnout line, the turnout it was computed from, the
    weighting link's facts and, for the manager, the shortlist form's rows in result order."""
    turnout = selectors.turnout(ballot=ballot)
    results = selectors.results_for_ballot(ballot=ballot, equal_weight=equal, groups=turnout)
    value = {
        "html": render_to_string("voting/_results.html", {"ballot": ballot, "results": results}),
        "turnout_html": render_to_string(
            "voting/ballot_detail.html#turnout-line",
            {"turnout": turnout, "voters": sum(g.voted for g in turnout)},
        ),
        "turnout": turnout,
        "summary": {
            "can_weigh_equally": results.can_weigh_equally,
            "equal_weight": results.equal_weight,
        },
    }
    if manager:
        shown = [row.proposal for row in results.rows]
        seen = {p.pk for p in shown}
        rest = [p for p in selectors.ballot_items(ballot=ballot) if p.pk not in seen]
        rows = [
            {
                "pk": str(p.pk),
                "name": p.current_revision.name if p.current_revision else "",
                "shortlisted": p.state == ProposalState.SHORTLISTED,
            }
            for p in shown + rest
        ]
        value["shortlist_html"] = render_to_string(
            "voting/ballot_detail.html#shortlist-rows", {"shortlist_rows": rows}
        )
        value["shortlist_n"] = len(rows)
    return value


#: The results, for those the page shows them to (``permissions.can_see_results`` decides
#: whether; this only renders): the manager also gets the shortlist form's rows. Secrecy is
#: the ballot's (in its version and in ``results_for_ballot``), the weighting an input.
ballot_results = Fragment(
    "ballot-results",
    templates=("voting/_results.html", "voting/ballot_detail.html"),
    inputs=("ballot", "equal"),
    scope=_scope,
    version=_version,
    audience=lambda access, ballot, **_: {
        "manager": permissions.can_manage_ballots(access.participant, ballot)
    },
    compute=lambda *, audience, ballot, equal: results_value(
        ballot=ballot, equal=equal, manager=audience["manager"]
    ),
)


def card_labels() -> dict:
    """The vote controls' words (the controls alone need nothing else but the form's URL)."""
    return {
        "label_yes": _("Yes"),
        "label_no": _("No"),
        # Completed by the card's heading through aria-labelledby: "Give a dot to <KPI>".
        "label_give": _("Give a dot to"),
        "label_take": _("Take a dot back from"),
        "label_saved": _("Saved."),
    }


def card_constants(ballot) -> dict:
    """What every card shares, computed once per response instead of once per card."""
    return {
        "vote_url": reverse("voting:vote", args=[ballot.workshop_id, ballot.pk]),
        "detail_base": reverse("kpis:board", args=[ballot.workshop_id]),
    } | card_labels()


def _cards(*, audience, slots, ballot):
    items = selectors.ballot_items(ballot=ballot)
    criteria = selectors.ballot_criteria(ballot=ballot)
    scored = criteria if ballot.method == Method.SCORE else []
    cards = [
        {
            "pid": str(p.pk),
            "proposal": p,
            "slots": slots,
            "scores": [(c, voting_cards.ScoreSlot(slots, p.pk, c.pk)) for c in scored],
        }
        for p in items
    ]
    context = card_constants(ballot) | {
        "workshop": ballot.workshop,
        "ballot": ballot,
        "cards": cards,
        "can_vote": audience["can_vote"],
        "score_range": range(1, 6),
        "csrf_token": slots.slot("csrf"),
    }
    return {
        "html": render_to_string("voting/ballot_detail.html#vote-cards", context),
        "pids": [p.pk for p in items],
        "criteria": [c.pk for c in scored],
        "overall": criteria[0].pk if criteria else None,
    }


#: The phone's cards of an approval, dots or score ballot, keyed by the cards' version (not
#: the votes): slots where the viewer's own votes (``<pid>:<bit>``, ``<pid>:s:<criterion>:<n>``,
#: see ``voting_cards``) and CSRF token (``csrf``) go.
ballot_cards = Fragment(
    "ballot-cards",
    templates=("voting/ballot_detail.html",),
    inputs=("ballot",),
    scope=_scope,
    version=lambda ballot, **_: selectors.cards_version(ballot=ballot),
    audience=lambda access, ballot, **_: {
        "can_vote": ballot.is_open and permissions.is_eligible(access.participant, ballot)
    },
    compute=_cards,
    slots=("csrf", "<pid>:<bit>", "<pid>:s:<criterion>:<n>"),
)


def _board(*, audience, slots, ballot, equal):
    public = audience["results_public"]
    results = (
        results_value(ballot=ballot, equal=equal, manager=False)
        if public
        else {"turnout": selectors.turnout(ballot=ballot)}
    )
    turnout = results["turnout"]
    voted = sum(g.voted for g in turnout)
    eligible = sum(g.eligible for g in turnout)
    context = {
        "workshop": ballot.workshop,
        "ballot": ballot,
        "turnout": turnout,
        "voted": voted,
        "eligible": eligible,
        "turnout_percent": round(100 * voted / eligible) if eligible else 0,
        "results_public": public,
        "equal": equal,
        "results_html": results.get("html", ""),
        "results": results.get("summary"),
        "poll_seconds": BOARD_POLL_SECONDS,
        "weights_query": "&weights=equal" if equal else "",
        "countdown": slots.slot("countdown"),
    }
    return render_to_string("voting/ballot_board.html#board-live", context)


#: The projector board's live part (turnout, results when public): the same for every
#: viewer; the countdown, which moves with the clock, is a slot. Its key is also the ETag of
#: the polled fragment.
ballot_board = Fragment(
    "ballot-board",
    templates=("voting/ballot_board.html", "voting/_results.html"),
    inputs=("ballot", "equal"),
    scope=_scope,
    version=_version,
    audience=lambda access, ballot, **_: {"results_public": permissions.results_public(ballot)},
    compute=_board,
    slots=("countdown",),
)


AGREEMENT_TEMPLATE = "voting/agreement.html"


def _agreement(*, audience, workshop, ballots, sort, projector):
    from . import agreement

    data = agreement.agreement_for_workshop(
        workshop=workshop, actor=None, sort=sort, ballots=list(ballots)
    )
    return render_to_string(
        f"{AGREEMENT_TEMPLATE}#agreement-list",
        {
            "workshop": workshop,
            "projector": projector,
            "flag": selectors.DIVERGENCE_FLAG,
            "agreement": data,
        },
    )


#: Where the room agrees and splits (issue 20): the ranked list, for the rounds whose results
#: the reader may see. Those rounds come from ``permissions.can_see_results``
#: (``agreement.agreement_ballots``) and are both an input and the audience: two readers who
#: may see different rounds never share a key. Each round's version is in the version.
ballot_agreement = Fragment(
    "ballot-agreement",
    templates=(AGREEMENT_TEMPLATE,),
    inputs=("workshop", "ballots", "sort", "projector"),
    scope=lambda workshop, **_: (workshop.organisation_id, workshop.pk),
    version=lambda ballots, **_: "/".join(selectors.ballot_version(ballot=b) for b in ballots),
    audience=lambda access, ballots, **_: {
        "agreement": permissions.can_see_agreement(access.participant, access.workshop),
        "rounds": ",".join(str(b.pk) for b in ballots),
    },
    compute=_agreement,
)
