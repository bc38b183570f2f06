"""Who may publish, and read the catalogue (who decides and writes training notes:
``kpiworkshop.approval.permissions``). Pure predicates over
the role-by-stage table in ``workshops.permissions`` plus the facts a service loads (who
contributed to a KPI, how a reader belongs to the organisation)."""

from dataclasses import dataclass

from kpiworkshop.accounts.models import Role
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import Participant, Stage, Workshop


def can_publish(actor: Participant | None, workshop: Workshop) -> bool:
    return wp.can_manage(actor, workshop) and workshop.stage == Stage.APPROVE


@dataclass(frozen=True)
class Reader:
    """How someone belongs to an organisation, for reading its catalogue: an active member
    (by their membership role) or a participant of one of its workshops (guests included)."""

    organisation_id: int
    role: str


def can_read_catalogue(reader: Reader | None, organisation_id: int) -> bool:
    return reader is not None and reader.organisation_id == organisation_id


def can_see_internal(reader: Reader | None) -> bool:
    """Customers never see fields marked internal-only."""
    return reader is not None and reader.role != Role.CUSTOMER


# --- review cycles, feedback, measured values (issue 10) ---------------------------------------

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
    return can_read_catalogue(reader, organisation_id) and is_current


def can_moderate_feedback(reader: Reader | None, organisation_id: int) -> bool:
    """Hide a comment (with a reason): the organisation's facilitators."""
    return can_read_catalogue(reader, organisation_id) and reader.role == Role.FACILITATOR


def can_see_feedback_comments(reader: Reader | None, organisation_id: int) -> bool:
    """Comments are for the people who run the catalogue, not for everyone: facilitators,
    leadership and managers see them; everyone sees the counts."""
    return can_read_catalogue(reader, organisation_id) and reader.role in (
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
    if not can_read_catalogue(reader, organisation_id):
        return False
    return reader.role == Role.FACILITATOR or reader.role in accountable_roles(audiences)


def can_manage_reviews(reader: Reader | None, organisation_id: int) -> bool:
    """See the review schedule, set review dates, start a review workshop: facilitators."""
    return can_read_catalogue(reader, organisation_id) and reader.role == Role.FACILITATOR
