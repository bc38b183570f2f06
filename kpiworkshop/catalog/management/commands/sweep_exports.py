"""Remove export files no export references, for deployments without Celery beat."""

from django.core.management.base import BaseCommand

from kpiworkshop.catalog.services import export_files_sweep


class Command(BaseCommand):
    help = (
        "Delete the catalogue export files that no export references (left by publish "
        "attempts that failed or whose worker was killed). Files of an attempt still running "
        "are left alone. Safe to run at any time."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"removed {export_files_sweep()} unreferenced export files")
