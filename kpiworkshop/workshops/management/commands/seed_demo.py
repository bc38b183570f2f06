"""``python manage.py seed_demo``: the demo organisation, one user per role, and workshops in
several stages, each with active join codes. Idempotent: run it as often as you like."""

from django.core.management.base import BaseCommand
from django.db import transaction

from kpiworkshop.accounts.models import Membership, Organisation, Role, User
from kpiworkshop.workshops.models import Invitation, Participant, Stage, Workshop

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

WORKSHOPS = [
    (
        "KPI redesign 2027: digital and multichannel service",
        "Replace the productivity-only scorecard (AHT, calls per hour) with KPIs that steer "
        "quality across voice, chat, e-mail, social and self-care, and that agents and "
        "customers recognise as fair.",
        Stage.PROPOSE,
    ),
    (
        "Employee experience indicators",
        "Choose how we watch workload, cognitive fatigue and attrition now that agents handle "
        "several channels and conversations at once.",
        Stage.REFINE,
    ),
    (
        "Self-care and chatbot KPIs",
        "Agree how we measure containment, escalation to agents and channel switching without "
        "pushing customers into dead ends.",
        Stage.VOTE,
    ),
    (
        "Customer-care scorecard 2026",
        "Last year's agreed catalogue.",
        Stage.PUBLISHED,
    ),
    (
        "Back-office e-mail team (in preparation)",
        "",
        Stage.DRAFT,
    ),
]


class Command(BaseCommand):
    help = "Create or refresh the demo organisation, users and workshops."

    @transaction.atomic
    def handle(self, *args, **options):
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

        codes = []
        for title, purpose, stage in WORKSHOPS:
            workshop, _ = Workshop.objects.get_or_create(
                organisation=org,
                title=title,
                defaults={
                    "purpose": purpose,
                    "stage": stage,
                    "created_by": users[Role.FACILITATOR],
                },
            )
            for role in (Role.FACILITATOR, Role.MANAGER, Role.SUPERVISOR, Role.LEADERSHIP):
                user = users[role]
                Participant.objects.get_or_create(
                    workshop=workshop,
                    user=user,
                    defaults={"display_name": str(user), "role": role},
                )
            for role in (Role.AGENT, Role.CUSTOMER, Role.SUPERVISOR):
                inv = Invitation.objects.usable().filter(workshop=workshop, role=role).first()
                if inv is None:
                    inv = Invitation.objects.create(
                        workshop=workshop,
                        role=role,
                        label="Demo",
                        created_by=users[Role.FACILITATOR],
                    )
                codes.append((workshop, inv))

        # kpis and voting build on workshops: imported here so that workshops does not depend
        # on them at import time. Proposals first, then the voting rounds on them.
        from kpiworkshop.kpis.demo import demo_seed as kpis_demo_seed
        from kpiworkshop.voting.demo import demo_seed as voting_demo_seed

        kpis_demo_seed(organisation=org)
        voting_demo_seed(organisation=org)

        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready: {org.name}"))
        self.stdout.write(f"Sign in at /accounts/login/ with password '{DEMO_PASSWORD}' as:")
        for username, full_name, role in USERS:
            self.stdout.write(f"  {username:<12} {full_name:<18} {role.label}")
        self.stdout.write(f"  {'admin':<12} {'(Django admin)':<18} /admin/")
        self.stdout.write("Join codes (open /join/ on a phone, no account needed):")
        for workshop, inv in codes:
            if inv.role != Role.SUPERVISOR:
                role, stage = inv.get_role_display(), workshop.get_stage_display()
                self.stdout.write(f"  {inv.display_code}  {role:<10} {workshop.title} [{stage}]")
