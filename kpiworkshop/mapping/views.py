"""The Map stage's pages: the map (one card per KPI, edited in place), a KPI's mapping page,
the coverage view for the projector, the audience previews, and the organisation's goals and
audiences.

A card replaces itself: its forms post with htmx and get the card back; without JavaScript
the same forms post and redirect to the KPI's mapping page.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from kpiworkshop.core.htmx import HtmxHttpRequest, error_text, form_error_text, form_errors_from
from kpiworkshop.kpis import permissions as kp
from kpiworkshop.workshops.access import WorkshopAccess, load_workshop

from . import fragments, permissions, selectors, services
from .forms import (
    AudienceForm,
    AudienceLinkForm,
    BreakdownsForm,
    CounterMetricForm,
    GoalForm,
    GoalLinkForm,
    LinkCommentForm,
    MapSettingsForm,
)

COVERAGE_POLL_SECONDS = fragments.COVERAGE_POLL_SECONDS


def _load(request, pk: int) -> WorkshopAccess:
    """The workshop, if its map is open to read (Map stage and after)."""
    access = load_workshop(request, pk)
    if not permissions.map_open(access.workshop):
        raise Http404
    return access


def _can_see_internal(access: WorkshopAccess) -> bool:
    return kp.can_see_internal(access.participant, access.workshop, access.membership)


def _flags(access: WorkshopAccess) -> dict:
    return fragments.flags(access) | {
        "workshop": access.workshop,
        "participant": access.participant,
    }


# --- the map -----------------------------------------------------------------------------------


def _page(request) -> int:
    try:
        page = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), 1000)


@require_GET
def map_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The map, MAP_PAGE cards at a time: "Show more" appends the next ones with htmx, or is a
    plain link to the next page without JavaScript. Everything under the heading is a shared
    fragment (``fragments.map_cards``)."""
    access = _load(request, pk)
    workshop = access.workshop
    if request.htmx and request.htmx.target == "map-audiences":
        return HttpResponse(fragments.map_audiences.get(access, workshop=workshop).html)
    more = bool(request.htmx and request.htmx.target == "map-more")
    body = fragments.map_cards.get(access, workshop=workshop, page=_page(request), more=more).html
    if more:
        return HttpResponse(body)
    return render(request, "mapping/map.html", _flags(access) | {"map_body": body})


def _auto(proposal_id: int) -> str:
    """Field ids unique per KPI: several editors can be open on the map page at once."""
    return f"kpi{proposal_id}-%s"


def _kpi_context(access: WorkshopAccess, proposal_id: int, **forms) -> dict:
    workshop = access.workshop
    rows = selectors.map_rows(
        workshop=workshop,
        proposal_ids=[proposal_id],
        see_internal=_can_see_internal(access),
        detail=True,
    )
    if not rows:
        raise Http404
    context = _flags(access) | {"row": rows[0], "comment_form": LinkCommentForm()}
    if context["can_map"]:
        goals = selectors.goals_for(organisation_id=workshop.organisation_id)
        audiences = selectors.audiences_for(organisation_id=workshop.organisation_id)
        row = rows[0]
        breakdown_initial = {
            d: [b.value for b in row.breakdowns.get(d, [])]
            for d in ("handler", "channel", "identity")
        } | {"request_type": ", ".join(b.value for b in row.breakdowns.get("request_type", []))}
        rev = row.revision
        context |= {
            "goal_form": forms.get("goal_form")
            or GoalLinkForm(goals=goals, auto_id=_auto(proposal_id)),
            "audience_form": forms.get("audience_form")
            or AudienceLinkForm(audiences=audiences, auto_id=_auto(proposal_id)),
            "breakdowns_form": forms.get("breakdowns_form")
            or BreakdownsForm(initial=breakdown_initial, auto_id=_auto(proposal_id)),
            "counter_form": forms.get("counter_form")
            or CounterMetricForm(
                proposals=selectors.counter_metric_choices(
                    workshop=workshop, exclude_id=proposal_id
                ),
                library=selectors.library_for_counter_metric(),
                auto_id=_auto(proposal_id),
                initial={
                    "counter_proposal": rev.counter_metric_proposal_id,
                    "text": "" if rev.counter_metric_proposal_id else rev.counter_metric_text,
                },
            ),
        }
    return context


