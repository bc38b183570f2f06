from django.db.models import Exists, OuterRef

from kpiworkshop.accounts.models import Membership

from .models import Dataset, DatasetVersion, DataSteward, FeasibilityReview, KpiDefinition
from .permissions import DataRole


def data_role(*, user, organisation_id: int) -> DataRole | None:
    """The user's role and steward flag in the organisation (None: not a member)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    membership = (
        Membership.objects.active()
        .filter(user=user, organisation_id=organisation_id)
        .values_list("role", flat=True)
        .first()
    )
    if membership is None:
        return None
    steward = DataSteward.objects.filter(user=user, organisation_id=organisation_id).exists()
    return DataRole(organisation_id=organisation_id, role=membership, steward=steward)


def datasets_for_organisation(*, organisation_id: int) -> list[Dataset]:
    return list(
        Dataset.objects.filter(organisation_id=organisation_id).select_related("current_version")
    )


def definition_for_revision(*, revision_id: int) -> KpiDefinition | None:
    return (
        KpiDefinition.objects.select_related(
            "dataset__current_version", "revision__proposal__workshop"
        )
        .filter(revision_id=revision_id)
        .first()
    )


def version_latest_ready(*, dataset_id: int) -> DatasetVersion | None:
    return (
        DatasetVersion.objects.filter(dataset_id=dataset_id, status="ready")
        .order_by("-number")
        .first()
    )


def versions_for_organisation(*, organisation_id: int, limit: int = 30) -> list[DatasetVersion]:
    """The latest versions of the organisation's datasets, newest first."""
    return list(
        DatasetVersion.objects.filter(dataset__organisation_id=organisation_id)
        .select_related("dataset")
        .order_by("-created_at", "-pk")[:limit]
    )


def feasibility_for_proposals(*, proposal_ids: list[int]) -> dict[int, FeasibilityReview]:
    """The latest verdict of each proposal (one query), for the page leadership decides on."""
    latest: dict[int, FeasibilityReview] = {}
    reviews = (
        FeasibilityReview.objects.filter(proposal_id__in=proposal_ids)
        .select_related("reviewer")
        .order_by("proposal_id", "-created_at", "-pk")
    )
    for review in reviews:
        latest.setdefault(review.proposal_id, review)
    return latest


def members_with_steward_flag(*, organisation_id: int) -> list[Membership]:
    """The organisation's active members, each with ``is_steward`` (one query), by name."""
    stewards = DataSteward.objects.filter(
        organisation_id=organisation_id, user_id=OuterRef("user_id")
    )
    return list(
        Membership.objects.active()
        .filter(organisation_id=organisation_id)
        .select_related("user")
        .annotate(is_steward=Exists(stewards))
        .order_by("user__display_name", "user__username", "pk")
    )


def member_with_steward_flag(*, organisation_id: int, membership_id: int) -> Membership | None:
    """One active member of the organisation with ``is_steward`` (None: not one of them)."""
    stewards = DataSteward.objects.filter(
        organisation_id=organisation_id, user_id=OuterRef("user_id")
    )
    return (
        Membership.objects.active()
        .filter(organisation_id=organisation_id, pk=membership_id)
        .select_related("user")
        .annotate(is_steward=Exists(stewards))
        .first()
    )
