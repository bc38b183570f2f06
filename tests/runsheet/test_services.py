"""Run-sheet services: preparing, editing, the clock, moving on and its actions, bad input."""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from kpiworkshop.accounts.models import Role
from kpiworkshop.core.audit import audit_action_label
from kpiworkshop.core.models import AuditEvent
from kpiworkshop.runsheet import services
from kpiworkshop.runsheet.models import ActionOutcome, Block, RunSheet, SheetState
from kpiworkshop.voting import services as voting_services
from kpiworkshop.voting.models import BallotState, Method
from kpiworkshop.workshops.models import Stage
from tests.factories import ParticipantFactory, WorkshopFactory

from .conftest import add_blocks, make_proposal


@contextmanager
def clock_at(moment):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def sheet_of(workshop) -> RunSheet:
    return RunSheet.objects.select_related("current_block").get(workshop=workshop)


def titles(workshop) -> list[str]:
    return list(
        Block.objects.filter(sheet__workshop=workshop)
        .order_by("position")
        .values_list("title", flat=True)
    )


# --- preparing ------------------------------------------------------------------------------


def test_prepare_from_a_template_makes_its_blocks_shown_in_each_readers_language(
    workshop, facilitator
):
    sheet = services.runsheet_prepare(actor=facilitator, workshop=workshop, template="two_hour")
    blocks = list(sheet.blocks.order_by("position"))
    assert [b.planned_minutes for b in blocks] == [10, 30, 20, 10, 10, 20, 20]
    assert sum(b.planned_minutes for b in blocks) == 120
    assert blocks[0].title == "Welcome and goals"
    assert blocks[4].action == "ballot_open"
    with translation.override("it"):
        assert blocks[0].title_text == "Benvenuto e obiettivi"
        assert blocks[0].instruction_text.startswith("Perché siamo qui")


def test_half_day_template_has_mapping_and_coverage(workshop, facilitator):
    sheet = services.runsheet_prepare(actor=facilitator, workshop=workshop, template="half_day")
    actions = [(b.action, b.action_stage) for b in sheet.blocks.order_by("position")]
    assert ("stage", "map") in actions
    assert ("coverage", "") in actions
    assert sum(b.planned_minutes for b in sheet.blocks.all()) == 240


def test_prepare_copies_the_sheet_of_a_past_workshop_of_the_same_organisation(
    workshop, facilitator, organisation
):
    past = WorkshopFactory(organisation=organisation)
    past_facilitator = ParticipantFactory(
        workshop=past, role=Role.FACILITATOR, user=facilitator.user
    )
    add_blocks(past_facilitator, past, ("Warm-up", 7), ("Ideas", 25, "stage", "propose"))
    services.runsheet_prepare(actor=facilitator, workshop=workshop, source_workshop=past)
    assert titles(workshop) == ["Warm-up", "Ideas"]
    copied = Block.objects.get(sheet__workshop=workshop, title="Ideas")
    assert (copied.planned_minutes, copied.action, copied.action_stage) == (25, "stage", "propose")


def test_prepare_refuses_another_organisations_workshop(workshop, facilitator):
    foreign = ParticipantFactory(role=Role.FACILITATOR)
    add_blocks(foreign, foreign.workshop, ("Secret plan", 5))
    with pytest.raises(ValidationError):
        services.runsheet_prepare(
            actor=facilitator, workshop=workshop, source_workshop=foreign.workshop
        )
    assert not Block.objects.filter(sheet__workshop=workshop).exists()


def test_prepare_refuses_an_unknown_template(workshop, facilitator):
    with pytest.raises(ValidationError):
        services.runsheet_prepare(actor=facilitator, workshop=workshop, template="nope")
    assert not RunSheet.objects.filter(workshop=workshop).exists()


@pytest.mark.parametrize("who", ["agent", "guest_facilitator", "other_org", "anonymous"])
def test_only_a_member_facilitator_prepares(who, workshop, agent):
    actor = {
        "agent": agent,
        "guest_facilitator": ParticipantFactory(
            workshop=workshop, role=Role.FACILITATOR, guest=True
        ),
        "other_org": ParticipantFactory(role=Role.FACILITATOR),
        "anonymous": None,
    }[who]
    with pytest.raises(PermissionDenied):
        services.runsheet_prepare(actor=actor, workshop=workshop, template="two_hour")
    with pytest.raises(PermissionDenied):
        services.block_add(actor=actor, workshop=workshop, title="X", planned_minutes=5)
    assert not RunSheet.objects.filter(workshop=workshop).exists()


