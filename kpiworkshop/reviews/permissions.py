"""Who may answer, moderate and read feedback, record measured values, and run reviews. Pure
predicates over how a reader belongs to the organisation (``catalog.permissions.Reader``: a
member's role, or a workshop participant's) and, for the review workshop, role by stage."""

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog import permissions as cp
from kpiworkshop.catalog.permissions import Reader
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import Participant, Stage, Workshop

#: The organisation roles that stand for a default audience (``mapping.DEFAULT_AUDIENCES``),
#: for who may enter the values of a KPI an audience is accountable for.
AUDIENCE_ROLES: dict[str, frozenset[str]] = {
    "agents": frozenset({Role.AGENT}),
    "team_leaders": frozenset({Role.SUPERVISOR}),
    "cc_managers": frozenset({Role.MANAGER}),
    "cx_leadership": frozenset({Role.LEADERSHIP}),
    "planning": frozenset({Role.MANAGER, Role.STAKEHOLDER}),
    "digital": frozenset({Role.MANAGER, Role.STAKEHOLDER}),
    "outsourced": frozenset({Role.SUPERVISOR, Role.MANAGER}),
    "customers": frozenset(),
}


def can_give_feedback(reader: Reader | None, organisation_id: int, *, is_current: bool) -> bool:
    """Answer "Is this KPI helping you?": anyone of the organisation, on the current release
    (an older release's answers are history)."""
    return cp.can_read_catalogue(reader, organisation_id) and is_current


def can_moderate_feedback(reader: Reader | None, organisation_id: int) -> bool:
    """Hide a comment (with a reason): the organisation's facilitators."""
    return cp.can_read_catalogue(reader, organisation_id) and reader.role == Role.FACILITATOR


def can_see_feedback_comments(reader: Reader | None, organisation_id: int) -> bool:
    """Comments are for the people who run the catalogue, not for everyone: facilitators,
    leadership and managers see them; everyone sees the counts."""
    return cp.can_read_catalogue(reader, organisation_id) and reader.role in (
        Role.FACILITATOR,
        Role.LEADERSHIP,
        Role.MANAGER,
    )


def accountable_roles(audiences: list[dict]) -> frozenset[str]:
    roles: set[str] = set()
    for a in audiences or []:
        if a.get("kind") == "accountable":
            roles |= AUDIENCE_ROLES.get(a.get("slug", ""), frozenset())
    return frozenset(roles)


def can_record_values(reader: Reader | None, organisation_id: int, audiences: list[dict]) -> bool:
    """Enter or import measured values: a facilitator, or a member whose role stands for the
    KPI's accountable audience."""
    if not cp.can_read_catalogue(reader, organisation_id):
        return False
    return reader.role == Role.FACILITATOR or reader.role in accountable_roles(audiences)


def can_manage_reviews(reader: Reader | None, organisation_id: int) -> bool:
    """See the review schedule, set review dates, start a review workshop: facilitators."""
    return cp.can_read_catalogue(reader, organisation_id) and reader.role == Role.FACILITATOR


#: The stages in which a review workshop's KPIs may be switched between keep, change and retire.
REVIEW_KIND_STAGES = (Stage.PROPOSE, Stage.REFINE)


def can_set_review_kinds(actor: Participant | None, workshop: Workshop) -> bool:
    """Show the keep / change / retire controls on the review board: the workshop's facilitator
    while its KPIs are still proposed or refined (the service also lets a KPI's author switch
    their own, through ``kpis.permissions.can_edit``)."""
    return wp.can_manage(actor, workshop) and workshop.stage in REVIEW_KIND_STAGES
