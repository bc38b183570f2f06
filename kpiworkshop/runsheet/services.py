"""Every write to run-sheets: preparing the blocks, and running the session's clock.

Each service locks the sheet's row first (``_lock_sheet``: ``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's IMMEDIATE transactions serialise writers), re-reads the workshop's stage
under that lock and checks the permission against it. A block's action (a stage move, a round
opened, closed or revealed) is carried out by the owning app's services inside a savepoint of
the same transaction: if it is refused (no round prepared, a stage that cannot be reached), the
block still starts, the action is recorded as skipped and the facilitator is told why.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kpiworkshop.core.audit import audit_in_workshop
from kpiworkshop.core.live import live_bump
from kpiworkshop.voting import services as voting_services
from kpiworkshop.voting.models import Ballot, BallotState
from kpiworkshop.workshops import permissions as workshop_permissions
from kpiworkshop.workshops import services as workshop_services
from kpiworkshop.workshops.models import STAGE_ORDER, Participant, Stage, Workshop

from . import permissions, selectors
from .library import BLOCK_TEXTS, TEMPLATES, block_instruction, block_title
from .models import (
    MAX_BLOCKS,
    MAX_MINUTES,
    ActionOutcome,
    Block,
    BlockAction,
    RunSheet,
    SheetState,
)

MAX_TITLE = 120
MAX_INSTRUCTION = 1000
MAX_EXTRA_MINUTES = 60
#: Stages a block can move the workshop to: the ones a facilitator moves to by hand.
ACTION_STAGES = [Stage.PROPOSE, Stage.REFINE, Stage.VOTE, Stage.MAP, Stage.APPROVE]
BALLOT_ACTIONS = {BlockAction.BALLOT_OPEN, BlockAction.BALLOT_CLOSE, BlockAction.BALLOT_REVEAL}


@dataclass
class RunResult:
    """A live control's outcome: the sheet as it is now, and what the facilitator should be
    told about a block action that could not be carried out (empty when all went well)."""

    sheet: RunSheet
    warning: str = ""


def _audit(actor, action: str, sheet: RunSheet, **details) -> None:
    audit_in_workshop(actor=actor, action=action, workshop=sheet.workshop, target=sheet, **details)


def _lock_sheet(workshop: Workshop) -> RunSheet | None:
    """The workshop's sheet, its row locked for the rest of the transaction, with the
    workshop re-read (its stage may have moved since the page was drawn)."""
    sheet = (
        RunSheet.objects.select_for_update(of=("self",))
        .select_related("workshop__organisation")
        .filter(workshop_id=workshop.pk)
        .first()
    )
    return sheet


def _bump(sheet: RunSheet, *fields: str) -> None:
    """Save the sheet's changed fields and move its version (inside the lock: exact)."""
    sheet.version = F("version") + 1
    sheet.save(update_fields=[*fields, "version", "updated_at"])
    sheet.refresh_from_db(fields=["version"])
    # Phones and the projector learn of it within a second (``core.live``, after commit).
    live_bump(workshop_id=sheet.workshop_id)


def _editable_sheet(actor: Participant | None, workshop: Workshop) -> RunSheet:
    sheet = _lock_sheet(workshop)
    if sheet is None:
        if not permissions.can_edit_sheet(actor, workshop):
            raise PermissionDenied
        raise ValidationError(_("This workshop has no run-sheet yet."))
    if not permissions.can_edit_sheet(actor, sheet.workshop):
        raise PermissionDenied
    if not sheet.is_editable:
        raise ValidationError(
            _("The session has started: the run-sheet can no longer be changed."), code="live"
        )
    return sheet


def _blocks(sheet: RunSheet) -> list[Block]:
    return list(Block.objects.filter(sheet=sheet).order_by("position", "id"))


def _renumber(blocks: list[Block]) -> None:
    """Give the blocks positions 0…n-1 in the order given. In two steps, so that the unique
    (sheet, position) constraint holds after each statement."""
    if not blocks:
        return
    top = max(b.position for b in blocks) + 1
    for i, block in enumerate(blocks):
        block.position = top + i
    Block.objects.bulk_update(blocks, ["position"])
    for i, block in enumerate(blocks):
        block.position = i
    Block.objects.bulk_update(blocks, ["position"])


