"""The round title the system wrote as text (the catalogue review's "Keep, change or retire?",
in English or Italian) gets its stable code and its English text, so each reader sees it in
their own language. Typed titles are left as they are. Reversible: going back drops the code
(the English text stays in ``title``)."""

from django.db import migrations

STANDARD = {"review": ("Keep, change or retire?", "Mantenere, modificare o ritirare?")}


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def forwards(apps, schema_editor):
    Ballot = apps.get_model("voting", "Ballot")
    by_text = {_normalised(t): code for code, texts in STANDARD.items() for t in texts}
    for ballot in Ballot.objects.filter(title_code="").iterator():
        code = by_text.get(_normalised(ballot.title))
        if code is not None:
            ballot.title_code, ballot.title = code, STANDARD[code][0]
            ballot.save(update_fields=["title_code", "title"])


def backwards(apps, schema_editor):
    Ballot = apps.get_model("voting", "Ballot")
    for ballot in Ballot.objects.exclude(title_code="").iterator():
        ballot.title = STANDARD.get(ballot.title_code, (ballot.title,))[0]
        ballot.title_code = ""
        ballot.save(update_fields=["title_code", "title"])


class Migration(migrations.Migration):
    dependencies = [("voting", "0004_ballot_title_code")]

    operations = [migrations.RunPython(forwards, backwards)]