# --- editing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "Vote", "planned_minutes": -5}, "planned_minutes"),
        ({"title": "Vote", "planned_minutes": 0}, "planned_minutes"),
        ({"title": "Vote", "planned_minutes": 100000}, "planned_minutes"),
        ({"title": "Vote", "planned_minutes": "ten"}, "planned_minutes"),
        ({"title": "   ", "planned_minutes": 5}, "title"),
        ({"title": "x" * 121, "planned_minutes": 5}, "title"),
        ({"title": "Vote", "planned_minutes": 5, "action": "explode"}, "action"),
        ({"title": "Vote", "planned_minutes": 5, "action": "stage"}, "action_stage"),
        (
            {"title": "Vote", "planned_minutes": 5, "action": "stage", "action_stage": "published"},
            "action_stage",
        ),
    ],
)
def test_bad_block_input_is_refused_and_changes_nothing(workshop, facilitator, fields, field):
    add_blocks(facilitator, workshop, ("Welcome", 5))
    version = sheet_of(workshop).version
    with pytest.raises(ValidationError) as exc:
        services.block_add(actor=facilitator, workshop=workshop, **fields)
    assert field in exc.value.error_dict
    assert titles(workshop) == ["Welcome"]
    assert sheet_of(workshop).version == version


def test_a_block_cannot_name_another_workshops_round(workshop, facilitator):
    foreign = ParticipantFactory(role=Role.FACILITATOR)
    foreign.workshop.stage = Stage.VOTE
    foreign.workshop.save()
    make_proposal(foreign.workshop, foreign, "FCR")
    ballot = voting_services.ballot_create(
        actor=foreign, workshop=foreign.workshop, title="Theirs", method=Method.APPROVAL
    )
    with pytest.raises(ValidationError) as exc:
        services.block_add(
            actor=facilitator,
            workshop=workshop,
            title="Vote",
            planned_minutes=5,
            action="ballot_open",
            action_ballot_id=ballot.pk,
        )
    assert "action_ballot" in exc.value.error_dict