# --- preparing ----------------------------------------------------------------------------------


@transaction.atomic
def runsheet_prepare(
    *,
    actor: Participant | None,
    workshop: Workshop,
    template: str = "",
    source_workshop: Workshop | None = None,
) -> RunSheet:
    """Create the workshop's run-sheet (if it has none) and fill it: from a built-in template,
    from the sheet of another workshop of the same organisation, or empty (from scratch).
    Blocks already there are replaced; refused once the session has started."""
    if not permissions.can_edit_sheet(actor, workshop):
        raise PermissionDenied
    if template and template not in TEMPLATES:
        raise ValidationError({"template": _("Choose one of the templates.")})
    if template and source_workshop is not None:
        raise ValidationError(_("Start from a template or from a past workshop, not both."))
    source_blocks: list[Block] = []
    if source_workshop is not None:
        if (
            source_workshop.organisation_id != workshop.organisation_id
            or source_workshop.pk == workshop.pk
        ):
            raise ValidationError({"source": _("Choose a past workshop of this organisation.")})
        source_blocks = list(
            Block.objects.filter(sheet__workshop=source_workshop).order_by("position", "id")
        )
        if not source_blocks:
            raise ValidationError({"source": _("That workshop has no run-sheet to copy.")})
    RunSheet.objects.get_or_create(workshop=workshop)
    sheet = _editable_sheet(actor, workshop)
    Block.objects.filter(sheet=sheet).delete()
    new_blocks = []
    if template:
        _name, rows = TEMPLATES[template]
        for i, (code, minutes, action, stage) in enumerate(rows):
            title, instruction = BLOCK_TEXTS[code]
            new_blocks.append(
                Block(
                    sheet=sheet,
                    position=i,
                    title=_english(title),
                    title_code=code,
                    instruction=_english(instruction),
                    instruction_code=code,
                    planned_minutes=minutes,
                    action=action,
                    action_stage=stage,
                )
            )
    for i, old in enumerate(source_blocks):
        # Rounds belong to their workshop: a copied block opens "the next round" instead.
        new_blocks.append(
            Block(
                sheet=sheet,
                position=i,
                title=old.title,
                title_code=old.title_code,
                instruction=old.instruction,
                instruction_code=old.instruction_code,
                planned_minutes=old.planned_minutes,
                action=old.action,
                action_stage=old.action_stage,
            )
        )
    Block.objects.bulk_create(new_blocks)
    _bump(sheet)
    _audit(
        actor,
        "runsheet.prepare",
        sheet,
        template=template,
        source=source_workshop.pk if source_workshop else None,
        blocks=len(new_blocks),
    )
    return sheet


def _english(text) -> str:
    from django.utils import translation

    with translation.override("en"):
        return str(text)


def _clean_block(
    *,
    workshop: Workshop,
    title: str,
    instruction: str,
    planned_minutes,
    action: str,
    action_stage: str,
    action_ballot_id: int | None,
) -> dict:
    """Check a block's fields; every problem at once, by field."""
    errors: dict[str, str] = {}
    title = " ".join((title or "").split())
    instruction = (instruction or "").strip()
    if not title:
        errors["title"] = _("Give the block a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("Keep the title under %(n)d characters.") % {"n": MAX_TITLE}
    if len(instruction) > MAX_INSTRUCTION:
        errors["instruction"] = _("Keep the instruction under %(n)d characters.") % {
            "n": MAX_INSTRUCTION
        }
    try:
        minutes = int(planned_minutes)
    except (TypeError, ValueError):
        minutes = None
    if minutes is None or not 1 <= minutes <= MAX_MINUTES:
        errors["planned_minutes"] = _("Between 1 and %(n)d minutes.") % {"n": MAX_MINUTES}
    action = action or ""
    if action not in BlockAction.values:
        errors["action"] = _("Choose what happens when the block starts.")
    stage = ""
    if action == BlockAction.STAGE:
        stage = action_stage or ""
        if stage not in ACTION_STAGES:
            errors["action_stage"] = _("Choose the stage to move to.")
    ballot = None
    if action in BALLOT_ACTIONS and action_ballot_id:
        ballot = Ballot.objects.filter(workshop=workshop, pk=action_ballot_id).first()
        if ballot is None:
            errors["action_ballot"] = _("Choose a voting round of this workshop.")
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "instruction": instruction,
        "planned_minutes": minutes,
        "action": action,
        "action_stage": stage,
        "action_ballot": ballot,
    }


