"""Admin for an operator looking into a problem. What has a service (stage moves, joining,
inviting, revoking) stays read-only here, so nothing bypasses its checks and its audit event;
an operator may only correct a display name or switch a participant off."""

from django.contrib import admin

from .models import Invitation, InvitationEmail, Participant, Workshop


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ParticipantInline(ReadOnlyInline):
    model = Participant
    fields = ["display_name", "role", "user", "is_active", "created_at"]
    readonly_fields = fields


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = ["code", "role", "label", "expires_at", "revoked_at", "max_uses"]
    readonly_fields = fields


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "stage", "stage_changed_at", "created_at"]
    list_filter = ["stage"]
    search_fields = ["title", "organisation__name"]
    list_select_related = ["organisation"]
    readonly_fields = [
        "organisation", "stage", "stage_changed_at", "state_version", "created_by", "created_at",
    ]  # fmt: skip
    inlines = [ParticipantInline, InvitationInline]

    def has_add_permission(self, request) -> bool:
        return False  # a workshop is created by a facilitator, who becomes its participant


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["display_name", "workshop", "role", "user", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["display_name", "user__username", "workshop__title"]
    list_select_related = ["workshop", "user"]
    fields = ["workshop", "user", "guest_key", "role", "invitation", "display_name", "is_active"]
    readonly_fields = ["workshop", "user", "guest_key", "role", "invitation"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # their proposals, comments and votes keep them: switch them off instead


class InvitationEmailInline(ReadOnlyInline):
    model = InvitationEmail
    fields = ["email", "sent_at", "created_at"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["code", "workshop", "role", "label", "expires_at", "revoked_at", "max_uses"]
    list_filter = ["role"]
    search_fields = ["=code", "label", "workshop__title"]
    list_select_related = ["workshop"]
    inlines = [InvitationEmailInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # revoking goes through the workshop page, which records who did it

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
