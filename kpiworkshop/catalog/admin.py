from django.contrib import admin

from kpiworkshop.approval.admin import ReadOnlyAdmin

from .models import CatalogEntry, CatalogRelease, Export, PublishJob


@admin.register(CatalogRelease)
class CatalogReleaseAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "major", "minor", "effective_date", "published_at"]
    list_filter = ["organisation"]


@admin.register(CatalogEntry)
class CatalogEntryAdmin(ReadOnlyAdmin):
    list_display = ["name", "release", "kpi_uid"]
    search_fields = ["name"]


@admin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
    list_display = ["release", "format", "audience", "size"]


@admin.register(PublishJob)
class PublishJobAdmin(ReadOnlyAdmin):
    list_display = ["workshop", "state", "progress", "attempts", "updated_at"]


# --- review cycles, feedback, measured values (issue 10) ---------------------------------------

from .models import (  # noqa: E402
    EntryReview,
    Feedback,
    Measurement,
    ReviewCycle,
    ReviewReminder,
    ReviewSettings,
)


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    list_display = ["organisation", "interval_months", "remind_days_before"]


@admin.register(EntryReview)
class EntryReviewAdmin(admin.ModelAdmin):
    list_display = ["entry", "next_review"]
    raw_id_fields = ["entry"]


@admin.register(ReviewReminder)
class ReviewReminderAdmin(ReadOnlyAdmin):
    list_display = ["release", "entry_key", "due", "recipient", "sent_at"]


@admin.register(ReviewCycle)
class ReviewCycleAdmin(ReadOnlyAdmin):
    list_display = ["release", "workshop", "created_at"]


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    """Answers are people's own: the admin shows counts' raw rows, never edits them (hiding a
    comment is the facilitator's audited action on the KPI page)."""

    list_display = ["entry", "role", "answer", "hidden_reason", "updated_at"]
    list_filter = ["answer", "role"]


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    list_display = ["kpi_uid", "period", "breakdown", "value", "entered_by_name"]
    list_filter = ["organisation"]
