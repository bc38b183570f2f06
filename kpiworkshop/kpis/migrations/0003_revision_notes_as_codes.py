"""Revision notes the system wrote as text ("First version", "Suggestion by … accepted", in
English or Italian) become codes with parameters, so each reader sees them in their language.
Reversible: going back writes the English text into ``change_note`` again."""

import re

from django.db import migrations

FIRST = {"First version", "Prima versione"}
ACCEPTED = [
    re.compile(r"^Suggestion by (?P<name>.+) accepted$"),
    re.compile(r"^Accettata la modifica suggerita da (?P<name>.+)$"),
]


def forwards(apps, schema_editor):
    Revision = apps.get_model("kpis", "Revision")
    for rev in Revision.objects.filter(note_code="").exclude(change_note="").iterator():
        note = rev.change_note.strip()
        if note in FIRST and rev.number == 1:
            rev.note_code, rev.note_params, rev.change_note = "first_version", {}, ""
        elif rev.from_suggestion_id is not None:
            match = next((m for m in (p.match(note) for p in ACCEPTED) if m), None)
            if match is None:
                continue
            rev.note_code = "suggestion_accepted"
            rev.note_params = {"name": match.group("name")}
            rev.change_note = ""
        else:
            continue
        rev.save(update_fields=["note_code", "note_params", "change_note"])


def backwards(apps, schema_editor):
    Revision = apps.get_model("kpis", "Revision")
    for rev in Revision.objects.exclude(note_code="").iterator():
        if rev.note_code == "first_version" and not rev.change_note:
            rev.change_note = "First version"
        elif rev.note_code == "suggestion_accepted" and not rev.change_note:
            rev.change_note = f"Suggestion by {rev.note_params.get('name', '')} accepted"[:300]
        rev.note_code, rev.note_params = "", {}
        rev.save(update_fields=["note_code", "note_params", "change_note"])


class Migration(migrations.Migration):
    dependencies = [("kpis", "0002_revision_system_note")]

    operations = [migrations.RunPython(forwards, backwards)]
