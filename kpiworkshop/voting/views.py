"""Voting pages: the rounds list, the phone ballot, the facilitator's controls and results, and
the projector board polled with conditional requests (ETag → 304)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from kpiworkshop.core.htmx import HtmxHttpRequest, error_text, form_errors_from, message_error
from kpiworkshop.core.templatetags.kpiw import mmss
from kpiworkshop.workshops.access import WorkshopAccess, guest_key_of, load_workshop

from . import agreement, fragments, permissions, revisions, selectors, services
from .forms import BallotForm, RankingForm, ShortlistForm, VoteForm
from .models import Ballot, Method
from .templatetags import voting_cards

BOARD_POLL_SECONDS = fragments.BOARD_POLL_SECONDS


def _ballot(access: WorkshopAccess, ballot_id: int, *, with_activity: bool = False) -> Ballot:
    ballot = selectors.ballot_get(
        workshop=access.workshop, ballot_id=ballot_id, with_activity=with_activity
    )
    if ballot is None:
        raise Http404
    return ballot


def _results_fragment(access: WorkshopAccess, ballot: Ballot, *, equal: bool) -> dict:
    """The shared results (``fragments.ballot_results``): markup, turnout, and for the
    manager the shortlist rows. On a hit it costs no query."""
    shared = fragments.ballot_results.get(access, ballot=ballot, equal=equal)
    value = shared.extra | {"html": shared.html}
    return value | {
        key: mark_safe(value[key])  # noqa: S308 - our own templates' output
        for key in ("turnout_html", "shortlist_html")
        if key in value
    }


# --- list and create --------------------------------------------------------------------------


@require_GET
def ballot_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    context = {
        "workshop": access.workshop,
        "participant": access.participant,
        "ballots": selectors.ballots_for_workshop(workshop=access.workshop),
        "can_manage": permissions.can_manage_ballots(access.participant, access.workshop),
        "can_see_agreement": permissions.can_see_agreement(access.participant, access.workshop),
    }
    return render(request, "voting/ballot_list.html", context)


@require_GET
def agreement_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Where the room agrees and splits (issue 20): every KPI ranked by agreement across the
    stakeholder groups, or by division; ``?projector=1`` for the room's screen. The list is
    rendered once per set of rounds the reader may see (each at its version: votes, voters,
    proposals, participants, state), order, projector mode and language, and shared through
    the cache by everyone who sees the same rounds; it holds nothing personal."""
    access = load_workshop(request, pk)
    if not permissions.can_see_agreement(access.participant, access.workshop):
        raise PermissionDenied
    sort = request.GET.get("sort", "")[:20]
    sort = sort if sort in agreement.SORTS else "agreement"
    projector = request.GET.get("projector") == "1"
    ballots = agreement.agreement_ballots(workshop=access.workshop, actor=access.participant)
    context = {
        "workshop": access.workshop,
        "projector": projector,
        "flag": selectors.DIVERGENCE_FLAG,
    }
    shared = fragments.ballot_agreement.get(
        access, workshop=access.workshop, ballots=tuple(ballots), sort=sort, projector=projector
    )
    context["agreement_list"] = shared.html
    context["sort"] = sort
    if (
        request.htmx
        and request.htmx.target == "agreement-list"
        and not request.htmx.history_restore_request
    ):
        response = HttpResponse(context["agreement_list"])
    else:
        response = render(request, fragments.AGREEMENT_TEMPLATE, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@require_http_methods(["GET", "POST"])
def ballot_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    if not permissions.can_manage_ballots(access.participant, access.workshop):
        raise PermissionDenied
    form = BallotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ballot = services.ballot_create(
                actor=access.participant, workshop=access.workshop, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Round created. Open it when the room is ready."))
            return redirect("voting:detail", pk=pk, ballot_id=ballot.pk)
    return render(request, "voting/ballot_create.html", {"workshop": access.workshop, "form": form})


# --- the ballot page --------------------------------------------------------------------------


def _card_constants(access: WorkshopAccess, ballot: Ballot) -> dict:
    return fragments.card_constants(ballot)


def _card_labels() -> dict:
    return fragments.card_labels()


def _vote_cards(request, access: WorkshopAccess, ballot: Ballot, mine: dict) -> SafeString:
    """The cards of an approval, dots or score ballot with this person's votes on them: the
    shared card list (``fragments.ballot_cards``) with this person's bits and CSRF token
    filled into its slots. ``mine`` is ``{(proposal_id, criterion_id): value}``."""
    method = ballot.method
    shared = fragments.ballot_cards.get(access, ballot=ballot)
    values = {"csrf": get_token(request)}
    overall = shared.extra["overall"]
    for pid in shared.extra["pids"]:
        values |= voting_cards.card_slot_values(method, pid, mine.get((pid, overall)))
        for cid in shared.extra["criteria"]:
            given = mine.get((pid, cid))
            for n in range(1, 6):
                values[voting_cards.score_slot_name(pid, cid, n)] = " checked" if given == n else ""
    return shared.fill(values)


def _ballot_context(
    request,
    access: WorkshopAccess,
    ballot: Ballot,
    *,
    with_results: bool = True,
    with_cards: bool = True,
    **extra,
) -> dict:
    """Everything the ballot page shows. What is the same for everyone (the card list, the
    results, the turnout) comes from shared fragments; per request it costs the viewer's own
    votes (one query) and, only when a part is shown, its query: a ranking's cards, the
    reasons, an open ballot's individual votes."""
    participant = access.participant
    mine = selectors.my_votes(ballot=ballot, participant=participant)
    voted = getattr(ballot, "viewer_voted", None)  # read with the ballot (ballot_detail)
    if voted is None:
        voted = selectors.has_voted(ballot=ballot, participant=participant)
    has_voted = bool(mine) or bool(voted)
    is_eligible = permissions.is_eligible(participant, ballot)
    can_vote = ballot.is_open and is_eligible
    cards, cards_html = [], ""
    if ballot.method == Method.RANKING and (is_eligible or not with_results):
        ranking = selectors.ballot_cards(
            ballot=ballot, participant=participant, mine=mine, voted=has_voted
        )
        cards = ranking.cards
    elif with_cards and is_eligible and not ballot.is_closed:
        cards_html = _vote_cards(request, access, ballot, mine)
    equal = request.GET.get("weights") == "equal"
    show_results = with_results and permissions.can_see_results(
        participant, ballot, has_voted=has_voted
    )
    show_individual = with_results and permissions.can_see_individual_votes(participant, ballot)
    can_manage = permissions.can_manage_ballots(participant, ballot)
    results = _results_fragment(access, ballot, equal=equal) if show_results else None
    turnout = results["turnout"] if results else []
    context = _card_constants(access, ballot) | {
        "workshop": access.workshop,
        "participant": participant,
        "ballot": ballot,
        "cards": cards,
        "cards_html": cards_html,
        "score_range": range(1, 6),
        "can_vote": can_vote,
        "is_eligible": is_eligible,
        "has_voted": has_voted,
        # Strings: a number is localised each time the template writes it.
        "remaining": str(selectors.dots_left(ballot=ballot, mine=mine)),
        "dot_budget": str(ballot.dot_budget),
        "can_manage": can_manage,
        "show_results": show_results,
        "results_public": permissions.results_public(ballot),
        "equal": equal,
        "results_html": results["html"] if results else "",
        "turnout_html": results["turnout_html"] if results else "",
        "results": results["summary"] if results else None,
        "turnout": turnout,
        "voters": sum(g.voted for g in turnout),
        "shortlist_html": results.get("shortlist_html", "") if results and can_manage else "",
        "shortlist_top": str(min(5, results.get("shortlist_n", 0))) if results else "0",
        "reasons": selectors.reasons_for_ballot(ballot=ballot)
        if show_results and ballot.reason_required
        else None,
        "individual": selectors.individual_votes(ballot=ballot) if show_individual else None,
        "phase_key": _phase_key(ballot),
        # KPIs that changed since this person voted on them (issue 20): none, no query.
        "changed": revisions.changed_since_vote(ballot=ballot, participant=participant, mine=mine)
        if can_vote
        else [],
    }
    return context | extra


@require_GET
def ballot_detail(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    access, ballot = _page_access(request, pk, ballot_id)
    template = "voting/ballot_detail.html"
    fragment = request.htmx and request.GET.get("fragment") == "results"
    if fragment:
        template += "#results-section"  # after a person's first vote (voteCast)
    return render(
        request, template, _ballot_context(request, access, ballot, with_cards=not fragment)
    )


def _page_access(request, pk: int, ballot_id: int) -> tuple[WorkshopAccess, Ballot]:
    """The ballot page's viewer and ballot in one query (``selectors.ballot_page_read``: the
    participant with the workshop, the ballot with its activity, whether and what the viewer
    voted); anyone who has not joined the workshop goes the usual way (a member's access and
    the ballot, or 404)."""
    found = selectors.ballot_page_read(
        workshop_id=pk, ballot_id=ballot_id, user=request.user, guest_key=guest_key_of(request)
    )
    if found is None:
        access = load_workshop(request, pk)
        return access, _ballot(access, ballot_id, with_activity=True)
    participant, ballot = found
    if ballot is None:
        raise Http404
    return WorkshopAccess(participant.workshop, participant, None), ballot


def _voting_access(request, pk: int, ballot_id: int) -> tuple[WorkshopAccess, Ballot]:
    """The voter and the ballot in one query (the vote's hot path); anyone who has not joined
    the workshop goes the usual way (a member's access, or 404)."""
    found = selectors.voter_and_ballot(
        workshop_id=pk, ballot_id=ballot_id, user=request.user, guest_key=guest_key_of(request)
    )
    if found is None:
        access = load_workshop(request, pk)
        return access, _ballot(access, ballot_id)
    participant, ballot = found
    if ballot is None:
        raise Http404
    return WorkshopAccess(participant.workshop, participant, None), ballot


@require_POST
def vote_cast(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    """One tap: approval yes/no, one dot more or less, or a score card. htmx gets the card's
    controls back and a ``voteCast`` event (with the dots left for dot voting); a plain form
    post gets the page."""
    access, ballot = _voting_access(request, pk, ballot_id)
    form = VoteForm(request.POST, method=ballot.method)
    error = remaining = None
    try:
        if not form.is_valid():
            raise ValidationError(form.error_text())
        data = form.cleaned_data
        remaining = services.vote_submit(
            actor=access.participant,
            ballot=ballot,
            proposal_id=data["proposal"],
            value=data.get("value"),
            scores=data.get("scores"),
            reason=data["reason"],
        )
    except (ValidationError, PermissionDenied) as exc:
        error = error_text(exc)
    proposal_id = form.cleaned_data.get("proposal") if hasattr(form, "cleaned_data") else None
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Vote saved."))
        anchor = f"#card-{proposal_id}" if proposal_id else ""
        return redirect(reverse("voting:detail", args=[pk, ballot_id]) + anchor)
    # The controls post back to this very address (it is the vote URL: the router matched it),
    # so it needs no reverse() on the hot path.
    context = _card_labels() | {
        "vote_url": request.path,
        "workshop": access.workshop,
        "ballot": ballot,
    }
    if error is None and ballot.method != Method.SCORE:
        # The value just saved is all the controls need: no query to draw them again.
        value = form.cleaned_data["value"]
        context |= {
            "can_vote": True,
            "card": {"pid": str(proposal_id), "value": value, "dots": range(value or 0)},
        }
    else:
        card = (
            selectors.ballot_card(
                ballot=ballot, participant=access.participant, proposal_id=proposal_id
            )
            if proposal_id
            else None
        )
        if card is None:
            return HttpResponse(error or "", status=400)
        context |= {
            "card": card,
            "can_vote": permissions.can_vote_in(access.participant, ballot),
            "score_range": range(1, 6),
        }
    context |= {"card_error": error, "card_saved": error is None}
    # Keep what the person typed as their reason: the controls are redrawn after every tap.
    context["card"]["reason"] = request.POST.get("reason", "")[:500]
    response = render(request, "voting/ballot_detail.html#vote-controls", context)
    if error is None:
        # Heard by the dots counter (the dots left) and, until the first vote, by the results
        # section (hx-trigger="voteCast from:body").
        trigger_client_event(response, "voteCast", {"remaining": remaining})
    return response


@require_POST
def ranking_save(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    """Move one proposal up or down (tap or keyboard), or save a whole order."""
    access = load_workshop(request, pk)
    ballot = _ballot(access, ballot_id)
    form = RankingForm(request.POST)
    error = None
    try:
        if not form.is_valid():
            raise ValidationError(form.error_text())
        data = form.cleaned_data
        if data["move_proposal"] is not None:
            services.ranking_move(
                actor=access.participant,
                ballot=ballot,
                current=data["order"],
                proposal_id=data["move_proposal"],
                offset=data["move_offset"],
                reason=data["reason"],
            )
        else:
            services.ranking_submit(
                actor=access.participant, ballot=ballot, order=data["order"], reason=data["reason"]
            )
    except (ValidationError, PermissionDenied) as exc:
        error = error_text(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Ranking saved."))
        return redirect("voting:detail", pk=pk, ballot_id=ballot_id)
    context = _ballot_context(
        request, access, ballot, with_results=False, ranking_error=error, ranking_saved=not error
    )
    response = render(request, "voting/ballot_detail.html#ranking", context)
    if error is None:
        trigger_client_event(response, "voteCast", {})  # the results section follows it
    return response


def _phase_key(ballot: Ballot) -> str:
    """What decides which version of the ballot page a person sees."""
    return f"{ballot.state}-{int(ballot.is_open)}-{int(ballot.revealed_at is not None)}"


@require_GET
def ballot_status(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    """Polled by the ballot page: 204 while the round is as the page shows it; when it opens,
    closes or its results are revealed, htmx reloads the page (HX-Refresh). Votes are saved
    as they are made, so the reload loses nothing. Every phone in the room sends it every
    few seconds: the participant and the ballot come from the vote's one prepared statement
    (``_voting_access``), and the unchanged answer is an empty 204."""
    _access, ballot = _voting_access(request, pk, ballot_id)
    if not request.htmx:
        return redirect("voting:detail", pk=pk, ballot_id=ballot_id)
    if request.GET.get("k") == _phase_key(ballot):
        return HttpResponse(status=204)
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response


# --- facilitator actions ----------------------------------------------------------------------


def _facilitator_action(request, pk: int, ballot_id: int, service, done: str) -> HttpResponse:
    access = load_workshop(request, pk)
    ballot = _ballot(access, ballot_id)
    try:
        service(actor=access.participant, ballot=ballot)
    except ValidationError as exc:
        message_error(request, exc)
    else:
        messages.success(request, done)
    return redirect("voting:detail", pk=pk, ballot_id=ballot_id)


@require_POST
def ballot_open(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    return _facilitator_action(
        request, pk, ballot_id, services.ballot_open, _("The round is open.")
    )


@require_POST
def ballot_close(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    return _facilitator_action(
        request, pk, ballot_id, services.ballot_close, _("The round is closed.")
    )


@require_POST
def ballot_reveal(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    return _facilitator_action(
        request, pk, ballot_id, services.ballot_reveal, _("Results are now shown to everyone.")
    )


@require_POST
def ballot_shortlist(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    ballot = _ballot(access, ballot_id)
    form = ShortlistForm(request.POST)
    remove = request.POST.get("action") == "remove"
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose at least one proposal of this round."))
        ids = form.cleaned_data["proposals"]
        if remove:
            # "The top N" only shortlists; taking off always means the ticked ones.
            n = services.ballot_unshortlist(
                actor=access.participant, ballot=ballot, proposal_ids=ids
            )
        else:
            n = services.ballot_shortlist(
                actor=access.participant,
                ballot=ballot,
                proposal_ids=ids,
                top=form.cleaned_data["top"],
                equal_weight=request.POST.get("weights") == "equal",
            )
    except ValidationError as exc:
        message_error(request, exc)
    else:
        text = (
            ngettext(
                "%(n)d proposal taken off the shortlist.",
                "%(n)d proposals taken off the shortlist.",
                n,
            )
            if remove
            else ngettext("%(n)d proposal shortlisted.", "%(n)d proposals shortlisted.", n)
        )
        messages.success(request, text % {"n": n})
    return redirect("voting:detail", pk=pk, ballot_id=ballot_id)


# --- projector board ------------------------------------------------------------------------


def _board_live(request, access: WorkshopAccess, ballot: Ballot) -> SafeString:
    """The board's live part (``fragments.ballot_board``) with the countdown filled in."""
    shared = fragments.ballot_board.get(access, ballot=ballot, equal=_equal(request))
    return shared.fill({"countdown": mmss(ballot.seconds_left)})


def _equal(request) -> bool:
    return request.GET.get("weights") == "equal"


@require_GET
def ballot_board(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    """The projector view. Its live part is polled every 2 s with If-None-Match: when nothing
    changed the answer is an empty 304 after two small queries; when something did, the
    shared rendering of the live part (see ``_board_live``)."""
    access = load_workshop(request, pk)
    ballot = selectors.ballot_get(workshop=access.workshop, ballot_id=ballot_id, with_activity=True)
    if ballot is None:
        raise Http404
    if request.GET.get("fragment") != "live":
        context = {
            "workshop": access.workshop,
            "ballot": ballot,
            "board_live": _board_live(request, access, ballot),
        }
        return render(request, "voting/ballot_board.html", context)
    # The ETag is the live fragment's own key: it varies on exactly what the markup does.
    key = fragments.ballot_board.key(access, ballot=ballot, equal=_equal(request))
    etag = '"{}"'.format(key.rsplit(":", 1)[-1])
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(_board_live(request, access, ballot))
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Cookie, Accept-Language, HX-Request"
    return response


@require_POST
def vote_reconfirm(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    """Keep my vote on a KPI that changed since I voted (issue 20): one tap. htmx gets the
    "changed since your vote" section back; a plain form post gets the page."""
    access = load_workshop(request, pk)
    ballot = _ballot(access, ballot_id)
    error = None
    raw = request.POST.get("proposal", "")
    proposal_id = int(raw) if raw.isdigit() and len(raw) <= 18 else 0
    try:
        revisions.vote_reconfirm(actor=access.participant, ballot=ballot, proposal_id=proposal_id)
    except (ValidationError, PermissionDenied) as exc:
        error = error_text(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Your vote is kept for the current version."))
        return redirect("voting:detail", pk=pk, ballot_id=ballot_id)
    mine = selectors.my_votes(ballot=ballot, participant=access.participant)
    context = {
        "workshop": access.workshop,
        "ballot": ballot,
        "changed": revisions.changed_since_vote(
            ballot=ballot, participant=access.participant, mine=mine
        )
        if permissions.can_vote_in(access.participant, ballot)
        else [],
        "reconfirmed": error is None,
        "reconfirm_error": error,
    }
    response = render(request, "voting/ballot_detail.html#changed-since-vote", context)
    if error is None:
        trigger_client_event(response, "voteCast", {})  # the results section follows it
    return response
