"""Run-sheet pages and the live poll, with and without htmx; query counts pinned."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpiworkshop.accounts.models import Role
from kpiworkshop.runsheet import services
from kpiworkshop.runsheet.models import Block, RunSheet, SheetState
from tests.conftest import as_guest, login
from tests.factories import ParticipantFactory

from .conftest import add_blocks

HX = {"HTTP_HX_REQUEST": "true"}


def url(name, workshop, *args):
    return reverse(f"runsheet:{name}", args=[workshop.pk, *args])


def queries(client, path, **extra) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **extra)
    return len(ctx.captured_queries), response


# --- who sees what ------------------------------------------------------------------------------


def test_the_sheet_page_is_for_facilitators(client, workshop, facilitator, agent, guest_customer):
    login(client, agent)
    assert client.get(url("sheet", workshop)).status_code == 403
    as_guest(client, guest_customer)
    client.logout()
    as_guest(client, guest_customer)
    assert client.get(url("sheet", workshop)).status_code == 403
    login(client, facilitator)
    response = client.get(url("sheet", workshop))
    assert response.status_code == 200
    assert "Prepare the run-sheet" in response.content.decode()


def test_another_organisation_gets_404_everywhere(client, workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    stranger = ParticipantFactory(role=Role.FACILITATOR)
    login(client, stranger)
    for name in ("sheet", "projector", "now", "report", "report_csv"):
        assert client.get(url(name, workshop)).status_code == 404, name
    response = client.post(url("control", workshop), {"do": "next", "block": three_blocks[0].pk})
    assert response.status_code == 404
    assert RunSheet.objects.get(workshop=workshop).current_block_id == three_blocks[0].pk


def test_anonymous_poll_is_404(client, workshop, facilitator, three_blocks):
    assert client.get(url("now", workshop), **HX).status_code == 404


# --- preparing ----------------------------------------------------------------------------------


def test_prepare_from_a_template_without_js(client, workshop, facilitator):
    login(client, facilitator)
    response = client.post(url("prepare", workshop), {"start": "half_day"})
    assert response.status_code == 302
    page = client.get(url("sheet", workshop)).content.decode()
    assert "Map the KPIs" in page and "240 minutes planned in all" in page


def test_prepare_without_a_choice_says_so_and_changes_nothing(client, workshop, facilitator):
    login(client, facilitator)
    response = client.post(url("prepare", workshop), {})
    assert response.status_code == 400
    assert "Choose a template" in response.content.decode()
    assert not RunSheet.objects.filter(workshop=workshop).exists()


def test_add_a_block_with_htmx_returns_the_editor(client, workshop, facilitator):
    login(client, facilitator)
    data = {"title": "Welcome", "planned_minutes": "5", "instruction": "Hello", "action": ""}
    response = client.post(url("block_add", workshop), data, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="runsheet-editor">')
    assert "Welcome" in body


def test_add_a_block_with_negative_minutes_shows_the_error(client, workshop, facilitator):
    login(client, facilitator)
    data = {"title": "Welcome", "planned_minutes": "-3"}
    response = client.post(url("block_add", workshop), data)
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    assert not Block.objects.exists()
    response = client.post(url("block_add", workshop), data, **HX)
    assert response.status_code == 200 and "is-invalid" in response.content.decode()


def test_move_buttons_work_with_and_without_htmx(client, workshop, facilitator, three_blocks):
    login(client, facilitator)
    vote = three_blocks[2]
    response = client.post(
        url("block_move", workshop, vote.pk), {"direction": "up", "position": "2"}
    )
    assert response.status_code == 302
    response = client.post(
        url("block_move", workshop, vote.pk), {"direction": "up", "position": "1"}, **HX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="runsheet-blocks"')
    assert body.index("Vote") < body.index("Welcome") < body.index("Propose")


def test_reorder_by_drag_posts_the_order(client, workshop, facilitator, three_blocks):
    login(client, facilitator)
    order = ",".join(str(b.pk) for b in reversed(three_blocks))
    response = client.post(url("reorder", workshop), {"order": order}, **HX)
    assert response.status_code == 200
    assert list(
        Block.objects.filter(sheet__workshop=workshop)
        .order_by("position")
        .values_list("title", flat=True)
    ) == ["Vote", "Propose", "Welcome"]
    response = client.post(url("reorder", workshop), {"order": "1,x"}, **HX)
    assert "changed in the meantime" in response.content.decode()


def test_editing_while_live_is_refused_with_a_message(client, workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    login(client, facilitator)
    response = client.post(
        url("block_move", workshop, three_blocks[2].pk), {"direction": "up"}, follow=True
    )
    assert "can no longer be changed" in response.content.decode()
    response = client.post(
        url("block_edit", workshop, three_blocks[2].pk), {"title": "X", "planned_minutes": 3}
    )
    assert response.status_code == 400
    assert Block.objects.get(pk=three_blocks[2].pk).title == "Vote"


# --- running ------------------------------------------------------------------------------------


def test_start_then_next_with_htmx_and_a_stale_press(client, workshop, facilitator, three_blocks):
    login(client, facilitator)
    assert client.post(url("start", workshop), {"view": "sheet"}).status_code == 302
    first = three_blocks[0].pk
    response = client.post(url("control", workshop), {"do": "next", "block": first}, **HX)
    assert response.status_code == 200
    assert "runsheetChanged" in response.headers["HX-Trigger"]
    assert "Next: Vote" in response.content.decode()
    # A second facilitator's press from a page that still showed the first block.
    response = client.post(url("control", workshop), {"do": "next", "block": first}, **HX)
    assert "moved the session on in the meantime" in response.content.decode()
    assert RunSheet.objects.get(workshop=workshop).current_block_id == three_blocks[1].pk
    response = client.post(url("control", workshop), {"do": "next", "block": first})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "data", [{}, {"do": "explode", "block": "1"}, {"do": "next", "block": "x"}]
)
def test_control_with_bad_input_says_so(client, workshop, facilitator, three_blocks, data):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    login(client, facilitator)
    response = client.post(url("control", workshop), data, **HX)
    assert response.status_code == 200
    assert "not available" in response.content.decode()
    assert RunSheet.objects.get(workshop=workshop).current_block_id == three_blocks[0].pk


def test_a_participant_cannot_press_next(client, workshop, facilitator, agent, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    login(client, agent)
    response = client.post(url("control", workshop), {"do": "next", "block": three_blocks[0].pk})
    assert response.status_code == 403
    assert RunSheet.objects.get(workshop=workshop).current_block_id == three_blocks[0].pk


# --- the live component and its poll -------------------------------------------------------------


def test_the_workshop_page_shows_the_countdown_to_a_guest(
    client, workshop, facilitator, guest_customer, three_blocks
):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    as_guest(client, guest_customer)
    page = client.get(reverse("workshops:detail", args=[workshop.pk])).content.decode()
    assert 'data-testid="runsheet-remaining"' in page
    assert "About 5 minutes left." in page  # the minutes as text, for a page without JS
    assert "Do Welcome" in page
    # No control reaches a guest's page.
    assert url("control", workshop) not in page


def test_the_workshop_page_shows_the_instruction_in_italian(
    client, workshop, facilitator, guest_customer
):
    services.runsheet_prepare(actor=facilitator, workshop=workshop, template="two_hour")
    services.runsheet_start(actor=facilitator, workshop=workshop)
    as_guest(client, guest_customer)
    page = client.get(
        reverse("workshops:detail", args=[workshop.pk]), HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    assert "Benvenuto e obiettivi" in page


def test_paused_stays_paused_for_a_late_joiner(client, workshop, facilitator, agent, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    services.runsheet_pause(
        actor=facilitator, workshop=workshop, expected_block_id=three_blocks[0].pk
    )
    login(client, agent)
    page = client.get(reverse("workshops:detail", args=[workshop.pk])).content.decode()
    assert 'data-runsheet-paused="1"' in page
    assert "The countdown is paused." in page


def test_the_poll_answers_204_when_unchanged_and_the_component_when_changed(
    client, workshop, facilitator, guest_customer, three_blocks
):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    version = RunSheet.objects.get(workshop=workshop).version
    as_guest(client, guest_customer)
    n, response = queries(client, url("now", workshop) + f"?v={version}", **HX)
    assert response.status_code == 204 and n == 1
    assert int(response.headers["X-Server-Now"]) > 0
    etag = response.headers["ETag"]
    n, response = queries(client, url("now", workshop) + "?v=0", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and n == 1
    services.runsheet_next(
        actor=facilitator, workshop=workshop, expected_block_id=three_blocks[0].pk
    )
    n, response = queries(client, url("now", workshop) + f"?v={version}", **HX)
    assert response.status_code == 200 and n == 1
    assert "Propose" in response.content.decode()
    assert "runsheetChanged" in response.headers["HX-Trigger"]


def test_the_poll_of_an_ended_session_stops_polling(client, workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    for block in three_blocks:
        services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=block.pk)
    login(client, facilitator)
    response = client.get(url("now", workshop) + "?v=1", **HX)
    assert response.status_code == 200
    assert "hx-get" not in response.content.decode()


def _grow(workshop, facilitator, n: int) -> None:
    for _i in range(n):
        ParticipantFactory(workshop=workshop, role=Role.AGENT, guest=True)
    have = Block.objects.filter(sheet__workshop=workshop).count()
    add_blocks(facilitator, workshop, *[(f"Block {i}", 5) for i in range(have, n)])


def test_page_query_counts_do_not_grow_with_blocks_or_people(client, workshop, facilitator):
    login(client, facilitator)
    counts = {}
    for n in (1, 10, 30):
        _grow(workshop, facilitator, n)
        counts[n] = queries(client, url("sheet", workshop))[0]
    assert len(set(counts.values())) == 1, counts
    assert counts[1] <= 12
    services.runsheet_start(actor=facilitator, workshop=workshop)
    counts = {}
    for name in ("sheet", "projector", "report"):
        counts[name] = queries(client, url(name, workshop))[0]
    assert counts == {"sheet": 4, "projector": 4, "report": 14}, counts


def test_the_component_costs_the_workshop_page_one_query(client, workshop, facilitator, agent):
    login(client, agent)
    page = reverse("workshops:detail", args=[workshop.pk])
    client.get(page)
    without = queries(client, page)[0]
    add_blocks(facilitator, workshop, ("Welcome", 5))
    services.runsheet_start(actor=facilitator, workshop=workshop)
    with_sheet = queries(client, page)[0]
    assert with_sheet == without


def test_the_report_and_its_exports(client, workshop, facilitator, three_blocks):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    for block in three_blocks:
        services.runsheet_next(actor=facilitator, workshop=workshop, expected_block_id=block.pk)
    assert RunSheet.objects.get(workshop=workshop).state == SheetState.FINISHED
    login(client, facilitator)
    page = client.get(url("report", workshop)).content.decode()
    assert "Welcome" in page and "5:00" in page and "8:00" in page
    csv_response = client.get(url("report_csv", workshop))
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = csv_response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Position,Block,Planned minutes,Actual minutes")
    assert lines[1].startswith("1,Welcome,5,")
    pdf = client.get(url("report_pdf", workshop))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_report_is_not_for_participants(client, workshop, facilitator, agent, three_blocks):
    login(client, agent)
    for name in ("report", "report_csv", "report_pdf"):
        assert client.get(url(name, workshop)).status_code == 403


def test_a_running_sheets_block_list_follows_the_session(
    client, workshop, facilitator, three_blocks
):
    services.runsheet_start(actor=facilitator, workshop=workshop)
    services.runsheet_next(
        actor=facilitator, workshop=workshop, expected_block_id=three_blocks[0].pk
    )
    login(client, facilitator)
    body = client.get(url("sheet", workshop) + "?fragment=blocks", **HX).content.decode()
    assert body.lstrip().startswith('<section id="runsheet-blocks"')
    current = body.index("is-current")
    assert body.index("Propose") > current > body.index("Welcome")


def test_the_workshop_page_links_the_run_sheet_and_the_report_for_facilitators(
    client, workshop, facilitator, agent
):
    login(client, facilitator)
    page = client.get(reverse("workshops:detail", args=[workshop.pk])).content.decode()
    assert url("sheet", workshop) in page and url("report", workshop) in page
    login(client, agent)
    page = client.get(reverse("workshops:detail", args=[workshop.pk])).content.decode()
    assert url("sheet", workshop) not in page