@transaction.atomic
def block_add(
    *,
    actor: Participant | None,
    workshop: Workshop,
    title: str,
    planned_minutes,
    instruction: str = "",
    action: str = "",
    action_stage: str = "",
    action_ballot_id: int | None = None,
) -> Block:
    """Add a block at the end of the sheet (created, empty, if the workshop had none)."""
    if not permissions.can_edit_sheet(actor, workshop):
        raise PermissionDenied
    RunSheet.objects.get_or_create(workshop=workshop)
    sheet = _editable_sheet(actor, workshop)
    fields = _clean_block(
        workshop=sheet.workshop,
        title=title,
        instruction=instruction,
        planned_minutes=planned_minutes,
        action=action,
        action_stage=action_stage,
        action_ballot_id=action_ballot_id,
    )
    blocks = _blocks(sheet)
    if len(blocks) >= MAX_BLOCKS:
        raise ValidationError(_("A run-sheet holds at most %(n)d blocks.") % {"n": MAX_BLOCKS})
    block = Block(sheet=sheet, position=len(blocks), **fields)
    block.full_clean(exclude=["sheet"])
    _renumber(blocks)  # positions 0…n-1 before the new one takes n
    block.save()
    _bump(sheet)
    _audit(actor, "runsheet.block_add", sheet, block=block.pk, minutes=block.planned_minutes)
    return block


@transaction.atomic
def block_update(
    *,
    actor: Participant | None,
    block: Block,
    title: str,
    planned_minutes,
    instruction: str = "",
    action: str = "",
    action_stage: str = "",
    action_ballot_id: int | None = None,
) -> Block:
    """Change a block. A template's text left as shown keeps its code (and so its
    translations); a changed text is stored as typed."""
    sheet = _editable_sheet(actor, block.sheet.workshop)
    block = Block.objects.get(pk=block.pk, sheet=sheet)
    fields = _clean_block(
        workshop=sheet.workshop,
        title=title,
        instruction=instruction,
        planned_minutes=planned_minutes,
        action=action,
        action_stage=action_stage,
        action_ballot_id=action_ballot_id,
    )
    if block.title_code and fields["title"] not in _shown(block.title_code, block_title):
        block.title_code = ""
    if block.instruction_code and fields["instruction"] not in _shown(
        block.instruction_code, block_instruction
    ):
        block.instruction_code = ""
    for name, value in fields.items():
        setattr(block, name, value)
    block.full_clean(exclude=["sheet"])
    block.save()
    _bump(sheet)
    _audit(actor, "runsheet.block_update", sheet, block=block.pk, minutes=block.planned_minutes)
    return block


def _shown(code: str, text_of) -> set[str]:
    """The ways a template's text can come back from the form unchanged: in the language the
    facilitator read it in, and in English."""
    from django.utils import translation

    with translation.override("en"):
        english = text_of(code)
    return {text_of(code).strip(), english.strip(), " ".join(text_of(code).split())}


@transaction.atomic
def block_delete(*, actor: Participant | None, block: Block) -> None:
    sheet = _editable_sheet(actor, block.sheet.workshop)
    Block.objects.filter(pk=block.pk, sheet=sheet).delete()
    _renumber(_blocks(sheet))
    _bump(sheet)
    _audit(actor, "runsheet.block_delete", sheet, block=block.pk)


@transaction.atomic
def block_move(
    *, actor: Participant | None, block: Block, direction: str, expected_position: int | None
) -> Block:
    """Move a block one place up or down. ``expected_position`` is where the facilitator's page
    showed it: if another edit moved it meanwhile, nothing changes and they are told."""
    sheet = _editable_sheet(actor, block.sheet.workshop)
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a block up or down."))
    blocks = _blocks(sheet)
    index = next((i for i, b in enumerate(blocks) if b.pk == block.pk), None)
    if index is None:
        raise ValidationError(_("This block is no longer on the run-sheet."))
    if expected_position is not None and blocks[index].position != expected_position:
        raise ValidationError(_("The run-sheet changed in the meantime. Check and try again."))
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(blocks):
        return blocks[index]
    blocks[index], blocks[other] = blocks[other], blocks[index]
    _renumber(blocks)
    _bump(sheet)
    _audit(actor, "runsheet.reorder", sheet, block=block.pk, direction=direction)
    return blocks[other]


