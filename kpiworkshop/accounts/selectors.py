from .models import ApiToken, Membership


def memberships_for_user(*, user) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.active()
        .filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def membership_for(*, user, organisation_id: int) -> Membership | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.active()
        .filter(user=user, organisation_id=organisation_id)
        .select_related("organisation")
        .first()
    )


def api_tokens_for_user(*, user) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at"))
