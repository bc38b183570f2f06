"""Demo data of the accounts layer: the demo organisation and one user per role."""

from kpiworkshop.accounts.models import Membership, Organisation, Role, User

DEMO_PASSWORD = "kpiworkshop-demo"  # noqa: S105 - documented demo credential
DEMO_ORG = "Demo Contact Centre"

USERS = [
    ("facilitator", "Francesca Ferri", Role.FACILITATOR),
    ("leader", "Lorenzo Leone", Role.LEADERSHIP),
    ("manager", "Marta Moretti", Role.MANAGER),
    ("supervisor", "Sara Santoro", Role.SUPERVISOR),
    ("agent", "Andrea Amato", Role.AGENT),
    ("customer", "Chiara Conti", Role.CUSTOMER),
    ("stakeholder", "Stefano Serra", Role.STAKEHOLDER),
]


def demo_seed() -> tuple[Organisation, dict[str, User]]:
    """Create or refresh the demo organisation, its users (one per role) and the admin.
    Returns the organisation and its users by role."""
    org, _ = Organisation.objects.get_or_create(slug="demo", defaults={"name": DEMO_ORG})
    users = {}
    for username, full_name, role in USERS:
        first, last = full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.invalid",
            },
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.update_or_create(
            user=user, organisation=org, defaults={"role": role, "is_active": True}
        )
        users[role] = user
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "email": "admin@demo.invalid"},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    return org, users