@require_GET
def kpi_page(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    """A KPI's mapping: the editor for those who map, links and comments for everyone. htmx
    asks for the editor (``#kpi-editor``) or, with ``?card=1``, the map's read-only card."""
    access = _load(request, pk)
    if request.htmx and request.GET.get("card"):
        rows = selectors.map_rows(
            workshop=access.workshop,
            proposal_ids=[proposal_id],
            see_internal=_can_see_internal(access),
        )
        if not rows:
            raise Http404
        return render(request, "mapping/map.html#kpi-card", _flags(access) | {"row": rows[0]})
    context = _kpi_context(access, proposal_id)
    template = "mapping/map_kpi.html"
    if request.htmx:
        template += "#kpi-editor"
    return render(request, template, context)


def _after_change(
    request: HtmxHttpRequest, access: WorkshopAccess, proposal_id: int, *, error: str = "", **forms
) -> HttpResponse:
    """htmx: the editor again (with the error, or the form errors); otherwise a redirect to
    the KPI's page, the message carried over."""
    if request.htmx:
        context = _kpi_context(access, proposal_id, **forms) | {"error": error}
        if not error and not any(f.errors for f in forms.values()):
            context["saved"] = True
        response = render(request, "mapping/map_kpi.html#kpi-editor", context)
        return trigger_client_event(response, "mapChanged") if context.get("saved") else response
    if forms and any(f.errors for f in forms.values()):
        context = _kpi_context(access, proposal_id, **forms) | {"error": error}
        return render(request, "mapping/map_kpi.html", context, status=400)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Saved."))
    return redirect("mapping:kpi", pk=access.workshop.pk, proposal_id=proposal_id)


def _proposal(access: WorkshopAccess, proposal_id: int):
    proposal = selectors.proposal_for_map(workshop=access.workshop, proposal_id=proposal_id)
    if proposal is None:
        raise Http404
    return proposal


def _mapper(access: WorkshopAccess) -> None:
    if not permissions.can_map(access.participant, access.workshop):
        raise PermissionDenied


@require_POST
def goal_link_add(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = _load(request, pk)
    _mapper(access)
    proposal = _proposal(access, proposal_id)
    goals = selectors.goals_for(organisation_id=access.workshop.organisation_id)
    form = GoalLinkForm(request.POST, goals=goals, auto_id=_auto(proposal_id))
    if not form.is_valid():
        return _after_change(request, access, proposal_id, goal_form=form)
    try:
        services.goal_link_set(
            actor=access.participant,
            proposal=proposal,
            goal_id=form.cleaned_data["goal"],
            strength=form.cleaned_data["strength"],
            why=form.cleaned_data["why"],
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        form_errors_from(form, exc)
        return _after_change(request, access, proposal_id, goal_form=form)
    return _after_change(request, access, proposal_id)


@require_POST
def audience_link_add(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = _load(request, pk)
    _mapper(access)
    proposal = _proposal(access, proposal_id)
    audiences = selectors.audiences_for(organisation_id=access.workshop.organisation_id)
    form = AudienceLinkForm(request.POST, audiences=audiences, auto_id=_auto(proposal_id))
    if not form.is_valid():
        return _after_change(request, access, proposal_id, audience_form=form)
    try:
        services.audience_link_set(
            actor=access.participant,
            proposal=proposal,
            audience_id=form.cleaned_data["audience"],
            relation=form.cleaned_data["relation"],
            cadence=form.cleaned_data["cadence"],
            place=form.cleaned_data["place"],
            place_note=form.cleaned_data["place_note"],
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        form_errors_from(form, exc)
        return _after_change(request, access, proposal_id, audience_form=form)
    return _after_change(request, access, proposal_id)


@require_POST
def link_remove(
    request: HtmxHttpRequest, pk: int, proposal_id: int, kind: str, link_id: int
) -> HttpResponse:
    access = _load(request, pk)
    _mapper(access)
    link = selectors.link_get(workshop=access.workshop, kind=kind, link_id=link_id)
    if link is None or link.proposal_id != proposal_id:
        raise Http404
    remove = services.goal_link_remove if kind == "goal" else services.audience_link_remove
    try:
        remove(actor=access.participant, link=link)
    except ValidationError as exc:
        return _after_change(request, access, proposal_id, error=error_text(exc))
    return _after_change(request, access, proposal_id)


@require_POST
def breakdowns_save(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = _load(request, pk)
    _mapper(access)
    proposal = _proposal(access, proposal_id)
    form = BreakdownsForm(request.POST, auto_id=_auto(proposal_id))
    if not form.is_valid():
        return _after_change(request, access, proposal_id, breakdowns_form=form)
    try:
        services.breakdowns_save(
            actor=access.participant, proposal=proposal, values=form.values_by_dimension()
        )
    except ValidationError as exc:
        form_errors_from(form, exc)
        return _after_change(request, access, proposal_id, breakdowns_form=form)
    return _after_change(request, access, proposal_id)


@require_POST
def counter_metric_save(request: HtmxHttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    access = _load(request, pk)
    _mapper(access)
    proposal = _proposal(access, proposal_id)
    form = CounterMetricForm(
        request.POST,
        proposals=selectors.counter_metric_choices(
            workshop=access.workshop, exclude_id=proposal_id
        ),
        library=selectors.library_for_counter_metric(),
        auto_id=_auto(proposal_id),
    )
    if not form.is_valid():
        return _after_change(request, access, proposal_id, counter_form=form)
    try:
        services.counter_metric_set(
            actor=access.participant,
            proposal=proposal,
            counter_proposal_id=form.cleaned_data["counter_proposal"],
            library_slug=form.cleaned_data["library"],
            text=form.cleaned_data["text"],
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        form_errors_from(form, exc)
        return _after_change(request, access, proposal_id, counter_form=form)
    return _after_change(request, access, proposal_id)


@require_POST
def link_comment(
    request: HtmxHttpRequest, pk: int, proposal_id: int, kind: str, link_id: int
) -> HttpResponse:
    access = _load(request, pk)
    link = selectors.link_get(workshop=access.workshop, kind=kind, link_id=link_id)
    if link is None or link.proposal_id != proposal_id:
        raise Http404
    if not permissions.can_comment_on_link(access.participant, access.workshop):
        raise PermissionDenied
    form = LinkCommentForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.link_comment_create(
                actor=access.participant,
                goal_link=link if kind == "goal" else None,
                audience_link=link if kind == "audience" else None,
                stance=form.cleaned_data["stance"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            error = error_text(exc)
    else:
        error = form_error_text(form)
    return _after_change(request, access, proposal_id, error=error)


@require_POST
def link_comment_hide(
    request: HtmxHttpRequest, pk: int, proposal_id: int, comment_id: int
) -> HttpResponse:
    access = _load(request, pk)
    comment = selectors.link_comment_get(
        workshop=access.workshop, proposal_id=proposal_id, comment_id=comment_id
    )
    if comment is None:
        raise Http404
    if not permissions.can_configure(access.participant, access.workshop):
        raise PermissionDenied
    error = ""
    try:
        services.link_comment_hide(
            actor=access.participant, comment=comment, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        error = error_text(exc)
    return _after_change(request, access, proposal_id, error=error)


# --- coverage ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def coverage(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The coverage view. POST (facilitator) changes the overload threshold. htmx polls the
    ``#coverage`` fragment so the projector follows the room."""
    access = _load(request, pk)
    settings_form = None
    if request.method == "POST":
        if not permissions.can_configure(access.participant, access.workshop):
            raise PermissionDenied
        settings_form = MapSettingsForm(request.POST)
        if settings_form.is_valid():
            try:
                services.map_settings_update(
                    actor=access.participant,
                    workshop=access.workshop,
                    act_on_limit=settings_form.cleaned_data["act_on_limit"],
                    driver_limit=settings_form.cleaned_data.get("driver_limit"),
                )
            except ValidationError as exc:
                form_errors_from(settings_form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("mapping:coverage", pk=pk)
    workshop = access.workshop

    shared = fragments.coverage.get(access, workshop=workshop)
    value = {
        "act_on_limit": shared.extra["act_on_limit"],
        "driver_limit": shared.extra["driver_limit"],
    }
    html = shared.html
    status = 400 if settings_form else 200
    if request.htmx and request.htmx.target == "coverage":
        return HttpResponse(html, status=status)
    context = _flags(access) | {"coverage_html": html}
    if context["can_configure"]:
        context["settings_form"] = settings_form or MapSettingsForm(
            initial={
                "act_on_limit": value["act_on_limit"],
                "driver_limit": value.get("driver_limit"),
            }
        )
    return render(request, "mapping/coverage.html", context, status=status)


# --- audiences ---------------------------------------------------------------------------------


@require_GET
def audience_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _load(request, pk)
    context = _flags(access) | {
        "summaries": selectors.audience_summaries(workshop=access.workshop),
        "limit": selectors.act_on_limit(workshop=access.workshop),
    }
    return render(request, "mapping/audience_list.html", context)


@require_GET
def audience_detail(request: HtmxHttpRequest, pk: int, audience_id: int) -> HttpResponse:
    """What an audience sees and acts on: a shared fragment (``fragments.audience_view``)."""
    access = _load(request, pk)
    shared = fragments.audience_view.get(access, workshop=access.workshop, audience_id=audience_id)
    if shared.extra["missing"]:
        raise Http404
    context = _flags(access) | {
        "audience_title": shared.extra["title"],
        "audience_html": shared.html,
    }
    return render(request, "mapping/audience_detail.html", context)


# --- the organisation's goals and audiences ----------------------------------------------------


def _keeper(access: WorkshopAccess) -> None:
    if not permissions.can_manage_goals(access.participant, access.workshop):
        raise PermissionDenied


@require_POST
def defaults_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _load(request, pk)
    services.defaults_add(actor=access.participant, workshop=access.workshop)
    return redirect("mapping:goals", pk)


@require_GET
def goals_page(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = _load(request, pk)
    org_id = access.workshop.organisation_id
    goals = selectors.goals_for(organisation_id=org_id, active_only=False)
    audiences = selectors.audiences_for(organisation_id=org_id, active_only=False)
    context = _flags(access) | {
        "goals": goals,
        "audiences": audiences,
        "defaults_missing": selectors.defaults_missing(goals=goals, audiences=audiences),
    }
    if context["can_manage_goals"]:
        # Two forms on one page: distinct ids, or each label would point at the first form.
        context["goal_form"] = GoalForm(
            parents=[g for g in goals if g.parent_id is None], auto_id="goal-%s"
        )
        context["audience_form"] = AudienceForm(auto_id="audience-%s")
    return render(request, "mapping/goals.html", context)


@require_http_methods(["GET", "POST"])
def goal_edit(request: HtmxHttpRequest, pk: int, goal_id: int | None = None) -> HttpResponse:
    access = _load(request, pk)
    _keeper(access)
    org_id = access.workshop.organisation_id
    goal = None
    if goal_id is not None:
        goal = selectors.goal_get(workshop=access.workshop, goal_id=goal_id)
        if goal is None:
            raise Http404
    parents = [
        g
        for g in selectors.goals_for(organisation_id=org_id)
        if g.parent_id is None and (goal is None or g.pk != goal.pk)
    ]
    initial = (
        {
            "name": goal.name,
            "name_it": goal.name_it,
            "description": goal.description,
            "description_it": goal.description_it,
            "parent": goal.parent_id,
            "order": goal.order,
            "is_active": goal.is_active,
        }
        if goal
        else None
    )
    form = GoalForm(request.POST or None, parents=parents, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.goal_save(
                actor=access.participant,
                workshop=access.workshop,
                goal=goal,
                name=data["name"],
                name_it=data["name_it"],
                description=data["description"],
                description_it=data["description_it"],
                parent_id=data["parent"],
                order=data["order"],
                is_active=data["is_active"],
            )
        except ObjectDoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(reverse("mapping:goals", args=[pk]) + "#goals")
    context = _flags(access) | {"form": form, "goal": goal, "kind": "goal"}
    return render(request, "mapping/goal_edit.html", context, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def audience_edit(
    request: HtmxHttpRequest, pk: int, audience_id: int | None = None
) -> HttpResponse:
    access = _load(request, pk)
    _keeper(access)
    audience = None
    if audience_id is not None:
        audience = selectors.audience_get(workshop=access.workshop, audience_id=audience_id)
        if audience is None:
            raise Http404
    initial = (
        {
            "name": audience.name,
            "name_it": audience.name_it,
            "description": audience.description,
            "description_it": audience.description_it,
            "level": audience.level,
            "order": audience.order,
            "is_active": audience.is_active,
        }
        if audience
        else None
    )
    form = AudienceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.audience_save(
                actor=access.participant,
                workshop=access.workshop,
                audience=audience,
                name=data["name"],
                name_it=data["name_it"],
                description=data["description"],
                description_it=data["description_it"],
                level=data["level"],
                order=data["order"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(reverse("mapping:goals", args=[pk]) + "#audiences")
    context = _flags(access) | {"form": form, "audience": audience, "kind": "audience"}
    return render(request, "mapping/goal_edit.html", context, status=400 if form.is_bound else 200)
