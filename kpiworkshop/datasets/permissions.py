"""Who may do what with datasets: pure predicates (CONVENTIONS.md), from the organisation role
and the data-steward flag (``DataRole``, loaded by ``selectors.data_role``), and for previews
from the workshop's role table.

Row-level data (uploads, a dataset's rows) is for the facilitator and the data steward only;
everyone who may see a workshop sees the aggregates of its KPIs' previews, guests included."""

from dataclasses import dataclass

from kpiworkshop.accounts.models import Membership, Role
from kpiworkshop.workshops import permissions as wp
from kpiworkshop.workshops.models import Participant, Workshop


@dataclass(frozen=True)
class DataRole:
    """A signed-in person's standing in one organisation."""

    organisation_id: int
    role: str | None
    steward: bool


def _row_level(who: DataRole | None, organisation_id: int) -> bool:
    return (
        who is not None
        and who.organisation_id == organisation_id
        and (who.role == Role.FACILITATOR or (who.steward and who.role is not None))
    )


def can_manage_datasets(who: DataRole | None, organisation_id: int) -> bool:
    """Create datasets, upload versions, write computable definitions."""
    return _row_level(who, organisation_id)


def can_see_rows(who: DataRole | None, organisation_id: int) -> bool:
    """See row-level data of the organisation's datasets."""
    return _row_level(who, organisation_id)


def can_preview(
    actor: Participant | None,
    workshop: Workshop,
    dataset_organisation_id: int,
    membership: Membership | None = None,
) -> bool:
    """See a KPI's preview (aggregates only), over a dataset of the workshop's own organisation:
    a participant who may see the workshop, or (not joined) an active member of its
    organisation."""
    if dataset_organisation_id != workshop.organisation_id:
        return False
    if actor is not None:
        return wp.can_view(actor, workshop)
    return (
        membership is not None
        and membership.is_active
        and membership.organisation_id == workshop.organisation_id
    )


def can_review_feasibility(who: DataRole | None, organisation_id: int) -> bool:
    """Record a feasibility verdict: the data steward (and the facilitator, who runs the room)."""
    return _row_level(who, organisation_id)


def can_name_stewards(who: DataRole | None, organisation_id: int) -> bool:
    """Name or remove data stewards: the organisation's facilitator only (a steward cannot
    name another)."""
    return (
        who is not None and who.organisation_id == organisation_id and who.role == Role.FACILITATOR
    )
