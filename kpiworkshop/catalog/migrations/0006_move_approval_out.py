"""Approval, ApprovalPolicy and TrainingNotes now belong to the ``approval`` app: state only, the
tables (and their rows) stay as they are (see ``approval.0001_move_from_catalog``)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('approval', '0001_move_from_catalog'),
        ('catalog', '0005_measurement_computed_from_dataset'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the tables stay where they are (db_table keeps the catalog_ names).
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='approvalpolicy',
                    name='workshop',
                ),
                migrations.RemoveField(
                    model_name='trainingnotes',
                    name='proposal',
                ),
                migrations.RemoveField(
                    model_name='trainingnotes',
                    name='revision',
                ),
                migrations.DeleteModel(
                    name='Approval',
                ),
                migrations.DeleteModel(
                    name='ApprovalPolicy',
                ),
                migrations.DeleteModel(
                    name='TrainingNotes',
                ),
            ],
        ),
    ]
