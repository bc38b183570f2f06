"""Demo data of the workshops layer: the demo workshops in several stages, the people taking
part, and active join codes."""

from contextlib import contextmanager

from kpiworkshop.accounts.models import Organisation, Role, User

from .models import Invitation, Participant, Stage, Workshop

WORKSHOPS = [
    (
        "KPI redesign 2027: digital and multichannel service",
        "Replace the productivity-only scorecard (AHT, calls per hour) with KPIs that steer "
        "quality across voice, chat, e-mail, social and self-care, and that agents and "
        "customers recognise as fair.",
        Stage.PROPOSE,
    ),
    (
        "Employee experience indicators",
        "Choose how we watch workload, cognitive fatigue and attrition now that agents handle "
        "several channels and conversations at once.",
        Stage.REFINE,
    ),
    (
        "Self-care and chatbot KPIs",
        "Agree how we measure containment, escalation to agents and channel switching without "
        "pushing customers into dead ends.",
        Stage.VOTE,
    ),
    (
        "Customer-care scorecard 2026",
        "Last year's agreed catalogue.",
        Stage.PUBLISHED,
    ),
    (
        "Back-office e-mail team (in preparation)",
        "",
        Stage.DRAFT,
    ),
]


def demo_seed(*, organisation: Organisation, users: dict[str, User]) -> list[Invitation]:
    """Create the demo workshops (idempotent). Returns the join codes to print."""
    org = organisation
    codes: list[Invitation] = []
    for title, purpose, stage in WORKSHOPS:
        workshop, _ = Workshop.objects.get_or_create(
            organisation=org,
            title=title,
            defaults={
                "purpose": purpose,
                "stage": stage,
                "created_by": users[Role.FACILITATOR],
            },
        )
        for role in (Role.FACILITATOR, Role.MANAGER, Role.SUPERVISOR, Role.LEADERSHIP):
            user = users[role]
            Participant.objects.get_or_create(
                workshop=workshop,
                user=user,
                defaults={"display_name": str(user), "role": role},
            )
        for role in (Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR):
            inv = Invitation.objects.usable().filter(workshop=workshop, role=role).first()
            if inv is None:
                inv = Invitation.objects.create(
                    workshop=workshop,
                    role=role,
                    label="Demo",
                    created_by=users[Role.FACILITATOR],
                )
            codes.append(inv)
    return codes


@contextmanager
def stage_during(workshop: Workshop, stage: str):
    """Run services as if the workshop were in ``stage`` (demo history), then put it back."""
    real = workshop.stage
    Workshop.objects.filter(pk=workshop.pk).update(stage=stage)
    workshop.stage = stage
    try:
        yield workshop
    finally:
        Workshop.objects.filter(pk=workshop.pk).update(stage=real)
        workshop.stage = real
