"""``python manage.py seed_demo``: the demo organisation, one user per role, workshops in
several stages with active join codes, proposals and voting rounds. Idempotent: run it as often
as you like. The steps themselves are in ``kpiworkshop/demo.py``."""

from django.core.management.base import BaseCommand

from kpiworkshop import demo
from kpiworkshop.accounts.demo import DEMO_PASSWORD, USERS
from kpiworkshop.accounts.models import Role


class Command(BaseCommand):
    help = "Create or refresh the demo organisation, users and workshops."

    def handle(self, *args, **options):
        result = demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready: {result.organisation}"))
        self.stdout.write(f"Sign in at /accounts/login/ with password '{DEMO_PASSWORD}' as:")
        for username, full_name, role in USERS:
            self.stdout.write(f"  {username:<12} {full_name:<18} {role.label}")
        self.stdout.write(f"  {'admin':<12} {'(Django admin)':<18} /admin/")
        self.stdout.write("Join codes (open /join/ on a phone, no account needed):")
        for inv in result.codes:
            if inv.role != Role.SUPERVISOR:
                role, stage = inv.get_role_display(), inv.workshop.get_stage_display()
                title = inv.workshop.title
                self.stdout.write(f"  {inv.display_code}  {role:<10} {title} [{stage}]")
