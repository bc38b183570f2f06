import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import ApiToken, Membership, Organisation, hash_token

User = get_user_model()


@transaction.atomic
def organisation_create(*, name: str, slug: str = "") -> Organisation:
    org = Organisation(name=name.strip(), slug=slug or slugify(name)[:60])
    org.full_clean()
    org.save()
    return org


@transaction.atomic
def membership_set(*, user, organisation: Organisation, role: str) -> Membership:
    """Give ``user`` ``role`` in ``organisation`` (creating or updating the membership)."""
    membership, _created = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role, "is_active": True}
    )
    membership.full_clean()
    return membership


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name so you can recognise it.")})
    if not user.is_authenticated:
        raise PermissionDenied
    raw = "kpiw_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:80], prefix=raw[:12], token_hash=hash_token(raw))
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def api_token_revoke(*, user, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token


def api_token_authenticate(*, raw: str):
    """Return the user of a live token, or None. Touches last_used_at at most once a minute."""
    if not raw or not raw.startswith("kpiw_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
