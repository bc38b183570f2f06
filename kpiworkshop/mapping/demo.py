"""Demo data of the Map stage for ``seed_demo``: the organisation's default goals and
audiences, and a workshop in the Map stage, mapped by a manager and a supervisor with
deliberate gaps so the coverage view has something to show.

The demo had no workshop in Map, and moving the voting one would take its live round away, so
this adds one ("Quality and resolution KPIs") whose shortlist comes from the KPI library.
Idempotent: a Map workshop that already has links is left alone.
"""

from django.db import transaction

from kpiworkshop.accounts.models import Membership, Organisation, Role
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.kpis.models import LibraryKPI, Proposal, ProposalState
from kpiworkshop.workshops.demo import stage_during
from kpiworkshop.workshops.models import (
    Invitation,
    Participant,
    Stage,
    Workshop,
    new_guest_key,
)

from . import services
from .models import Audience, BusinessGoal, GoalLink

TITLE = "Quality and resolution KPIs"
PURPOSE = (
    "Tie the shortlisted quality KPIs to the business results they serve and decide who sees "
    "them, who acts on them and who is accountable."
)

#: library slug -> (primary goal, secondary goals, [(audience, relation, cadence, place)],
#:                  breakdowns, keep the library's counter-metric)
PLAN = {
    "first-contact-resolution": (
        "cost",
        ["loyalty"],
        [
            ("agents", "sees", "daily", "dashboard"),
            ("team_leaders", "sees", "daily", "dashboard"),
            ("team_leaders", "acts", "weekly", "team_review"),
            ("cc_managers", "accountable", "monthly", "report"),
        ],
        {"channel": ["voice", "chat"], "handler": ["inhouse_agent", "outsourced_agent"]},
        True,
    ),
    "repeat-contact-rate-digital": (
        "cost",
        [],
        [
            ("team_leaders", "acts", "weekly", "team_review"),
            ("digital", "accountable", "monthly", "report"),
        ],
        {"channel": ["chat", "email"], "identity": ["registered", "unidentified"]},
        True,
    ),
    "chatbot-escalation-rate": (
        "selfcare",
        [],
        [
            ("digital", "acts", "weekly", "team_review"),
            ("team_leaders", "acts", "weekly", "team_review"),
        ],
        {"handler": ["chatbot", "chatbot_agent"]},
        True,
    ),
    "csat": (
        "loyalty",
        ["churn"],
        [
            ("agents", "sees", "daily", "dashboard"),
            ("team_leaders", "acts", "weekly", "team_review"),
            ("cx_leadership", "accountable", "quarterly", "report"),
        ],
        {"channel": ["voice", "chat", "email"]},
        True,
    ),
    "average-handling-time": (
        "",  # deliberately serves no goal yet
        [],
        [
            ("planning", "sees", "realtime", "wallboard"),
            ("team_leaders", "acts", "daily", "wallboard"),
        ],
        {},
        False,  # and has no counter-metric yet
    ),
    "cost-per-contact": (
        "cost",
        [],
        [("team_leaders", "acts", "monthly", "report")],
        {},
        False,
    ),
    "enps": (
        "employee",
        [],
        [
            ("team_leaders", "acts", "monthly", "team_review"),
            ("cc_managers", "accountable", "quarterly", "report"),
        ],
        {},
        True,
    ),
    "schedule-adherence": (
        "employee",
        [],
        [("team_leaders", "acts", "daily", "dashboard")],
        {},
        True,
    ),
    "complaint-rate": (
        "risk",
        [],
        [("team_leaders", "acts", "weekly", "team_review")],
        {"identity": ["registered"]},
        True,
    ),
}


