from django.contrib import admin

from .models import Comment, LibraryKPI, Proposal, Revision, Suggestion


@admin.register(LibraryKPI)
class LibraryKPIAdmin(admin.ModelAdmin):
    list_display = ["slug", "category", "direction", "frequency"]
    list_filter = ["category"]
    search_fields = ["slug"]


class RevisionInline(admin.TabularInline):
    model = Revision
    fk_name = "proposal"
    fields = ["number", "name", "author", "change_note", "note_code", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workshop", "state", "kind", "created_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["current_revision", "workshop"]
    raw_id_fields = ["workshop", "author", "current_revision", "merged_into", "library_kpi"]
    inlines = [RevisionInline]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "proposal", "stance", "hidden_at", "resolved_at"]
    raw_id_fields = ["proposal", "author", "parent", "hidden_by"]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "proposal", "state", "created_at"]
    raw_id_fields = [
        "proposal", "author", "base_revision", "decided_by", "resulting_revision",
    ]  # fmt: skip
