from django.contrib import admin

from .models import Approval, TrainingNotes


class ReadOnlyAdmin(admin.ModelAdmin):
    """Decisions, releases, entries and exports are records: the admin shows, never edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "approver", "decision", "created_at", "superseded_at"]


@admin.register(TrainingNotes)
class TrainingNotesAdmin(admin.ModelAdmin):
    list_display = ["proposal", "language", "updated_at"]
    raw_id_fields = ["proposal", "revision"]
