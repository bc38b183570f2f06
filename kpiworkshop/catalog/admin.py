from django.contrib import admin

from .models import Approval, CatalogEntry, CatalogRelease, Export, PublishJob, TrainingNotes


class ReadOnlyAdmin(admin.ModelAdmin):
    """Releases, entries, exports and decisions are records: the admin shows, never edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "approver", "decision", "created_at", "superseded_at"]


@admin.register(PublishJob)
class PublishJobAdmin(ReadOnlyAdmin):
    list_display = ["workshop", "state", "progress", "attempts", "updated_at"]


@admin.register(TrainingNotes)
class TrainingNotesAdmin(admin.ModelAdmin):
    list_display = ["proposal", "language", "updated_at"]
