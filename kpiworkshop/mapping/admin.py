from django.contrib import admin

from .models import (
    Audience,
    AudienceLink,
    BusinessGoal,
    GoalLink,
    LinkComment,
    MapSettings,
    ReportingBreakdown,
)


@admin.register(BusinessGoal)
class BusinessGoalAdmin(admin.ModelAdmin):
    list_display = ["name", "name_it", "organisation", "key", "parent", "order", "is_active"]
    list_filter = ["is_active", "organisation"]
    search_fields = ["name", "name_it", "key"]
    raw_id_fields = ["organisation", "parent"]


@admin.register(Audience)
class AudienceAdmin(admin.ModelAdmin):
    list_display = ["name", "name_it", "organisation", "key", "level", "order", "is_active"]
    list_filter = ["is_active", "level", "organisation"]
    search_fields = ["name", "name_it", "key"]
    raw_id_fields = ["organisation"]


@admin.register(GoalLink)
class GoalLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "strength", "created_by", "created_at"]
    list_filter = ["strength"]
    list_select_related = ["goal"]
    raw_id_fields = ["proposal", "goal", "created_by"]


@admin.register(AudienceLink)
class AudienceLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "relation", "cadence", "place", "created_by", "created_at"]
    list_filter = ["relation", "cadence"]
    list_select_related = ["audience"]
    raw_id_fields = ["proposal", "audience", "created_by"]


@admin.register(ReportingBreakdown)
class ReportingBreakdownAdmin(admin.ModelAdmin):
    list_display = ["proposal", "dimension", "value", "created_by"]
    list_filter = ["dimension"]
    raw_id_fields = ["proposal", "created_by"]


@admin.register(MapSettings)
class MapSettingsAdmin(admin.ModelAdmin):
    list_display = ["workshop", "act_on_limit"]
    raw_id_fields = ["workshop"]


@admin.register(LinkComment)
class LinkCommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "goal_link", "audience_link", "author", "created_at"]
    raw_id_fields = ["goal_link", "audience_link", "author"]