@transaction.atomic
def blocks_reorder(*, actor: Participant | None, workshop: Workshop, order: list[int]) -> None:
    """Put the blocks in the order given (the ids of all of them, each once: a drag and drop)."""
    sheet = _editable_sheet(actor, workshop)
    blocks = _blocks(sheet)
    by_id = {b.pk: b for b in blocks}
    if len(order) != len(set(order)) or set(order) != set(by_id):
        raise ValidationError(_("The run-sheet changed in the meantime. Check and try again."))
    _renumber([by_id[pk] for pk in order])
    _bump(sheet)
    _audit(actor, "runsheet.reorder", sheet, blocks=len(order))


# --- running ------------------------------------------------------------------------------------


def _running_sheet(actor: Participant | None, workshop: Workshop, expected_block_id) -> RunSheet:
    """The sheet locked, checked as running and still at the block the facilitator's page
    showed (``expected_block_id``): a stale request changes nothing."""
    sheet = _lock_sheet(workshop)
    if sheet is None or not permissions.can_run_sheet(actor, sheet.workshop):
        if not permissions.can_run_sheet(actor, workshop):
            raise PermissionDenied
        raise ValidationError(_("This workshop has no run-sheet yet."))
    if sheet.state == SheetState.FINISHED:
        # A press from a page that still showed the last block: stale, like any other.
        raise ValidationError(_("The session has ended."), code="stale")
    if not sheet.is_running:
        raise ValidationError(_("The session is not running."), code="not_running")
    if expected_block_id is None or str(sheet.current_block_id) != str(expected_block_id):
        raise ValidationError(
            _("Someone moved the session on in the meantime: here is where it is now."),
            code="stale",
        )
    sheet.current_block = Block.objects.get(pk=sheet.current_block_id)
    return sheet


@transaction.atomic
def runsheet_set_hold_open_text(
    *, actor: Participant | None, workshop: Workshop, hold: bool
) -> RunSheet:
    """Choose whether starting the session holds open text for the projector (live mode).
    Set while the sheet is being prepared, like its blocks."""
    sheet = _editable_sheet(actor, workshop)
    hold = bool(hold)
    if sheet.hold_open_text == hold:
        return sheet
    sheet.hold_open_text = hold
    _bump(sheet, "hold_open_text")
    _audit(actor, "runsheet.hold_open_text", sheet, hold=hold)
    return sheet


@transaction.atomic
def runsheet_start(*, actor: Participant | None, workshop: Workshop) -> RunResult:
    """Start the session: the first block's clock starts and its action is carried out.
    Locks the sheet row, so a second "start" pressed at once is refused."""
    sheet = _lock_sheet(workshop)
    if not permissions.can_run_sheet(actor, sheet.workshop if sheet else workshop):
        raise PermissionDenied
    if sheet is None:
        raise ValidationError(_("This workshop has no run-sheet yet."))
    if sheet.state != SheetState.READY:
        raise ValidationError(_("The session has already started."), code="stale")
    blocks = _blocks(sheet)
    if not blocks:
        raise ValidationError(_("Add a block before starting the session."))
    now = timezone.now()
    first = blocks[0]
    first.started_at = now
    sheet.state = SheetState.LIVE
    sheet.started_at = now
    sheet.current_block = first
    if sheet.hold_open_text and not sheet.workshop.hold_open_text:
        # Live mode: open text waits for the facilitator while the session runs (audited by
        # the workshops service, which also tells the room).
        workshop_services.workshop_set_hold_open_text(
            actor=actor, workshop=sheet.workshop, hold=True
        )
        sheet.hold_turned_on = True
    warning = _block_action(actor, sheet, first)
    first.save(update_fields=["started_at", "action_outcome", "action_ballot", "updated_at"])
    _bump(sheet, "state", "started_at", "current_block", "hold_turned_on")
    _audit(actor, "runsheet.start", sheet, block=first.pk)
    return RunResult(sheet, warning)