def test_move_and_reorder_keep_positions_whole(workshop, facilitator, three_blocks):
    welcome, propose, vote = three_blocks
    services.block_move(actor=facilitator, block=vote, direction="up", expected_position=2)
    assert titles(workshop) == ["Welcome", "Vote", "Propose"]
    # Moving the first block up changes nothing.
    services.block_move(actor=facilitator, block=welcome, direction="up", expected_position=0)
    assert titles(workshop) == ["Welcome", "Vote", "Propose"]
    services.blocks_reorder(
        actor=facilitator, workshop=workshop, order=[propose.pk, welcome.pk, vote.pk]
    )
    assert titles(workshop) == ["Propose", "Welcome", "Vote"]
    positions = list(
        Block.objects.filter(sheet__workshop=workshop)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert positions == [0, 1, 2]


def test_a_move_made_on_a_stale_page_changes_nothing(workshop, facilitator, three_blocks):
    _welcome, _propose, vote = three_blocks
    with pytest.raises(ValidationError):
        services.block_move(actor=facilitator, block=vote, direction="up", expected_position=0)
    assert titles(workshop) == ["Welcome", "Propose", "Vote"]


@pytest.mark.parametrize("kind", ["empty", "foreign", "missing", "duplicate"])
def test_reorder_with_a_wrong_list_is_refused(workshop, facilitator, three_blocks, kind):
    ids = [b.pk for b in three_blocks]
    order = {
        "empty": [],
        "foreign": [*ids, 10**9],
        "missing": ids[:2],
        "duplicate": [ids[0], ids[0], ids[1]],
    }[kind]
    with pytest.raises(ValidationError):
        services.blocks_reorder(actor=facilitator, workshop=workshop, order=order)
    assert titles(workshop) == ["Welcome", "Propose", "Vote"]


def test_editing_a_template_text_keeps_it_translated_only_while_unchanged(workshop, facilitator):
    services.runsheet_prepare(actor=facilitator, workshop=workshop, template="two_hour")
    block = Block.objects.get(sheet__workshop=workshop, position=0)
    with translation.override("it"):
        services.block_update(
            actor=facilitator,
            block=block,
            title=block.title_text,
            instruction=block.instruction_text,
            planned_minutes=12,
        )
    block.refresh_from_db()
    assert block.title_code == "welcome" and block.planned_minutes == 12
    services.block_update(
        actor=facilitator, block=block, title="Coffee and goals", planned_minutes=12
    )
    block.refresh_from_db()
    assert block.title_code == "" and block.title_text == "Coffee and goals"


def test_the_sheet_cannot_be_edited_while_live(workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    welcome, propose, vote = three_blocks
    me = {"actor": facilitator}
    order = [vote.pk, propose.pk, welcome.pk]
    attempts = [
        lambda: services.block_add(**me, workshop=workshop, title="X", planned_minutes=1),
        lambda: services.block_update(**me, block=vote, title="Y", planned_minutes=1),
        lambda: services.block_delete(**me, block=vote),
        lambda: services.block_move(**me, block=vote, direction="up", expected_position=2),
        lambda: services.blocks_reorder(**me, workshop=workshop, order=order),
        lambda: services.runsheet_prepare(**me, workshop=workshop, template="two_hour"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert exc.value.code == "live"
    assert titles(workshop) == ["Welcome", "Propose", "Vote"]
    assert Block.objects.get(pk=vote.pk).planned_minutes == 8


# --- the clock ------------------------------------------------------------------------------


def test_start_runs_the_first_block_and_the_clock_lives_in_the_database(
    workshop, facilitator, three_blocks
):
    t0 = timezone.now()
    with clock_at(t0):
        services.runsheet_start(actor=facilitator, workshop=workshop)
    # A "restart": nothing kept in memory, the row read afresh.
    sheet = sheet_of(workshop)
    assert sheet.state == SheetState.LIVE
    assert sheet.current_block.title == "Welcome"
    assert sheet.current_block.remaining_seconds(t0 + timedelta(seconds=61)) == 5 * 60 - 61
    assert sheet.current_block.ends_at == t0 + timedelta(minutes=5)


def test_start_twice_is_refused(workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    with pytest.raises(ValidationError):
        services.runsheet_start(actor=facilitator, workshop=workshop)


def test_start_an_empty_sheet_is_refused(workshop, facilitator):
    services.runsheet_prepare(actor=facilitator, workshop=workshop)
    with pytest.raises(ValidationError):
        services.runsheet_start(actor=facilitator, workshop=workshop)
    assert sheet_of(workshop).state == SheetState.READY


def test_pause_keeps_the_time_left_and_resume_runs_on_from_there(
    workshop, facilitator, three_blocks
):
    t0 = timezone.now()
    with clock_at(t0):
        services.runsheet_start(actor=facilitator, workshop=workshop)
    block_id = three_blocks[0].pk
    with clock_at(t0 + timedelta(seconds=60)):
        services.runsheet_pause(actor=facilitator, workshop=workshop, expected_block_id=block_id)
        # Pausing twice changes nothing.
        services.runsheet_pause(actor=facilitator, workshop=workshop, expected_block_id=block_id)
    sheet = sheet_of(workshop)
    assert sheet.state == SheetState.PAUSED
    # A late joiner ten minutes on sees it stopped at 4:00.
    assert sheet.current_block.remaining_seconds(t0 + timedelta(minutes=10)) == 240
    with clock_at(t0 + timedelta(seconds=360)):
        services.runsheet_resume(actor=facilitator, workshop=workshop, expected_block_id=block_id)
    sheet = sheet_of(workshop)
    assert sheet.state == SheetState.LIVE
    assert sheet.current_block.paused_seconds == 300
    assert sheet.current_block.remaining_seconds(t0 + timedelta(seconds=390)) == 210


def test_extend_adds_five_minutes_per_press(workshop, facilitator, three_blocks):
    t0 = timezone.now()
    with clock_at(t0):
        services.runsheet_start(actor=facilitator, workshop=workshop)
        for _ in range(2):
            services.runsheet_extend(
                actor=facilitator, workshop=workshop, expected_block_id=three_blocks[0].pk
            )
    assert sheet_of(workshop).current_block.remaining_seconds(t0) == 15 * 60


@pytest.mark.parametrize("minutes", [0, -5, 61, "5"])
def test_extend_refuses_odd_amounts(workshop, facilitator, three_blocks, minutes):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    with pytest.raises(ValidationError):
        services.runsheet_extend(
            actor=facilitator,
            workshop=workshop,
            expected_block_id=three_blocks[0].pk,
            minutes=minutes,
        )
    assert sheet_of(workshop).current_block.extra_minutes == 0


def test_next_moves_one_block_and_records_the_actual_time(workshop, facilitator, three_blocks):
    t0 = timezone.now()
    with clock_at(t0):
        services.runsheet_start(actor=facilitator, workshop=workshop)
    with clock_at(t0 + timedelta(seconds=400)):
        services.runsheet_next(
            actor=facilitator, workshop=workshop, expected_block_id=three_blocks[0].pk
        )
    welcome = Block.objects.get(pk=three_blocks[0].pk)
    assert welcome.actual_seconds == 400
    assert sheet_of(workshop).current_block_id == three_blocks[1].pk


def test_a_stale_next_changes_nothing(workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    first = three_blocks[0].pk
    services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=first)
    version = sheet_of(workshop).version
    # A second facilitator's page still showed the first block.
    with pytest.raises(ValidationError) as exc:
        services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=first)
    assert exc.value.code == "stale"
    sheet = sheet_of(workshop)
    assert (sheet.current_block_id, sheet.version) == (three_blocks[1].pk, version)
    assert Block.objects.get(pk=three_blocks[1].pk).ended_at is None


@pytest.mark.parametrize("control", ["next", "pause", "resume", "extend", "reveal"])
def test_controls_without_a_block_or_before_the_start_are_refused(
    workshop, facilitator, three_blocks, control
):
    call = getattr(services, f"runsheet_{control}")
    with pytest.raises(ValidationError):
        call(actor=facilitator, workshop=workshop, expected_block_id=three_blocks[0].pk)
    services.runsheet_start(actor=facilitator, workshop=workshop)
    with pytest.raises(ValidationError):
        call(actor=facilitator, workshop=workshop, expected_block_id=None)


def test_next_after_the_last_block_ends_the_session(workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    for block in three_blocks:
        services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=block.pk)
    sheet = sheet_of(workshop)
    assert sheet.state == SheetState.FINISHED
    assert sheet.current_block is None and sheet.finished_at is not None
    assert all(b.ended_at for b in Block.objects.filter(sheet=sheet))


def test_a_guest_with_a_facilitator_role_cannot_reach_the_controls(
    workshop, facilitator, three_blocks
):
    guest = ParticipantFactory(workshop=workshop, role=Role.FACILITATOR, guest=True)
    with pytest.raises(PermissionDenied):
        services.runsheet_start(actor=guest, workshop=workshop)
    services.runsheet_start(actor=facilitator, workshop=workshop)
    with pytest.raises(PermissionDenied):
        services.runsheet_next(actor=guest, workshop=workshop, expected_block_id=three_blocks[0].pk)
    assert sheet_of(workshop).current_block_id == three_blocks[0].pk


# --- actions on moving on -------------------------------------------------------------------


def test_moving_on_to_a_vote_block_moves_the_stage_and_opens_the_waiting_round(
    workshop, facilitator
):
    workshop.stage = Stage.REFINE
    workshop.save()
    make_proposal(workshop, facilitator, "First contact resolution")
    ballot = voting_services.ballot_create(
        actor=facilitator, workshop=workshop, title="Dots", method=Method.DOTS
    )
    blocks = add_blocks(
        facilitator,
        workshop,
        ("Refine", 10),
        ("Break", 5, "stage", "vote"),
        ("Vote", 8, "ballot_open"),
        ("Results", 10, "ballot_reveal"),
    )
    services.runsheet_start(actor=facilitator, workshop=workshop)
    ballot.refresh_from_db()
    assert ballot.state == BallotState.DRAFT  # the clock never acts: only moving on does
    services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=blocks[0].pk)
    workshop.refresh_from_db()
    assert workshop.stage == Stage.VOTE
    result = services.runsheet_next(
        actor=facilitator, workshop=workshop, expected_block_id=blocks[1].pk
    )
    assert result.warning == ""
    ballot.refresh_from_db()
    assert ballot.state == BallotState.OPEN
    vote_block = Block.objects.get(pk=blocks[2].pk)
    assert (vote_block.action_outcome, vote_block.action_ballot_id) == ("done", ballot.pk)
    services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=blocks[2].pk)
    ballot.refresh_from_db()
    assert ballot.state == BallotState.CLOSED and ballot.revealed_at is not None
    assert Block.objects.get(pk=blocks[3].pk).action_ballot_id == ballot.pk


def test_an_action_that_cannot_run_is_skipped_and_the_block_still_starts(workshop, facilitator):
    blocks = add_blocks(facilitator, workshop, ("Welcome", 5), ("Vote", 8, "ballot_open"))
    services.runsheet_start(actor=facilitator, workshop=workshop)
    result = services.runsheet_next(
        actor=facilitator, workshop=workshop, expected_block_id=blocks[0].pk
    )
    assert "skipped" in result.warning
    assert sheet_of(workshop).current_block_id == blocks[1].pk
    assert Block.objects.get(pk=blocks[1].pk).action_outcome == ActionOutcome.SKIPPED


def test_a_stage_action_never_moves_the_workshop_back(workshop, facilitator):
    workshop.stage = Stage.VOTE
    workshop.save()
    blocks = add_blocks(facilitator, workshop, ("Welcome", 5, "stage", "propose"))
    result = services.runsheet_start(actor=facilitator, workshop=workshop)
    workshop.refresh_from_db()
    assert workshop.stage == Stage.VOTE
    assert result.warning
    assert Block.objects.get(pk=blocks[0].pk).action_outcome == ActionOutcome.SKIPPED


def test_a_stage_action_steps_forward_through_the_stages(workshop, facilitator):
    add_blocks(facilitator, workshop, ("Map", 30, "stage", "map"))
    services.runsheet_start(actor=facilitator, workshop=workshop)
    workshop.refresh_from_db()
    assert workshop.stage == Stage.MAP
    moves = AuditEvent.objects.filter(workshop_id=workshop.pk, action="workshop.stage")
    assert sorted(e.details["to"] for e in moves) == ["map", "refine", "vote"]


def test_reveal_shows_the_round_of_the_current_block(workshop, facilitator):
    workshop.stage = Stage.VOTE
    workshop.save()
    make_proposal(workshop, facilitator, "FCR")
    ballot = voting_services.ballot_create(
        actor=facilitator, workshop=workshop, title="Dots", method=Method.DOTS
    )
    blocks = add_blocks(facilitator, workshop, ("Vote", 8, "ballot_open"))
    services.runsheet_start(actor=facilitator, workshop=workshop)
    revealed = services.runsheet_reveal(
        actor=facilitator, workshop=workshop, expected_block_id=blocks[0].pk
    )
    assert revealed.pk == ballot.pk and revealed.revealed_at is not None


def test_every_step_is_audited_with_a_label(workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    first = three_blocks[0].pk
    services.runsheet_pause(actor=facilitator, workshop=workshop, expected_block_id=first)
    services.runsheet_resume(actor=facilitator, workshop=workshop, expected_block_id=first)
    services.runsheet_extend(actor=facilitator, workshop=workshop, expected_block_id=first)
    services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=first)
    actions = set(
        AuditEvent.objects.filter(workshop_id=workshop.pk).values_list("action", flat=True)
    )
    expected = {
        "runsheet.block_add",
        "runsheet.start",
        "runsheet.pause",
        "runsheet.resume",
        "runsheet.extend",
        "runsheet.next",
    }
    assert expected <= actions
    with translation.override("it"):
        assert audit_action_label("runsheet.next") == "è passato al blocco successivo"


def test_the_history_names_the_run_sheet_in_the_readers_language(
    client, workshop, facilitator, three_blocks
):
    from django.urls import reverse

    from tests.conftest import login

    login(client, facilitator)
    page = client.get(
        reverse("workshops:history", args=[workshop.pk]), HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert "ha aggiunto un blocco alla scaletta" in page
    assert "run-sheet of workshop" not in page
