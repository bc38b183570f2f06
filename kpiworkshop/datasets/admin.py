from django.contrib import admin

from .models import Dataset, DatasetVersion, DataSteward, KpiDefinition


class VersionInline(admin.TabularInline):
    model = DatasetVersion
    fields = ["number", "status", "progress", "row_count", "source_name", "error_code"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "current_version"]
    list_filter = ["organisation"]
    readonly_fields = ["current_version"]
    inlines = [VersionInline]


@admin.register(DataSteward)
class DataStewardAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "created_at"]
    list_filter = ["organisation"]


@admin.register(KpiDefinition)
class KpiDefinitionAdmin(admin.ModelAdmin):
    """Read-only: a definition belongs to an immutable revision."""

    list_display = ["revision", "dataset", "organisation"]
    readonly_fields = ["revision", "organisation", "dataset", "spec"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
