"""Signatures for existing revisions and the duplicate pairs of existing workshops, as the
services now write them for new revisions. Reversible: going back empties the pairs (the
signature column goes with the schema migration before this one)."""

from django.db import migrations

from kpiworkshop.kpis.similarity import DUPLICATE_THRESHOLD, score, signature


def forwards(apps, schema_editor):
    Revision = apps.get_model("kpis", "Revision")
    Proposal = apps.get_model("kpis", "Proposal")
    DuplicateCandidate = apps.get_model("kpis", "DuplicateCandidate")
    for rev in Revision.objects.only("pk", "name", "measures").iterator():
        Revision.objects.filter(pk=rev.pk).update(signature=signature(rev.name, rev.measures))
    by_workshop: dict[int, list] = {}
    for pk, workshop_id, name, tokens in Proposal.objects.filter(
        current_revision__isnull=False
    ).values_list("pk", "workshop_id", "current_revision__name", "current_revision__signature"):
        by_workshop.setdefault(workshop_id, []).append((pk, name, frozenset(tokens or ())))
    for workshop_id, rows in by_workshop.items():
        rows.sort()
        found = []
        for i, (a_id, a_name, a_tokens) in enumerate(rows):
            for b_id, b_name, b_tokens in rows[i + 1 :]:
                s = score(a_tokens, a_name, b_tokens, b_name, DUPLICATE_THRESHOLD)
                if s >= DUPLICATE_THRESHOLD:
                    found.append(
                        DuplicateCandidate(
                            workshop_id=workshop_id, first_id=a_id, second_id=b_id, score=s
                        )
                    )
        DuplicateCandidate.objects.bulk_create(found, ignore_conflicts=True)


def backwards(apps, schema_editor):
    apps.get_model("kpis", "DuplicateCandidate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("kpis", "0004_duplicate_candidates")]

    operations = [migrations.RunPython(forwards, backwards)]
