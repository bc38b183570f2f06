"""Reads that the run-sheet pages, the live component and its poll need."""

from django.db.models import Exists, OuterRef, Q

from kpiworkshop.accounts.models import Membership
from kpiworkshop.voting.models import Ballot
from kpiworkshop.workshops.models import Participant, Workshop

from . import rawsql
from .models import Block, RunSheet


def sheet_for_workshop(*, workshop: Workshop) -> RunSheet | None:
    """The sheet with its current block (one query, ``rawsql.sheet_with_block``), or None."""
    return rawsql.sheet_with_block(workshop_id=workshop.pk)


def blocks_for_sheet(*, sheet: RunSheet) -> list[Block]:
    """The blocks in order, with the round each is tied to (one query)."""
    return list(
        Block.objects.filter(sheet=sheet).select_related("action_ballot").order_by("position", "id")
    )


def block_get(*, workshop: Workshop, block_id: int) -> Block | None:
    return (
        Block.objects.select_related("sheet__workshop")
        .filter(sheet__workshop_id=workshop.pk, pk=block_id)
        .first()
    )


def live_sheet_for_viewer(*, workshop_id: int, user, guest_key: str | None) -> RunSheet | None:
    """The poll's one query: the workshop's sheet with its current block, if the viewer may see
    the workshop (joined it, by account or guest cookie, or belongs to its organisation);
    None otherwise, and None when there is no sheet — the poll cannot tell the two apart, so
    nobody learns more than the workshop page tells them."""
    who = []
    if user.is_authenticated:
        who.append(
            Exists(
                Participant.objects.filter(
                    workshop_id=OuterRef("workshop_id"), user_id=user.pk, is_active=True
                )
            )
        )
        who.append(
            Exists(
                Membership.objects.active().filter(
                    organisation_id=OuterRef("workshop__organisation_id"), user_id=user.pk
                )
            )
        )
    if guest_key:
        who.append(
            Exists(
                Participant.objects.filter(
                    workshop_id=OuterRef("workshop_id"), guest_key=guest_key, is_active=True
                )
            )
        )
    if not who:
        return None
    allowed = Q(who[0])
    for condition in who[1:]:
        allowed |= Q(condition)
    return (
        RunSheet.objects.select_related("current_block")
        .filter(workshop_id=workshop_id)
        .filter(allowed)
        .first()
    )


def sheets_to_copy(*, workshop: Workshop) -> list[Workshop]:
    """Other workshops of the same organisation whose run-sheet has blocks, newest first."""
    return list(
        Workshop.objects.filter(organisation_id=workshop.organisation_id)
        .exclude(pk=workshop.pk)
        .filter(Exists(Block.objects.filter(sheet__workshop_id=OuterRef("pk"))))
        .order_by("-created_at")[:50]
    )


def workshop_in_organisation(*, workshop: Workshop, workshop_id: int) -> Workshop | None:
    return Workshop.objects.filter(organisation_id=workshop.organisation_id, pk=workshop_id).first()


def ballots_for_choice(*, workshop: Workshop) -> list[Ballot]:
    return list(Ballot.objects.filter(workshop=workshop).order_by("created_at", "id"))


def block_count(*, sheet: RunSheet) -> int:
    return Block.objects.filter(sheet=sheet).count()


def block_after(*, sheet: RunSheet, block: Block) -> Block | None:
    return (
        Block.objects.filter(sheet=sheet, position__gt=block.position).order_by("position").first()
    )
