"""ReviewSettings, EntryReview, ReviewReminder, Feedback, Measurement, ReviewCycle and ReviewItem
now belong to the ``reviews`` app: state only, the tables (and their rows) stay as they are (see
``reviews.0001_move_from_catalog``)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0001_move_from_catalog'),
        ('catalog', '0006_move_approval_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the tables stay where they are (db_table keeps the catalog_ names).
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='feedback',
                    name='entry',
                ),
                migrations.RemoveField(
                    model_name='measurement',
                    name='entry',
                ),
                migrations.RemoveField(
                    model_name='measurement',
                    name='organisation',
                ),
                migrations.RemoveField(
                    model_name='measurement',
                    name='source_version',
                ),
                migrations.RemoveField(
                    model_name='reviewcycle',
                    name='release',
                ),
                migrations.RemoveField(
                    model_name='reviewcycle',
                    name='workshop',
                ),
                migrations.RemoveField(
                    model_name='reviewitem',
                    name='entry',
                ),
                migrations.RemoveField(
                    model_name='reviewitem',
                    name='proposal',
                ),
                migrations.RemoveField(
                    model_name='reviewreminder',
                    name='entry',
                ),
                migrations.RemoveField(
                    model_name='reviewreminder',
                    name='recipient',
                ),
                migrations.RemoveField(
                    model_name='reviewreminder',
                    name='release',
                ),
                migrations.RemoveField(
                    model_name='reviewsettings',
                    name='organisation',
                ),
                migrations.DeleteModel(
                    name='EntryReview',
                ),
                migrations.DeleteModel(
                    name='Feedback',
                ),
                migrations.DeleteModel(
                    name='Measurement',
                ),
                migrations.DeleteModel(
                    name='ReviewCycle',
                ),
                migrations.DeleteModel(
                    name='ReviewItem',
                ),
                migrations.DeleteModel(
                    name='ReviewReminder',
                ),
                migrations.DeleteModel(
                    name='ReviewSettings',
                ),
            ],
        ),
    ]
