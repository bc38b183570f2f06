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
