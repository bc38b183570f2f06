"""Demo voting rounds for ``seed_demo``: in the workshop that is voting, a closed and revealed
dot-voting round where agents and customers disagree, a closed multi-criteria round, and an
approval round left open for the room. Idempotent: a workshop with ballots is left alone."""

import random

from django.db import transaction

from kpiworkshop.accounts.models import Organisation, Role
from kpiworkshop.workshops.models import Participant, Stage, Workshop, new_guest_key

from . import services
from .models import Method, Visibility

#: What each group cares about: words in a KPI's name that attract its votes.
TASTES = {
    Role.AGENT: ["fatigue", "enps", "escalation", "repeat", "first contact"],
    Role.CUSTOMER: ["human", "repeat", "first contact", "escalation"],
    Role.SUPERVISOR: ["first contact", "fatigue", "handling", "escalation"],
    Role.MANAGER: ["handling", "first contact", "enps", "repeat"],
}
CROWD = {Role.AGENT: 12, Role.CUSTOMER: 5, Role.SUPERVISOR: 4, Role.MANAGER: 3}
NAMES = ["Giulia", "Marco", "Elena", "Luca", "Sofia", "Matteo", "Anna", "Davide", "Chiara",
         "Paolo", "Sara", "Simone", "Laura", "Fabio", "Irene", "Nicola", "Valentina", "Andrea",
         "Federica", "Roberto", "Silvia", "Stefano", "Marta", "Alessio"]  # fmt: skip


def _crowd(workshop: Workshop) -> list[Participant]:
    people = []
    i = 0
    for role, n in CROWD.items():
        for _ in range(n):
            name = f"{NAMES[i % len(NAMES)]} ({Role(role).label})"
            person = Participant.objects.filter(workshop=workshop, display_name=name).first()
            if person is None:
                person = Participant.objects.create(
                    workshop=workshop, guest_key=new_guest_key(), display_name=name, role=role
                )
            people.append(person)
            i += 1
    return people


def _liking(person: Participant, name: str, rng: random.Random) -> float:
    words = TASTES.get(person.role, [])
    hit = any(w in name.lower() for w in words)
    return (3 if hit else 1) * rng.uniform(0.5, 1.5)


def _seed_workshop(workshop: Workshop, facilitator: Participant) -> None:
    rng = random.Random(workshop.pk)
    people = _crowd(workshop)

    dots = services.ballot_create(
        actor=facilitator,
        workshop=workshop,
        title="Round 1: dot voting",
        method=Method.DOTS,
        dot_budget=5,
        dot_cap=3,
        secret=True,
        visibility=Visibility.WHEN_REVEALED,
    )
    dots = services.ballot_open(actor=facilitator, ballot=dots)
    items = list(dots.items.select_related("proposal__current_revision"))
    for person in people:
        ranked = sorted(
            items, key=lambda it: -_liking(person, it.proposal.current_revision.name, rng)
        )
        plan = (
            [(ranked[0], 3), (ranked[1], 2)]
            if rng.random() < 0.6
            else [(ranked[0], 2), (ranked[1], 2), (ranked[2], 1)]
        )
        for item, n in plan:
            services.vote_cast(actor=person, ballot=dots, proposal_id=item.proposal_id, value=n)
    services.ballot_close(actor=facilitator, ballot=dots)
    services.ballot_reveal(actor=facilitator, ballot=dots)

    score = services.ballot_create(
        actor=facilitator,
        workshop=workshop,
        title="Round 2: scoring on criteria",
        method=Method.SCORE,
        secret=False,
        visibility=Visibility.AFTER_CLOSE,
    )
    score = services.ballot_open(actor=facilitator, ballot=score)
    criteria = list(score.criteria.all())
    for person in people[::2]:
        for item in items:
            base = _liking(person, item.proposal.current_revision.name, rng)
            for c in criteria:
                value = max(1, min(5, round(base + rng.uniform(0, 2))))
                services.vote_cast(
                    actor=person,
                    ballot=score,
                    proposal_id=item.proposal_id,
                    criterion_id=c.pk,
                    value=value,
                )
    services.ballot_close(actor=facilitator, ballot=score)

    approval = services.ballot_create(
        actor=facilitator,
        workshop=workshop,
        title="Round 3: keep it in the catalogue?",
        method=Method.APPROVAL,
        secret=True,
        visibility=Visibility.WHEN_REVEALED,
    )
    approval = services.ballot_open(actor=facilitator, ballot=approval)
    for person in people[::2][:10]:
        for item in items[:4]:
            yes = _liking(person, item.proposal.current_revision.name, rng) > 1.5
            services.vote_cast(
                actor=person, ballot=approval, proposal_id=item.proposal_id, value=int(yes)
            )


@transaction.atomic
def demo_seed(*, organisation: Organisation) -> int:
    """Seed the voting workshops of the demo organisation; returns how many were seeded."""
    seeded = 0
    for workshop in Workshop.objects.filter(organisation=organisation, stage=Stage.VOTE):
        if workshop.ballots.exists() or not workshop.proposals.exists():
            continue
        facilitator = Participant.objects.filter(
            workshop=workshop, role=Role.FACILITATOR, user__isnull=False
        ).first()
        if facilitator is None:
            continue
        _seed_workshop(workshop, facilitator)
        seeded += 1
    return seeded
