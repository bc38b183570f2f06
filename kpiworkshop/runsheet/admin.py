"""Run-sheets in the Django admin, read-only: a sheet changes through its services (which
check permissions, lock the row and write the audit trail)."""

from django.contrib import admin

from kpiworkshop.core.admin import ReadOnlyMixin

from .models import Block, RunSheet


class BlockInline(ReadOnlyMixin, admin.TabularInline):
    model = Block
    extra = 0
    fields = ["position", "title", "planned_minutes", "action", "started_at", "ended_at"]


@admin.register(RunSheet)
class RunSheetAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["workshop", "state", "started_at", "finished_at"]
    list_filter = ["state"]
    inlines = [BlockInline]
