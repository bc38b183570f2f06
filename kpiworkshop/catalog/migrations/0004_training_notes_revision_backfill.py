"""Training notes written before issue 17 (item 26) are taken as checked against the revision
that was current when they were last saved: the latest revision of their KPI created no later
than the notes were (the KPI's current revision when none was)."""

from django.db import migrations


def backfill(apps, schema_editor):
    TrainingNotes = apps.get_model("catalog", "TrainingNotes")
    Revision = apps.get_model("kpis", "Revision")
    Proposal = apps.get_model("kpis", "Proposal")
    for notes in TrainingNotes.objects.filter(revision__isnull=True).iterator():
        revision_id = (
            Revision.objects.filter(proposal_id=notes.proposal_id, created_at__lte=notes.updated_at)
            .order_by("-created_at", "-id")
            .values_list("pk", flat=True)
            .first()
        )
        if revision_id is None:
            revision_id = (
                Proposal.objects.filter(pk=notes.proposal_id)
                .values_list("current_revision_id", flat=True)
                .first()
            )
        if revision_id is not None:
            TrainingNotes.objects.filter(pk=notes.pk).update(revision_id=revision_id)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_training_notes_revision"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
