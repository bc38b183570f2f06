"""Criteria the system wrote as text (the default criteria of a multi-criteria ballot,
"Overall", the catalogue review's keep / change / retire), in English or Italian, get their
stable code and their English text, so each reader sees them in their own language. A criterion
the facilitator typed is left as it is. Reversible: going back drops the codes (the English
text stays in ``label``)."""

from django.db import migrations

#: code -> (English, Italian), as the texts were when this migration was written.
STANDARD = {
    "overall": ("Overall", "Valutazione complessiva"),
    "aligned": ("Aligned with our goals", "In linea con i nostri obiettivi"),
    "actionable": ("Actionable by the people measured", "Influenzabile dalle persone misurate"),
    "measurable": ("Measurable with data we have", "Misurabile con i dati che abbiamo"),
    "hard_to_game": ("Hard to game", "Difficile da manipolare"),
    "customers": ("Meaningful to customers", "Significativo per i clienti"),
    "keep": ("Keep it as it is", "Mantenerlo così com'è"),
    "change": ("Change it", "Modificarlo"),
    "retire": ("Retire it", "Ritirarlo"),
}


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def forwards(apps, schema_editor):
    Criterion = apps.get_model("voting", "Criterion")
    by_text = {
        _normalised(text): code for code, texts in STANDARD.items() for text in texts
    }
    for criterion in Criterion.objects.filter(code="").iterator():
        code = by_text.get(_normalised(criterion.label))
        if code is None:
            continue
        criterion.code, criterion.label = code, STANDARD[code][0]
        criterion.save(update_fields=["code", "label"])


def backwards(apps, schema_editor):
    Criterion = apps.get_model("voting", "Criterion")
    for criterion in Criterion.objects.exclude(code="").iterator():
        english = STANDARD.get(criterion.code, (criterion.label,))[0]
        criterion.code, criterion.label = "", english
        criterion.save(update_fields=["code", "label"])


class Migration(migrations.Migration):
    dependencies = [("voting", "0002_criterion_code")]

    operations = [migrations.RunPython(forwards, backwards)]