def _member(organisation: Organisation, role: str):
    m = (
        Membership.objects.filter(organisation=organisation, role=role, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return m.user if m else None


def _workshop(organisation: Organisation) -> Workshop | None:
    workshop = Workshop.objects.filter(organisation=organisation, stage=Stage.MAP).first()
    if workshop is not None:
        return workshop
    facilitator = _member(organisation, Role.FACILITATOR)
    if facilitator is None:
        return None
    workshop, _ = Workshop.objects.get_or_create(
        organisation=organisation,
        title=TITLE,
        defaults={"purpose": PURPOSE, "stage": Stage.MAP, "created_by": facilitator},
    )
    return workshop


def _people(workshop: Workshop) -> dict[str, Participant]:
    people = {}
    for role in (Role.FACILITATOR, Role.MANAGER, Role.SUPERVISOR, Role.LEADERSHIP):
        user = _member(workshop.organisation, role)
        if user is None:
            continue
        people[role], _ = Participant.objects.get_or_create(
            workshop=workshop, user=user, defaults={"display_name": str(user), "role": role}
        )
    for role, name in ((Role.AGENT, "Giulia (agent)"), (Role.CUSTOMER, "Paolo (customer)")):
        person = Participant.objects.filter(workshop=workshop, display_name=name).first()
        if person is None:
            person = Participant.objects.create(
                workshop=workshop, guest_key=new_guest_key(), display_name=name, role=role
            )
        people[role] = person
    return people


def _shortlist(workshop: Workshop, author: Participant) -> dict[str, Proposal]:
    found = {}
    with stage_during(workshop, Stage.PROPOSE):
        for slug in PLAN:
            library_kpi = LibraryKPI.objects.filter(slug=slug).first()
            if library_kpi is None:
                continue
            definition = kpi_services.library_definition(library_kpi=library_kpi, language="en")
            if not PLAN[slug][4]:
                definition["counter_metric_text"] = ""
            if slug == "average-handling-time":
                definition["purposes"] = ["control"]  # the seeds' warning, on purpose
            found[slug] = kpi_services.proposal_create(
                actor=author, workshop=workshop, definition=definition, library_kpi=library_kpi
            )
    Proposal.objects.filter(pk__in=[p.pk for p in found.values()]).update(
        state=ProposalState.SHORTLISTED
    )
    return found


@transaction.atomic
def demo_seed(*, organisation: Organisation) -> int:
    """Default goals and audiences, and the Map workshop mapped. Returns the links made."""
    services.defaults_ensure(organisation=organisation)
    workshop = _workshop(organisation)
    if workshop is None:
        return 0
    people = _people(workshop)
    if Role.MANAGER not in people or Role.SUPERVISOR not in people:
        return 0
    if GoalLink.objects.filter(proposal__workshop=workshop).exists():
        _tree_seed(workshop, people)
        return 0
    proposals = {
        p.library_kpi.slug: p
        for p in Proposal.objects.filter(workshop=workshop, library_kpi__isnull=False)
        .select_related("library_kpi")
        .exclude(state=ProposalState.WITHDRAWN)
    } or _shortlist(workshop, people[Role.MANAGER])
    goals = {g.key: g for g in BusinessGoal.objects.filter(organisation=organisation)}
    audiences = {a.key: a for a in Audience.objects.filter(organisation=organisation)}
    made = 0
    for i, (slug, (primary, secondary, links, breakdowns, _c)) in enumerate(PLAN.items()):
        proposal = proposals.get(slug)
        if proposal is None:
            continue
        # The manager maps on a laptop, the supervisor on a phone: half each.
        actor = people[Role.MANAGER] if i % 2 == 0 else people[Role.SUPERVISOR]
        if primary in goals:
            services.goal_link_set(
                actor=actor,
                proposal=proposal,
                goal_id=goals[primary].pk,
                strength="primary",
                why="Fewer repeat contacts cost less and annoy fewer customers."
                if primary == "cost"
                else "",
            )
            made += 1
        for key in secondary:
            if key in goals:
                services.goal_link_set(
                    actor=actor, proposal=proposal, goal_id=goals[key].pk, strength="secondary"
                )
                made += 1
        for key, relation, cadence, place in links:
            if key in audiences:
                services.audience_link_set(
                    actor=actor,
                    proposal=proposal,
                    audience_id=audiences[key].pk,
                    relation=relation,
                    cadence=cadence,
                    place=place,
                )
                made += 1
        if breakdowns:
            services.breakdowns_save(actor=actor, proposal=proposal, values=breakdowns)
    # An agent's word on a link: what the Map stage is for.
    aht = proposals.get("average-handling-time")
    if aht is not None:
        link = aht.audience_links.filter(relation="acts").first()
        if link is not None:
            services.link_comment_create(
                actor=people[Role.AGENT],
                audience_link=link,
                stance="concern",
                body="Team leaders cannot act on handling time alone: it pushes us to hang up.",
            )
    _tree_seed(workshop, people)
    return made


#: The demo's KPI tree: (from, kind, to, why, accepted). Three levels under "cost to serve"
#: (cost per contact ← repeat contacts ← first-contact resolution ← guarded by handling time),
#: and one link still argued about.
TREE = (
    (
        "repeat-contact-rate-digital",
        "drives",
        "cost-per-contact",
        "Every repeat contact is a contact we pay for twice.",
        True,
    ),
    (
        "chatbot-escalation-rate",
        "drives",
        "cost-per-contact",
        "An escalated chat costs a bot session and an agent's time.",
        True,
    ),
    (
        "first-contact-resolution",
        "drives",
        "repeat-contact-rate-digital",
        "Solved the first time, the customer does not come back.",
        True,
    ),
    (
        "average-handling-time",
        "guards",
        "first-contact-resolution",
        "Resolution bought with endless calls shows up in handling time.",
        True,
    ),
    (
        "schedule-adherence",
        "drives",
        "average-handling-time",
        "Agents on schedule have time to finish the call properly.",
        False,
    ),
)


def _tree_seed(workshop: Workshop, people: dict[str, Participant]) -> int:
    """The tree's links, proposed by the manager and the agent and mostly accepted by the
    facilitator; the agent objects to the open one. Idempotent: a workshop with links is left
    alone."""
    from .models import TreeLink

    facilitator = people.get(Role.FACILITATOR)
    if facilitator is None or TreeLink.objects.filter(workshop=workshop).exists():
        return 0
    by_slug = {
        p.library_kpi.slug: p
        for p in Proposal.objects.filter(workshop=workshop, library_kpi__isnull=False)
        .select_related("library_kpi")
        .exclude(state=ProposalState.WITHDRAWN)
    }
    made = 0
    for i, (source, kind, target, why, accepted) in enumerate(TREE):
        if source not in by_slug or target not in by_slug:
            continue
        proposer = people[Role.MANAGER] if i % 2 == 0 else people[Role.AGENT]
        link = services.tree_link_propose(
            actor=proposer,
            workshop=workshop,
            from_id=by_slug[source].pk,
            to_id=by_slug[target].pk,
            kind=kind,
            why=why,
        )
        services.tree_link_stance_set(actor=people[Role.SUPERVISOR], link=link, stance="support")
        if accepted:
            services.tree_link_decide(actor=facilitator, link=link, accept=True)
        else:
            services.tree_link_stance_set(
                actor=people[Role.AGENT],
                link=link,
                stance="object",
                text="Adherence pushes us to rush calls, not to finish them.",
            )
        made += 1
    return made


#: The join codes ``seed_demo`` prints for the Map workshop, as for the other demo workshops.
CODE_ROLES = (Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR)


@transaction.atomic
def demo_codes(*, organisation: Organisation) -> list[Invitation]:
    """Active join codes for the Map workshop (an agent's, a customer's, a supervisor's):
    the ones it has, or new ones. Idempotent, like the rest of the demo."""
    workshops = Workshop.objects.filter(organisation=organisation)
    workshop = workshops.filter(title=TITLE).first() or workshops.filter(stage=Stage.MAP).first()
    facilitator = _member(organisation, Role.FACILITATOR)
    if workshop is None or facilitator is None:
        return []
    codes = []
    for role in CODE_ROLES:
        invitation = Invitation.objects.usable().filter(workshop=workshop, role=role).first()
        if invitation is None:
            invitation = Invitation.objects.create(
                workshop=workshop, role=role, label="Demo", created_by=facilitator
            )
        codes.append(invitation)
    return codes
