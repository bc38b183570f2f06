"""Two more revision notes the system wrote as text, in English or Italian, become codes: the
first version of a review workshop's proposal ("From catalogue 1.2" / "Dal catalogo 1.2") and
the revision the Map stage writes when it sets a counter-metric ("Counter-metric set while
mapping"). Each reader then sees them in their language. Reversible: going back writes the
English text into ``change_note`` again."""

import re

from django.db import migrations

FROM_CATALOGUE = [
    re.compile(r"^From catalogue (?P<version>.+)$"),
    re.compile(r"^Dal catalogo (?P<version>.+)$"),
]
MAPPED = {"Counter-metric set while mapping", "Contro-metrica impostata durante la mappatura"}


def forwards(apps, schema_editor):
    Revision = apps.get_model("kpis", "Revision")
    first_versions = Revision.objects.filter(
        number=1, note_code__in=["", "first_version"], proposal__catalog_entry_id__isnull=False
    ).exclude(change_note="")
    for rev in first_versions.iterator():
        note = rev.change_note.strip()
        match = next((m for m in (p.match(note) for p in FROM_CATALOGUE) if m), None)
        if match is None:
            continue
        rev.note_code = "from_catalogue"
        rev.note_params = {"version": match.group("version")}
        rev.change_note = ""
        rev.save(update_fields=["note_code", "note_params", "change_note"])
    for rev in Revision.objects.filter(note_code="", change_note__in=MAPPED).iterator():
        rev.note_code, rev.note_params, rev.change_note = "counter_metric_mapped", {}, ""
        rev.save(update_fields=["note_code", "note_params", "change_note"])


def backwards(apps, schema_editor):
    Revision = apps.get_model("kpis", "Revision")
    for rev in Revision.objects.filter(note_code="from_catalogue").iterator():
        if not rev.change_note:
            rev.change_note = f"From catalogue {rev.note_params.get('version', '')}"[:300]
        rev.note_code, rev.note_params = "first_version", {}
        rev.save(update_fields=["note_code", "note_params", "change_note"])
    for rev in Revision.objects.filter(note_code="counter_metric_mapped").iterator():
        if not rev.change_note:
            rev.change_note = "Counter-metric set while mapping"
        rev.note_code, rev.note_params = "", {}
        rev.save(update_fields=["note_code", "note_params", "change_note"])


class Migration(migrations.Migration):
    dependencies = [("kpis", "0006_revision_note_more_codes")]

    operations = [migrations.RunPython(forwards, backwards)]
