"""Who may publish, and read the catalogue (who decides and writes training notes:
``kpiworkshop.approval.permissions``; who answers feedback, records values and runs reviews:
``kpiworkshop.reviews.permissions``). Pure predicates over
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
