"""Compile locale/*/LC_MESSAGES/*.po into .mo files.

Uses GNU gettext's msgfmt through Django's compilemessages when it is installed, and Babel's
pure-Python compiler otherwise, so set-up never fails for lack of gettext.
"""

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the translation catalogues (msgfmt if available, else Babel)."

    def handle(self, *args, **options):
        if shutil.which("msgfmt"):
            call_command("compilemessages", verbosity=0, ignore=[".venv/*"])
            self.stdout.write("translations compiled with msgfmt")
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        count = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                with po_path.open("rb") as fh:
                    catalog = read_po(fh, locale=po_path.parts[-3])
                with po_path.with_suffix(".mo").open("wb") as fh:
                    write_mo(fh, catalog, use_fuzzy=False)
                count += 1
        self.stdout.write(f"translations compiled with Babel ({count} catalogues)")
