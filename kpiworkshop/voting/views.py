"""Voting pages: the rounds list, the phone ballot, the facilitator's controls and results, and
the projector board polled with conditional requests (ETag → 304)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from kpiworkshop.core.fragments import cached_value
from kpiworkshop.core.htmx import HtmxHttpRequest, form_errors_from
from kpiworkshop.workshops.access import WorkshopAccess, load_workshop

from . import permissions, selectors, services
from .forms import BallotForm, ShortlistForm
from .models import Ballot, Method

BOARD_POLL_SECONDS = 2
#: How long a shared results fragment lives. While a round is open its version (the latest
#: vote time) is stamped before commit, so two votes committing out of order could leave a
#: fragment one vote behind: a few seconds bound that. A closed round's version is exact.
RESULTS_TTL_OPEN = 5
RESULTS_TTL_CLOSED = 300


def _ballot(access: WorkshopAccess, ballot_id: int, *, with_activity: bool = False) -> Ballot:
    ballot = selectors.ballot_get(
        workshop=access.workshop, ballot_id=ballot_id, with_activity=with_activity
    )
    if ballot is None:
        raise Http404
    return ballot


def _results_fragment(
    ballot: Ballot, *, equal: bool, audience: str, items=None, criteria=None, turnout=None
) -> dict:
    """The results markup (``html``) and the proposals in result order (``order``), rendered
    once per ballot version and shared by every viewer of the same ``audience``. The key
    carries the organisation, the ballot, its version, the weighting, the audience and the
    secrecy rule, so it is never stale nor shown across organisations or secrecy rules."""

    def compute() -> dict:
        results = selectors.results_for_ballot(
            ballot=ballot, equal_weight=equal, items=items, criteria_list=criteria, groups=turnout
        )
        html = render_to_string("voting/_results.html", {"ballot": ballot, "results": results})
        return {
            "html": html,
            "order": [row.proposal.pk for row in results.rows],
            # What the page shows around the fragment: the weighting link.
            "summary": {
                "can_weigh_equally": results.can_weigh_equally,
                "equal_weight": results.equal_weight,
            },
        }

    value = cached_value(
        "ballot-results",
        scope=(ballot.workshop.organisation_id, ballot.workshop_id, ballot.pk),
        version=selectors.ballot_version(ballot=ballot),
        audience=f"{audience}:{'secret' if ballot.secret else 'open'}:{int(equal)}",
        compute=compute,
        timeout=RESULTS_TTL_OPEN if ballot.is_open else RESULTS_TTL_CLOSED,
    )
    return value | {"html": mark_safe(value["html"])}  # noqa: S308 - our own template's output


def _messages_of(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", [])) or _("You cannot do that here.")


# --- list and create --------------------------------------------------------------------------


@require_GET
def ballot_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = load_workshop(request, pk)
    context = {
        "workshop": access.workshop,
        "participant": access.participant,
        "ballots": selectors.ballots_for_workshop(workshop=access.workshop),
        "can_manage": permissions.can_manage_ballots(access.participant, access.workshop),
    }
    return render(request, "voting/ballot_list.html", context)


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
    """What every card shares, computed once per response instead of once per card."""
    return {
        "vote_url": reverse("voting:vote", args=[access.workshop.pk, ballot.pk]),
        "detail_base": reverse("kpis:board", args=[access.workshop.pk]),
        "label_yes": _("Yes"),
        "label_no": _("No"),
        # Completed by the card's heading through aria-labelledby: "Give a dot to <KPI>".
        "label_give": _("Give a dot to"),
        "label_take": _("Take a dot back from"),
        "label_saved": _("Saved."),
    }


def _ballot_context(
    request, access: WorkshopAccess, ballot: Ballot, *, with_results: bool = True, **extra
) -> dict:
    participant = access.participant
    items = selectors.ballot_items(ballot=ballot)
    mine = selectors.my_votes(ballot=ballot, participant=participant)
    criteria = selectors.ballot_criteria(ballot=ballot)
    voted = bool(mine) or selectors.has_voted(ballot=ballot, participant=participant)
    can_vote = permissions.can_vote_in(participant, ballot)
    spent = sum(mine.values()) if ballot.method == Method.DOTS else 0
    overall = criteria[0].pk if criteria else None
    cards = []
    for proposal in items:
        cards.append(
            {
                # A string: the template writes it a dozen times, and an int is localised each time.
                "pid": str(proposal.pk),
                "proposal": proposal,
                "value": mine.get((proposal.pk, overall)),
                "dots": range(mine.get((proposal.pk, overall)) or 0),
                "scores": [(c, mine.get((proposal.pk, c.pk))) for c in criteria],
            }
        )
    if ballot.method == Method.RANKING:
        ranked = {pid: v for (pid, _c), v in mine.items()}
        cards.sort(key=lambda c: (ranked.get(c["proposal"].pk, 10_000), items.index(c["proposal"])))
    equal = request.GET.get("weights") == "equal"
    show_results = with_results and permissions.can_see_results(
        participant, ballot, has_voted=voted
    )
    can_manage = permissions.can_manage_ballots(participant, ballot)
    turnout = selectors.turnout(ballot=ballot) if show_results else []
    results = (
        _results_fragment(
            ballot,
            equal=equal,
            audience="manager" if can_manage else "participant",
            items=items,
            criteria=criteria,
            turnout=turnout,
        )
        if show_results
        else None
    )
    shortlist_rows = []
    if results and can_manage:
        rank = {pid: i for i, pid in enumerate(results["order"])}
        shortlist_rows = sorted(items, key=lambda p: rank.get(p.pk, len(rank)))
    context = _card_constants(access, ballot) | {
        "workshop": access.workshop,
        "participant": participant,
        "ballot": ballot,
        "cards": cards,
        "criteria": criteria,
        "score_range": range(1, 6),
        "can_vote": can_vote,
        "is_eligible": permissions.is_eligible(participant, ballot),
        "has_voted": voted,
        "remaining": ballot.dot_budget - spent,
        "can_manage": can_manage,
        "show_results": show_results,
        "results_public": permissions.results_public(ballot),
        "equal": equal,
        "results_html": results["html"] if results else "",
        "results": results["summary"] if results else None,
        "turnout": turnout,
        "voters": sum(g.voted for g in turnout),
        "shortlist_rows": shortlist_rows,
        "reasons": selectors.reasons_for_ballot(ballot=ballot)
        if show_results and ballot.reason_required
        else None,
        "individual": selectors.individual_votes(ballot=ballot)
        if with_results and permissions.can_see_individual_votes(participant, ballot)
        else None,
    }
    context["phase_key"] = _phase_key(ballot)
    return context | extra


@require_GET
def ballot_detail(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    access = load_workshop(request, pk)
    ballot = _ballot(access, ballot_id, with_activity=True)
    return render(request, "voting/ballot_detail.html", _ballot_context(request, access, ballot))


def _int(value, default=None):
    """A posted integer, or ``default`` for anything else (including numbers too large for
    any database column)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if abs(number) < 2**31 else default


