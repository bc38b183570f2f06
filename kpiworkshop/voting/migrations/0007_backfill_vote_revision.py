"""Existing votes were given on their proposal's current revision as far as anyone can tell now:
bind each to it (one UPDATE). Backwards, the column is emptied again."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def bind(apps, schema_editor):
    Vote = apps.get_model("voting", "Vote")
    Proposal = apps.get_model("kpis", "Proposal")
    current = Proposal.objects.filter(pk=OuterRef("proposal_id")).values("current_revision_id")
    Vote.objects.filter(revision__isnull=True).update(revision=Subquery(current[:1]))


def unbind(apps, schema_editor):
    apps.get_model("voting", "Vote").objects.update(revision=None)


class Migration(migrations.Migration):
    dependencies = [
        ("voting", "0006_vote_revision"),
        ("kpis", "0008_support_revision"),
    ]

    operations = [migrations.RunPython(bind, unbind)]