@transaction.atomic
def runsheet_next(*, actor: Participant | None, workshop: Workshop, expected_block_id) -> RunResult:
    """End the current block and start the next one, carrying out its action; after the last
    block, end the session.

    Locks the sheet row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions
    serialise writers): two facilitators pressing "next" at once move the session one block.
    The request that comes second names a block that is no longer current, so it is refused
    with ValidationError (code "stale") and changes nothing.
    """
    sheet = _running_sheet(actor, workshop, expected_block_id)
    now = timezone.now()
    current = sheet.current_block
    if current.paused_at is not None:
        current.paused_seconds += _seconds(now - current.paused_at)
        current.paused_at = None
    current.ended_at = now
    current.save(update_fields=["ended_at", "paused_at", "paused_seconds", "updated_at"])
    following = selectors.block_after(sheet=sheet, block=current)
    warning = ""
    if following is None:
        sheet.state = SheetState.FINISHED
        sheet.finished_at = now
        sheet.current_block = None
        if sheet.hold_turned_on:
            # The start switched holding on: the end switches it off (text still waiting stays
            # in the queue for the facilitator).
            workshop_services.workshop_set_hold_open_text(
                actor=actor, workshop=sheet.workshop, hold=False
            )
            sheet.hold_turned_on = False
        _bump(sheet, "state", "finished_at", "current_block", "hold_turned_on")
        _audit(actor, "runsheet.finish", sheet, block=current.pk)
        return RunResult(sheet)
    following.started_at = now
    sheet.state = SheetState.LIVE
    sheet.current_block = following
    warning = _block_action(actor, sheet, following)
    following.save(update_fields=["started_at", "action_outcome", "action_ballot", "updated_at"])
    _bump(sheet, "state", "current_block")
    _audit(actor, "runsheet.next", sheet, block=following.pk, previous=current.pk)
    return RunResult(sheet, warning)


def _seconds(delta) -> int:
    return max(0, round(delta.total_seconds()))


@transaction.atomic
def runsheet_pause(*, actor: Participant | None, workshop: Workshop, expected_block_id) -> RunSheet:
    """Stop the countdown where it is (late joiners see it stopped too). Pausing a paused
    sheet changes nothing."""
    sheet = _running_sheet(actor, workshop, expected_block_id)
    if sheet.state == SheetState.PAUSED:
        return sheet
    block = sheet.current_block
    block.paused_at = timezone.now()
    block.save(update_fields=["paused_at", "updated_at"])
    sheet.state = SheetState.PAUSED
    _bump(sheet, "state")
    _audit(actor, "runsheet.pause", sheet, block=block.pk)
    return sheet


@transaction.atomic
def runsheet_resume(
    *, actor: Participant | None, workshop: Workshop, expected_block_id
) -> RunSheet:
    """Let the countdown run on from where it stopped."""
    sheet = _running_sheet(actor, workshop, expected_block_id)
    if sheet.state != SheetState.PAUSED:
        return sheet
    block = sheet.current_block
    if block.paused_at is not None:
        block.paused_seconds += _seconds(timezone.now() - block.paused_at)
    block.paused_at = None
    block.save(update_fields=["paused_at", "paused_seconds", "updated_at"])
    sheet.state = SheetState.LIVE
    _bump(sheet, "state")
    _audit(actor, "runsheet.resume", sheet, block=block.pk)
    return sheet


@transaction.atomic
def runsheet_extend(
    *, actor: Participant | None, workshop: Workshop, expected_block_id, minutes: int = 5
) -> RunSheet:
    """Give the current block more time (each press adds: two presses, twice the time)."""
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_EXTRA_MINUTES:
        raise ValidationError(_("Add between 1 and %(n)d minutes.") % {"n": MAX_EXTRA_MINUTES})
    sheet = _running_sheet(actor, workshop, expected_block_id)
    block = sheet.current_block
    if block.extra_minutes + minutes > MAX_MINUTES:
        raise ValidationError(_("This block already has all the extra time it can take."))
    block.extra_minutes += minutes
    block.save(update_fields=["extra_minutes", "updated_at"])
    _bump(sheet)
    _audit(actor, "runsheet.extend", sheet, block=block.pk, minutes=minutes)
    return sheet


