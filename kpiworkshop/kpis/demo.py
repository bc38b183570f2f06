"""Demo data for ``seed_demo``: the KPI library, and realistic proposals, comments and
suggestions in the demo workshops that are proposing, refining and voting. Idempotent: a
workshop that already has proposals is left as it is."""

from django.db import transaction

from kpiworkshop.accounts.models import Organisation, Role
from kpiworkshop.workshops.demo import stage_during
from kpiworkshop.workshops.models import Participant, Stage, Workshop

from . import services
from .models import LibraryKPI, Proposal

FROM_SCRATCH = [
    {
        "name": "Time to reach a human",
        "measures": "Minutes from the first contact in any digital channel (chatbot, app, web "
        "form) until a person answers, for customers who ask for one.",
        "why": "Customers who **need** a person should not be trapped in self-care loops.",
        "category": "customer",
        "direction": "lower",
        "unit": "minutes",
        "channels": ["selfcare", "chat"],
        "breakdowns": ["handler", "request_type"],
        "key_question": "Can customers who need a person reach one quickly?",
        "intended_use": "Designing chatbot and IVR flows that let people out when they need to.",
        "not_used_for": "Not to push customers back into self-care.",
        "lead_lag": "leading",
    },
    {
        "name": "Repeat contacts in digital channels",
        "measures": "Share of requests on chat, e-mail or social that come back within 7 days "
        "for the same reason.",
        "category": "customer",
        "direction": "lower",
        "unit": "%",
        "channels": ["chat", "email", "social"],
        "denominator": "All requests closed in digital channels in the period",
    },
    {
        "name": "Fatigue pulse after multichannel shifts",
        "measures": "Average answer (1-5) to a two-question pulse at the end of shifts where "
        "agents handled several channels or concurrent chats.",
        "category": "employee",
        "direction": "higher",
        "frequency": "weekly",
        "purposes": ["support"],
        "not_used_for": "Never to judge individuals: answers are anonymous, shown for groups of "
        "five or more.",
        "collection_method": "Two questions on the agent desktop at log-off, anonymous.",
        "collection_frequency": "daily",
        "custodian": "HR business partner",
        "lead_lag": "leading",
    },
]

LIBRARY_PICKS = [
    "repeat-contact-rate-digital",
    "first-contact-resolution",
    "chatbot-escalation-rate",
    "average-handling-time",
    "enps",
]


def _guest(workshop: Workshop, role: str, name: str) -> Participant:
    participant, _ = Participant.objects.get_or_create(
        workshop=workshop,
        guest_key=f"demo-{workshop.pk}-{role}",
        defaults={"display_name": name, "role": role},
    )
    return participant


def _people(workshop: Workshop) -> dict[str, Participant]:
    people = {p.role: p for p in Participant.objects.filter(workshop=workshop, user__isnull=False)}
    people[Role.AGENT] = _guest(workshop, Role.AGENT, "Andrea (agent)")
    people[Role.CUSTOMER] = _guest(workshop, Role.CUSTOMER, "Chiara (customer)")
    return people


def _propose(workshop: Workshop, people: dict) -> list[Proposal]:
    proposals = []
    authors = [people[Role.AGENT], people[Role.SUPERVISOR], people[Role.MANAGER]]
    found = {k.slug: k for k in LibraryKPI.objects.filter(slug__in=LIBRARY_PICKS)}
    picks = [found[slug] for slug in LIBRARY_PICKS if slug in found]
    for i, kpi in enumerate(picks):
        proposals.append(
            services.proposal_create(
                actor=authors[i % len(authors)],
                workshop=workshop,
                definition=services.library_definition(library_kpi=kpi, language="en"),
                library_kpi=kpi,
            )
        )
    scratch_authors = [people[Role.CUSTOMER], people[Role.AGENT], people[Role.SUPERVISOR]]
    for author, definition in zip(scratch_authors, FROM_SCRATCH, strict=True):
        proposals.append(
            services.proposal_create(actor=author, workshop=workshop, definition=definition)
        )
    return proposals


def _discuss(proposals: list[Proposal], people: dict) -> None:
    first = proposals[0]
    c = services.comment_create(
        actor=people[Role.SUPERVISOR],
        proposal=first,
        body="Transfers inflate this: a transferred chat is not a repeat contact.",
        stance="concern",
    )
    services.comment_create(
        actor=people[Role.AGENT], proposal=first, body="Agreed, it happens daily.", parent=c
    )
    services.comment_create(
        actor=people[Role.CUSTOMER],
        proposal=first,
        body="Having to write twice is what annoys me most.",
        stance="supports",
    )
    services.comment_create(
        actor=people[Role.MANAGER],
        proposal=proposals[-1],
        body="How anonymous is the pulse for small teams?",
        stance="question",
    )
    for p in proposals[:3]:
        for role in (Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR):
            services.proposal_support(actor=people[role], proposal=p)


def _suggest(proposals: list[Proposal], people: dict) -> None:
    first = proposals[0]
    accepted = services.suggestion_create(
        actor=people[Role.SUPERVISOR],
        proposal=first,
        changes={"denominator": "All requests closed in the period, excluding transfers"},
        reason="Transfers are not repeats.",
    )
    services.suggestion_accept(actor=people[Role.FACILITATOR], suggestion=accepted)
    services.suggestion_create(
        actor=people[Role.CUSTOMER],
        proposal=proposals[1],
        changes={"target": "Below 10% within six months"},
        reason="A clear target customers can hold us to.",
    )
    # Issue 20: what a KPI must not be used for is refined like any field.
    aht = proposals[3].current_revision
    services.suggestion_create(
        actor=people[Role.AGENT],
        proposal=proposals[3],
        changes={"not_used_for": f"{aht.not_used_for} Not shown on agent leaderboards.".strip()},
        reason="A leaderboard is a target by another name.",
    )


@transaction.atomic
def demo_seed(*, organisation: Organisation) -> int:
    """Give the organisation's proposing, refining and voting workshops their proposals.
    Returns how many workshops were filled."""
    services.library_load()
    filled = 0
    stages = [Stage.PROPOSE, Stage.REFINE, Stage.VOTE]
    for workshop in Workshop.objects.filter(organisation=organisation, stage__in=stages):
        if Proposal.objects.filter(workshop=workshop).exists():
            continue
        people = _people(workshop)
        if not {Role.FACILITATOR, Role.MANAGER, Role.SUPERVISOR} <= set(people):
            continue
        target = workshop.stage
        with stage_during(workshop, Stage.PROPOSE):
            proposals = _propose(workshop, people)
            _discuss(proposals, people)
        if target in (Stage.REFINE, Stage.VOTE):
            with stage_during(workshop, Stage.REFINE):
                for p in proposals:
                    p.refresh_from_db()
                _suggest(proposals, people)
        filled += 1
    return filled
