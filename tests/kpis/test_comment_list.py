"""A proposal's comment list is shared by the room (``kpis.fragments.comment_list``): rendered
once per change for everyone with the same buttons, the viewer's own bits filled in per
request, and nothing waiting for the facilitator in the shared markup."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpiworkshop.kpis import services
from kpiworkshop.workshops import services as workshop_services
from tests.conftest import login

HX = {"HTTP_HX_REQUEST": "true"}


def _url(proposal) -> str:
    return f"/w/{proposal.workshop_id}/proposals/{proposal.pk}/?fragment=comment-list"


def _comment_queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **HX)
    assert response.status_code == 200
    comment_reads = [q for q in ctx.captured_queries if 'FROM "kpis_comment"' in q["sql"]]
    return len(comment_reads), response.content.decode()


def test_the_second_viewer_gets_the_list_without_reading_the_comments_again(
    client, proposal, agent, approver, supervisor
):
    services.comment_create(actor=agent, proposal=proposal, body="Which channels?")
    login(client, approver)
    first, html = _comment_queries(client, _url(proposal))
    assert first >= 1 and "Which channels?" in html
    login(client, supervisor)  # the same buttons as the approver: the same shared markup
    again, html = _comment_queries(client, _url(proposal))
    assert "Which channels?" in html
    # Only the viewer's own unshown comments are asked (their slot), not the list.
    assert again == 1


def test_a_new_comment_is_in_the_next_fetch_of_a_viewer_who_had_the_list(
    client, proposal, agent, approver
):
    login(client, approver)
    assert "No comments yet." in client.get(_url(proposal), **HX).content.decode()
    services.comment_create(actor=agent, proposal=proposal, body="Count e-mail too")
    assert "Count e-mail too" in client.get(_url(proposal), **HX).content.decode()


def test_every_viewer_gets_their_own_csrf_token_and_the_comments_age(
    client, proposal, agent, supervisor
):
    services.comment_create(actor=agent, proposal=proposal, body="Which channels?")
    login(client, supervisor)
    html = client.get(_url(proposal), **HX).content.decode()
    assert "\x00" not in html  # every slot filled
    # The reply form's token: this viewer's (a masked token, 64 characters), not a marker.
    assert re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', html)
    assert "0\xa0minutes" in html


def test_only_the_author_sees_their_held_comment_beside_the_shared_list(
    client, workshop, facilitator, proposal, agent, approver
):
    workshop_services.workshop_set_hold_open_text(actor=facilitator, workshop=workshop, hold=True)
    proposal.workshop.refresh_from_db()
    services.comment_create(actor=agent, proposal=proposal, body="Waiting remark")
    login(client, approver)
    theirs = client.get(_url(proposal), **HX).content.decode()
    assert "Waiting remark" not in theirs
    assert 'data-testid="own-comments"' not in theirs
    login(client, agent)  # after the approver: the shared list came from the cache
    mine = client.get(_url(proposal), **HX).content.decode()
    assert 'data-testid="own-comments"' in mine
    assert "Waiting remark" in mine and 'data-testid="comment-waiting"' in mine
