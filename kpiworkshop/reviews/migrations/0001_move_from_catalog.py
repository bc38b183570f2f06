"""The review models move here from ``catalog`` (issue 18) without moving their data: Django's
state gains them, the database is untouched (each keeps its ``catalog_…`` table through
``db_table``). ``catalog.0007_move_reviews_out`` drops them from catalog's state. Both
directions are state only, so migrating back to ``catalog.0006`` loses nothing either."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0001_initial'),
        ('catalog', '0006_move_approval_out'),
        ('datasets', '0002_feasibility_review'),
        ('kpis', '0007_more_revision_notes_as_codes'),
        ('workshops', '0002_invitation_email_claim'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the tables stay where they are (db_table keeps the catalog_ names).
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='EntryReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('next_review', models.DateField(verbose_name='next review')),
                        ('entry', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='review', to='catalog.catalogentry')),
                    ],
                    options={
                        'verbose_name': 'entry review date',
                        'verbose_name_plural': 'entry review dates',
                        'db_table': 'catalog_entryreview',
                    },
                ),
                migrations.CreateModel(
                    name='ReviewCycle',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('release', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='review_cycle', to='catalog.catalogrelease')),
                        ('workshop', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workshops.workshop')),
                    ],
                    options={
                        'verbose_name': 'review cycle',
                        'verbose_name_plural': 'review cycles',
                        'db_table': 'catalog_reviewcycle',
                    },
                ),
                migrations.CreateModel(
                    name='ReviewItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.catalogentry')),
                        ('proposal', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='review_item', to='kpis.proposal')),
                    ],
                    options={
                        'verbose_name': 'review item',
                        'verbose_name_plural': 'review items',
                        'db_table': 'catalog_reviewitem',
                    },
                ),
                migrations.CreateModel(
                    name='Feedback',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('person', models.CharField(max_length=80)),
                        ('role', models.CharField(max_length=20, verbose_name='role')),
                        ('answer', models.CharField(choices=[('helps', 'It helps'), ('unclear', 'It is unclear'), ('wrong', 'It pushes the wrong behaviour')], max_length=8, verbose_name='answer')),
                        ('comment', models.TextField(blank=True, verbose_name='comment')),
                        ('hidden_reason', models.CharField(blank=True, max_length=300, verbose_name='hidden because')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='feedback', to='catalog.catalogentry')),
                    ],
                    options={
                        'verbose_name': 'feedback',
                        'verbose_name_plural': 'feedback',
                        'db_table': 'catalog_feedback',
                        'ordering': ['-updated_at', '-id'],
                        'constraints': [models.UniqueConstraint(fields=('entry', 'person'), name='one_feedback_per_person'), models.CheckConstraint(condition=models.Q(('answer__in', ['helps', 'unclear', 'wrong'])), name='feedback_answer_valid')],
                    },
                ),
                migrations.CreateModel(
                    name='Measurement',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kpi_uid', models.UUIDField()),
                        ('period', models.DateField(verbose_name='period')),
                        ('breakdown', models.CharField(blank=True, max_length=60, verbose_name='breakdown')),
                        ('value', models.DecimalField(decimal_places=4, max_digits=18, verbose_name='value')),
                        ('entered_by_name', models.CharField(blank=True, max_length=150)),
                        ('computed', models.BooleanField(default=False, verbose_name='computed from a dataset')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.catalogentry')),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                        ('source_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='datasets.datasetversion', verbose_name='dataset version')),
                    ],
                    options={
                        'verbose_name': 'measured value',
                        'verbose_name_plural': 'measured values',
                        'db_table': 'catalog_measurement',
                        'ordering': ['period', 'breakdown'],
                        'indexes': [models.Index(fields=['organisation', 'kpi_uid', 'period'], name='measure_kpi')],
                        'constraints': [models.UniqueConstraint(fields=('organisation', 'kpi_uid', 'period', 'breakdown'), name='one_value_per_period')],
                    },
                ),
                migrations.CreateModel(
                    name='ReviewReminder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('entry_key', models.PositiveBigIntegerField(default=0)),
                        ('due', models.DateField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('entry', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.catalogentry')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('release', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.catalogrelease')),
                    ],
                    options={
                        'verbose_name': 'review reminder',
                        'verbose_name_plural': 'review reminders',
                        'db_table': 'catalog_reviewreminder',
                        'constraints': [models.UniqueConstraint(fields=('release', 'entry_key', 'due', 'recipient'), name='one_reminder_per_review')],
                    },
                ),
                migrations.CreateModel(
                    name='ReviewSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('interval_months', models.PositiveSmallIntegerField(default=3, verbose_name='review every (months)')),
                        ('remind_days_before', models.PositiveSmallIntegerField(default=14, verbose_name='remind this many days before')),
                        ('organisation', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='review_settings', to='accounts.organisation')),
                    ],
                    options={
                        'verbose_name': 'review settings',
                        'verbose_name_plural': 'review settings',
                        'db_table': 'catalog_reviewsettings',
                        'constraints': [models.CheckConstraint(condition=models.Q(('interval_months__gte', 1), ('interval_months__lte', 36)), name='review_interval_range'), models.CheckConstraint(condition=models.Q(('remind_days_before__lte', 90)), name='review_remind_range')],
                    },
                ),
            ],
        ),
    ]
