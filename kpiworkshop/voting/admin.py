"""Ballots in the Django admin, for an operator looking into a problem: read-only, since
ballots change state only through the services (which check permissions and write the audit
trail), and votes are never edited by hand.

Votes: only those of OPEN ballots are listed (read-only), the same who-voted-what the
facilitator of an open ballot sees on its page. A secret ballot's votes have no admin page at
all, not even without a voter column: a vote's proposal, criterion, value, reason and time,
next to a turnout of one or two, would single people out. For a secret ballot the admin shows
counts only (items, voters, votes)."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from kpiworkshop.core.admin import ReadOnlyMixin

from .models import Ballot, BallotItem, Criterion, Vote


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Shows a ballot's rows; the services alone change them."""


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0


class CriterionInline(ReadOnlyInline):
    model = Criterion
    fields = ["position", "label", "code"]
    readonly_fields = ["code"]


class BallotItemInline(ReadOnlyInline):
    model = BallotItem
    fields = ["position", "proposal"]
    raw_id_fields = ["proposal"]


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    list_display = [
        "title", "workshop", "method", "state", "secret", "visibility", "voters", "votes",
        "created_at",
    ]  # fmt: skip
    list_filter = ["method", "state", "secret", "visibility"]
    list_select_related = ["workshop"]
    search_fields = ["title", "workshop__title"]
    inlines = [CriterionInline, BallotItemInline]
    fields = [
        "workshop", "title", "method", "state", "secret", "visibility", "eligible_roles",
        "dot_budget", "dot_cap", "reason_required", "duration_minutes", "opened_at",
        "closes_at", "closed_at", "revealed_at", "created_by", "voters", "votes",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                voters_n=Count("voters", distinct=True), votes_n=Count("votes", distinct=True)
            )
        )

    @admin.display(description=_("voters"), ordering="voters_n")
    def voters(self, ballot: Ballot) -> int:
        return ballot.voters_n

    @admin.display(description=_("votes"), ordering="votes_n")
    def votes(self, ballot: Ballot) -> int:
        return ballot.votes_n


@admin.register(Vote)
class OpenBallotVoteAdmin(ReadOnlyAdmin):
    """Votes of open (non-secret) ballots only: see the module docstring."""

    list_display = ["ballot", "participant", "role", "proposal", "criterion", "value", "updated_at"]
    list_filter = ["role"]
    list_select_related = ["ballot", "participant", "proposal__current_revision", "criterion"]
    fields = [
        "ballot", "participant", "role", "proposal", "criterion", "value", "reason", "updated_at",
    ]  # fmt: skip
    readonly_fields = fields
    search_fields = ["ballot__title", "participant__display_name"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(ballot__secret=False)
