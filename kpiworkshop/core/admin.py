from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import AuditEvent, OutboxItem


class ReadOnlyMixin:
    """For a ModelAdmin or an inline: nobody adds, changes or deletes these rows by hand,
    superusers included."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The audit trail, for an operator looking into a problem: searchable, never editable.
    Nobody adds, changes or deletes an event by hand, superusers included."""

    list_display = ["created_at", "actor_name", "action", "target_label", "workshop_id"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "target_label", "=workshop_id", "=organisation_id"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]


@admin.register(OutboxItem)
class OutboxItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Background work waiting, running or given up (see ``core/outbox.py``). Read-only: the
    only thing an operator does here is send an item that ran out of attempts round again."""

    list_display = ["id", "task", "key", "due_at", "attempts", "claimed_until", "done_at"]
    list_filter = ["task", ("done_at", admin.EmptyFieldListFilter)]
    search_fields = ["task", "key"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]

    @admin.action(description=_("Retry now (attempts back to 0, due now)"))
    def retry_now(self, request, queryset) -> None:
        # Only items not done and not claimed by a live worker; the sweep picks them up.
        now = timezone.now()
        count = (
            queryset.filter(done_at__isnull=True)
            .exclude(claimed_until__gte=now)
            .update(attempts=0, due_at=now, last_error="")
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d item will run at the next sweep.",
                "%(count)d items will run at the next sweep.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
