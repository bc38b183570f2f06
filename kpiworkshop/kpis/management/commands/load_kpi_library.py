"""``python manage.py load_kpi_library``: upsert the built-in KPI library. Idempotent."""

from django.core.management.base import BaseCommand

from kpiworkshop.kpis.services import library_load


class Command(BaseCommand):
    help = "Create or update the built-in KPI library from fixtures/kpi_library.json."

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Another JSON file with the same shape.")

    def handle(self, *args, path=None, **options):
        created, updated = library_load(path=path)
        self.stdout.write(self.style.SUCCESS(f"KPI library: {created} created, {updated} updated."))