@transaction.atomic
def runsheet_reveal(*, actor: Participant | None, workshop: Workshop, expected_block_id) -> Ballot:
    """Reveal the results of the current block's round (else of the round opened last),
    closing it first if it is still open. The reveal itself is voting's service."""
    sheet = _running_sheet(actor, workshop, expected_block_id)
    ballot = sheet.current_block.action_ballot or _latest_opened(sheet.workshop)
    if ballot is None:
        raise ValidationError(_("No voting round has been opened yet."))
    return _reveal(actor, ballot)


# --- block actions ------------------------------------------------------------------------------


def _oldest_draft(workshop: Workshop) -> Ballot | None:
    return (
        Ballot.objects.filter(workshop=workshop, state=BallotState.DRAFT)
        .order_by("created_at", "id")
        .first()
    )


def _latest_open(workshop: Workshop) -> Ballot | None:
    return (
        Ballot.objects.filter(workshop=workshop, state=BallotState.OPEN)
        .order_by("-opened_at", "-id")
        .first()
    )


def _latest_opened(workshop: Workshop) -> Ballot | None:
    return (
        Ballot.objects.filter(workshop=workshop, opened_at__isnull=False)
        .order_by("-opened_at", "-id")
        .first()
    )


def _reveal(actor, ballot: Ballot) -> Ballot:
    if ballot.state == BallotState.OPEN:
        ballot = voting_services.ballot_close(actor=actor, ballot=ballot)
    return voting_services.ballot_reveal(actor=actor, ballot=ballot)


def _stage_reach(actor, workshop: Workshop, target: str) -> Workshop:
    """Move the workshop forward, one stage at a time (each move the workshops service's own,
    audited), until it is in ``target``. Never backwards: a sheet replayed late does not undo
    the room's work."""
    if STAGE_ORDER.index(target) < STAGE_ORDER.index(workshop.stage):
        raise ValidationError(
            _("The workshop is already past the “%(stage)s” stage.")
            % {"stage": Stage(target).label}
        )
    while workshop.stage != target:
        _previous, following = workshop_permissions.stage_moves(workshop)
        if following is None or STAGE_ORDER.index(following) > STAGE_ORDER.index(target):
            raise ValidationError(
                _("The workshop cannot move to the “%(stage)s” stage from here.")
                % {"stage": Stage(target).label}
            )
        workshop = workshop_services.workshop_set_stage(
            actor=actor, workshop=workshop, stage=following, expected_stage=workshop.stage
        )
    return workshop


def _block_action(actor, sheet: RunSheet, block: Block) -> str:
    """Carry out the block's action as the facilitator who moved on; return why it could not
    be, or "". Inside a savepoint: a refused action undoes only itself."""
    if not block.action:
        return ""
    ballot = block.action_ballot
    try:
        with transaction.atomic():
            if block.action == BlockAction.STAGE:
                sheet.workshop = _stage_reach(actor, sheet.workshop, block.action_stage)
            elif block.action == BlockAction.BALLOT_OPEN:
                ballot = ballot or _oldest_draft(sheet.workshop)
                if ballot is None:
                    raise ValidationError(
                        _("There is no voting round waiting to be opened: create one first.")
                    )
                ballot = voting_services.ballot_open(actor=actor, ballot=ballot)
            elif block.action == BlockAction.BALLOT_CLOSE:
                ballot = ballot or _latest_open(sheet.workshop)
                if ballot is None:
                    raise ValidationError(_("No voting round is open."))
                ballot = voting_services.ballot_close(actor=actor, ballot=ballot)
            elif block.action == BlockAction.BALLOT_REVEAL:
                ballot = ballot or _latest_opened(sheet.workshop)
                if ballot is None:
                    raise ValidationError(_("No voting round has been opened yet."))
                ballot = _reveal(actor, ballot)
            # COVERAGE writes nothing: the screens offer the coverage view while it runs.
    except (ValidationError, PermissionDenied) as exc:
        block.action_outcome = ActionOutcome.SKIPPED
        text = " ".join(getattr(exc, "messages", [])) or _("You cannot do that here.")
        warning = _("The block started, but its action was skipped: %(why)s") % {"why": text}
    else:
        block.action_outcome = ActionOutcome.DONE
        block.action_ballot = ballot
        warning = ""
    _audit(
        actor,
        "runsheet.action",
        sheet,
        block=block.pk,
        kind=block.action,
        outcome=block.action_outcome,
        ballot=ballot.pk if ballot else None,
    )
    return warning
