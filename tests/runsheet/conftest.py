import pytest

from kpiworkshop.kpis.models import Category, ProposalState
from kpiworkshop.runsheet import services
from tests.factories import proposal_with_revision


def make_proposal(workshop, author, name: str):
    return proposal_with_revision(
        workshop,
        author,
        state=ProposalState.OPEN,
        name=name,
        measures=f"How we measure {name}",
        category=Category.CUSTOMER,
    )


def add_blocks(facilitator, workshop, *blocks):
    """Blocks as (title, minutes) or (title, minutes, action, stage)."""
    made = []
    for spec in blocks:
        title, minutes, *rest = spec
        action, stage = [*rest, "", ""][:2]
        made.append(
            services.block_add(
                actor=facilitator,
                workshop=workshop,
                title=title,
                planned_minutes=minutes,
                instruction=f"Do {title}",
                action=action,
                action_stage=stage,
            )
        )
    return made


@pytest.fixture
def three_blocks(workshop, facilitator):
    return add_blocks(facilitator, workshop, ("Welcome", 5), ("Propose", 10), ("Vote", 8))