@require_POST
def vote_cast(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    """One tap: approval yes/no, one dot more or less, or a score. htmx gets the card back
    (and a ``voteCast`` event with the dots left); a plain form post gets the page."""
    access = load_workshop(request, pk)
    ballot = _ballot(access, ballot_id)
    proposal_id = _int(request.POST.get("proposal"))
    error = None
    remaining = None
    try:
        if proposal_id is None:
            raise ValidationError(_("Choose a proposal."))
        if ballot.method == Method.SCORE:
            # A card posts every criterion it has a score for.
            for criterion in selectors.ballot_criteria(ballot=ballot):
                score = _int(request.POST.get(f"score-{criterion.pk}"))
                if score is not None:
                    services.vote_cast(
                        actor=access.participant,
                        ballot=ballot,
                        proposal_id=proposal_id,
                        criterion_id=criterion.pk,
                        value=score,
                        reason=request.POST.get("reason", ""),
                    )
        else:
            value = _int(request.POST.get("value"))
            if value is None:
                raise ValidationError(_("Choose a value."))
            remaining = services.vote_cast(
                actor=access.participant,
                ballot=ballot,
                proposal_id=proposal_id,
                value=value,
                reason=request.POST.get("reason", ""),
            )
    except (ValidationError, PermissionDenied) as exc:
        error = _messages_of(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Vote saved."))
        return redirect(reverse("voting:detail", args=[pk, ballot_id]) + f"#card-{proposal_id}")
    if error is None and ballot.method != Method.SCORE:
        # The value just saved is all the controls need: no query to draw them again.
        value = _int(request.POST.get("value"))
        context = _card_constants(access, ballot) | {
            "workshop": access.workshop,
            "ballot": ballot,
            "can_vote": True,
            "card": {"pid": str(proposal_id), "value": value, "dots": range(value or 0)},
        }
    else:
        context = _card_context(access, ballot, proposal_id)
        if context is None:
            return HttpResponse(error or "", status=400)
    context |= {"card_error": error, "card_saved": error is None}
    # Keep what the person typed as their reason: the controls are redrawn after every tap.
    context["card"]["reason"] = request.POST.get("reason", "")[:500]
    response = render(request, "voting/ballot_detail.html#vote-controls", context)
    if error is None and ballot.method == Method.DOTS:
        trigger_client_event(response, "voteCast", {"remaining": remaining})
    elif error is None:
        trigger_client_event(response, "voteCast", {})
    return response


def _card_context(access: WorkshopAccess, ballot: Ballot, proposal_id: int | None) -> dict | None:
    """One card's controls from the database: after an error, and for scores."""
    if proposal_id is None or not ballot.items.filter(proposal_id=proposal_id).exists():
        return None
    mine = selectors.my_votes(ballot=ballot, participant=access.participant)
    criteria = selectors.ballot_criteria(ballot=ballot) if ballot.method == Method.SCORE else []
    value = next((v for (p, _c), v in mine.items() if p == proposal_id), None)
    return _card_constants(access, ballot) | {
        "workshop": access.workshop,
        "ballot": ballot,
        "can_vote": permissions.can_vote_in(access.participant, ballot),
        "score_range": range(1, 6),
        "card": {
            "pid": str(proposal_id),
            "value": value,
            "dots": range(value or 0),
            "scores": [(c, mine.get((proposal_id, c.pk))) for c in criteria],
        },
    }


@require_POST
def ranking_save(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    """Move one proposal up or down (tap or keyboard), or save a whole order."""
    access = load_workshop(request, pk)
    ballot = _ballot(access, ballot_id)
    current = [i for i in (_int(x) for x in request.POST.getlist("order")) if i is not None]
    error = None
    try:
        move = request.POST.get("move", "")
        if move:
            direction, _sep, pid = move.partition(":")
            services.ranking_move(
                actor=access.participant,
                ballot=ballot,
                current=current,
                proposal_id=_int(pid, -1),
                offset=-1 if direction == "up" else 1,
                reason=request.POST.get("reason", ""),
            )
        else:
            services.ranking_submit(
                actor=access.participant,
                ballot=ballot,
                order=current,
                reason=request.POST.get("reason", ""),
            )
    except (ValidationError, PermissionDenied) as exc:
        error = _messages_of(exc)
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
        trigger_client_event(response, "voteCast", {})
    return response


def _phase_key(ballot: Ballot) -> str:
    """What decides which version of the ballot page a person sees."""
    return f"{ballot.state}-{int(ballot.is_open)}-{int(ballot.revealed_at is not None)}"


@require_GET
def ballot_status(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    """Polled by the ballot page: 204 while the round is as the page shows it; when it opens,
    closes or its results are revealed, htmx reloads the page (HX-Refresh). Votes are saved
    as they are made, so the reload loses nothing."""
    access = load_workshop(request, pk)
    ballot = _ballot(access, ballot_id)
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
        messages.error(request, _messages_of(exc))
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
    if not permissions.can_manage_ballots(access.participant, ballot):
        raise PermissionDenied
    results = selectors.results_for_ballot(
        ballot=ballot, equal_weight=request.POST.get("weights") == "equal"
    )
    form = ShortlistForm(request.POST, ballot_item_ids=[r.proposal.pk for r in results.rows])
    ids: list[int] = []
    remove = request.POST.get("action") == "remove"
    if form.is_valid():
        ids = list(form.cleaned_data["proposals"])
        # "The top N" only shortlists; taking off always means the ticked ones.
        if form.cleaned_data["top"] and not remove:
            ids = [r.proposal.pk for r in results.rows[: form.cleaned_data["top"]]]
    try:
        if remove:
            n = services.ballot_unshortlist(
                actor=access.participant, ballot=ballot, proposal_ids=ids
            )
        else:
            n = services.ballot_shortlist(actor=access.participant, ballot=ballot, proposal_ids=ids)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
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


def _board_context(request, access: WorkshopAccess, ballot: Ballot) -> dict:
    public = permissions.results_public(ballot)
    equal = request.GET.get("weights") == "equal"
    turnout = selectors.turnout(ballot=ballot)
    results = (
        _results_fragment(ballot, equal=equal, audience="board", turnout=turnout)
        if public
        else None
    )
    voted = sum(g.voted for g in turnout)
    eligible = sum(g.eligible for g in turnout)
    return {
        "workshop": access.workshop,
        "ballot": ballot,
        "turnout": turnout,
        "voted": voted,
        "eligible": eligible,
        "turnout_percent": round(100 * voted / eligible) if eligible else 0,
        "results_public": public,
        "equal": equal,
        "results_html": results["html"] if results else "",
        "results": results["summary"] if results else None,
        "poll_seconds": BOARD_POLL_SECONDS,
        "weights_query": "&weights=equal" if equal else "",
    }


@require_GET
def ballot_board(request: HtmxHttpRequest, pk: int, ballot_id: int) -> HttpResponse:
    """The projector view. Its live part is polled every 2 s with If-None-Match: when nothing
    changed the answer is an empty 304 after two small queries."""
    access = load_workshop(request, pk)
    ballot = selectors.ballot_get(workshop=access.workshop, ballot_id=ballot_id, with_activity=True)
    if ballot is None:
        raise Http404
    if request.GET.get("fragment") != "live":
        return render(request, "voting/ballot_board.html", _board_context(request, access, ballot))
    etag = '"{}"'.format(
        selectors.board_etag(
            ballot=ballot, extra=f"{get_language()}:{request.GET.get('weights', '')}"
        )
    )
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = render(
            request, "voting/ballot_board.html#board-live", _board_context(request, access, ballot)
        )
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Cookie, Accept-Language, HX-Request"
    return response
