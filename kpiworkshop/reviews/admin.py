from django.contrib import admin

from kpiworkshop.approval.admin import ReadOnlyAdmin

from .models import (
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
