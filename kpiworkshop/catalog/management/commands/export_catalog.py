"""``python manage.py export_catalog RELEASE --format {pdf,csv,json,md,dbt,openmetadata}
[--audience SLUG]
--output FILE`` (DESIGN.md §7). RELEASE is a version ("1.1") or "current"."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.catalog import selectors
from kpiworkshop.catalog.exports import tabular
from kpiworkshop.catalog.exports.render import export_render
from kpiworkshop.catalog.models import ExportFormat


class Command(BaseCommand):
    help = "Write one export of a published catalogue release to a file."

    def add_arguments(self, parser):
        parser.add_argument("release", help='a version such as "1.1", or "current"')
        parser.add_argument(
            "--format", required=True, choices=[*ExportFormat.values, "dbt", "openmetadata"]
        )
        parser.add_argument("--audience", default="", help="an audience slug (PDF pack)")
        parser.add_argument("--output", required=True, help="the file to write ('-': stdout)")
        parser.add_argument(
            "--organisation",
            default="",
            help="the organisation's short name (needed when there are several)",
        )

    def handle(self, *args, **options):
        organisation = self._organisation(options["organisation"])
        version = options["release"]
        if version == "current":
            release = selectors.release_current(organisation_id=organisation.pk)
        else:
            release = selectors.release_get(organisation_id=organisation.pk, version=version)
        if release is None:
            raise CommandError(f"No release {version} in {organisation.slug}.")
        audience = options["audience"]
        if audience and options["format"] in ("dbt", "openmetadata"):
            raise CommandError("--audience is for the PDF pack, not the data-stack formats.")
        if audience:
            entries = selectors.entries_for(release=release)
            if audience not in dict(tabular.release_audiences(entries)):
                raise CommandError(f"No audience {audience!r} in release {release.version}.")
        data = export_render(release=release, fmt=options["format"], audience=audience)
        if options["output"] == "-":
            self.stdout.buffer.write(data) if hasattr(self.stdout, "buffer") else self.stdout.write(
                data.decode("utf-8", "replace")
            )
            return
        Path(options["output"]).write_bytes(data)
        self.stdout.write(f"Wrote {len(data)} bytes to {options['output']}.")

    def _organisation(self, slug: str) -> Organisation:
        if slug:
            org = Organisation.objects.filter(slug=slug).first()
            if org is None:
                raise CommandError(f"No organisation {slug!r}.")
            return org
        orgs = list(Organisation.objects.filter(catalog_releases__isnull=False).distinct()[:2])
        if len(orgs) != 1:
            raise CommandError("Say which organisation with --organisation SLUG.")
        return orgs[0]
