"""Approval, ApprovalPolicy and TrainingNotes move here from ``catalog`` (issue 18) without
moving their data: Django's state gains the models, the database is untouched (the models keep
their tables ``catalog_approval``, ``catalog_approvalpolicy`` and ``catalog_trainingnotes`` through
``db_table``). ``catalog.0006_move_approval_out`` drops them from catalog's state. Both directions
are state only, so migrating back to ``catalog.0005`` loses nothing either."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('catalog', '0005_measurement_computed_from_dataset'),
        ('kpis', '0007_more_revision_notes_as_codes'),
        ('workshops', '0002_invitation_email_claim'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the tables stay where they are (db_table keeps the catalog_ names).
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Approval',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('decision', models.CharField(choices=[('approve', 'Approve'), ('pilot', 'Approve as a pilot'), ('changes', 'Request changes'), ('reject', 'Reject')], max_length=8, verbose_name='decision')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('pilot_until', models.DateField(blank=True, null=True, verbose_name='pilot until')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='decided')),
                        ('superseded_at', models.DateTimeField(blank=True, null=True)),
                        ('approver', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='workshops.participant')),
                        ('proposal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='approvals', to='kpis.proposal')),
                        ('revision', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kpis.revision')),
                    ],
                    options={
                        'verbose_name': 'approval decision',
                        'verbose_name_plural': 'approval decisions',
                        'db_table': 'catalog_approval',
                        'ordering': ['created_at', 'id'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('decision__in', ['approve', 'pilot', 'changes', 'reject'])), name='approval_decision_valid'), models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='approval_has_reason'), models.CheckConstraint(condition=models.Q(models.Q(('decision', 'pilot'), ('pilot_until__isnull', False)), models.Q(models.Q(('decision', 'pilot'), _negated=True), ('pilot_until__isnull', True)), _connector='OR'), name='approval_pilot_has_date'), models.UniqueConstraint(condition=models.Q(('superseded_at__isnull', True)), fields=('proposal', 'approver'), name='one_current_decision_per_approver')],
                    },
                ),
                migrations.CreateModel(
                    name='ApprovalPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('quorum', models.PositiveSmallIntegerField(default=1, verbose_name='approvals needed')),
                        ('workshop', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='approval_policy', to='workshops.workshop')),
                    ],
                    options={
                        'verbose_name': 'approval policy',
                        'verbose_name_plural': 'approval policies',
                        'db_table': 'catalog_approvalpolicy',
                        'constraints': [models.CheckConstraint(condition=models.Q(('quorum__gte', 1), ('quorum__lte', 50)), name='approval_quorum_range')],
                    },
                ),
                migrations.CreateModel(
                    name='TrainingNotes',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                        ('language', models.CharField(max_length=8, verbose_name='language')),
                        ('how_to_read', models.TextField(verbose_name='how to read it')),
                        ('when_it_moves', models.TextField(verbose_name='what to do when it moves')),
                        ('pitfalls', models.TextField(verbose_name='pitfalls and gaming')),
                        ('worked_example', models.TextField(verbose_name='worked example')),
                        ('proposal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notes', to='kpis.proposal')),
                        ('revision', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kpis.revision', verbose_name='checked against revision')),
                    ],
                    options={
                        'verbose_name': 'training notes',
                        'verbose_name_plural': 'training notes',
                        'db_table': 'catalog_trainingnotes',
                        'ordering': ['proposal', 'language'],
                        'constraints': [models.UniqueConstraint(fields=('proposal', 'language'), name='one_training_notes_per_language')],
                    },
                ),
            ],
        ),
    ]
