"""The demo's run-sheet, for ``seed_demo``: the workshop that is voting live ("Self-care and
chatbot KPIs") gets a four-block sheet ready to start — welcome, a final dot-voting round that
opens when the facilitator moves on to it, its results revealed on the next block, next steps.
Idempotent: a workshop that has a run-sheet is left alone."""

from django.db import transaction

from kpiworkshop.accounts.models import Organisation, Role
from kpiworkshop.voting import services as voting_services
from kpiworkshop.voting.models import Method, Visibility
from kpiworkshop.workshops.models import Participant, Stage, Workshop

from . import services
from .library import BLOCK_TEXTS
from .models import RunSheet

LIVE_WORKSHOP = "Self-care and chatbot KPIs"
ROUND_TITLE = "Round 4: final dots"


@transaction.atomic
def demo_seed(*, organisation: Organisation) -> RunSheet | None:
    workshop = Workshop.objects.filter(
        organisation=organisation, title=LIVE_WORKSHOP, stage=Stage.VOTE
    ).first()
    if workshop is None or RunSheet.objects.filter(workshop=workshop).exists():
        return None
    facilitator = Participant.objects.filter(
        workshop=workshop, role=Role.FACILITATOR, user__isnull=False
    ).first()
    if facilitator is None or not workshop.proposals.exists():
        return None
    final = voting_services.ballot_create(
        actor=facilitator,
        workshop=workshop,
        title=ROUND_TITLE,
        method=Method.DOTS,
        dot_budget=5,
        secret=True,
        visibility=Visibility.WHEN_REVEALED,
    )
    sheet = services.runsheet_prepare(actor=facilitator, workshop=workshop)
    plan = [
        ("welcome", 5, "", None),
        ("vote", 10, "ballot_open", final.pk),
        ("results", 15, "ballot_reveal", final.pk),
        ("wrap_up", 10, "", None),
    ]
    for code, minutes, action, ballot_id in plan:
        title, instruction = BLOCK_TEXTS[code]
        services.block_add(
            actor=facilitator,
            workshop=workshop,
            title=str(title),
            instruction=str(instruction),
            planned_minutes=minutes,
            action=action,
            action_ballot_id=ballot_id,
        )
    # Keep the template texts' codes, so that each reader sees them in their language.
    for block, (code, *_rest) in zip(sheet.blocks.order_by("position"), plan, strict=True):
        block.title_code = block.instruction_code = code
        block.save(update_fields=["title_code", "instruction_code"])
    return sheet
