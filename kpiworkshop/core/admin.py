from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, for an operator looking into a problem: searchable, never editable.
    Nobody adds, changes or deletes an event by hand, superusers included."""

    list_display = ["created_at", "actor_name", "action", "target_label", "workshop_id"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "target_label", "=workshop_id", "=organisation_id"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
