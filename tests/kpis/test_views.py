import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpiworkshop.kpis import services
from kpiworkshop.kpis.models import Proposal, Revision, Suggestion
from kpiworkshop.workshops.models import Stage
from tests.conftest import as_guest, login

from .conftest import DEFINITION

HX = {"HTTP_HX_REQUEST": "true"}


def _make(workshop, author, n):
    for i in range(n):
        p = services.proposal_create(
            actor=author, workshop=workshop, definition=DEFINITION | {"name": f"KPI number {i}"}
        )
        services.comment_create(actor=author, proposal=p, body="c", stance="supports")
        services.proposal_support(actor=author, proposal=p)


def _board_queries(client, workshop):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/w/{workshop.pk}/proposals/?sort=discussed")
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_board_query_count_does_not_grow(client, workshop, agent):
    login(client, agent)
    counts = []
    made = 0
    for n in (1, 10, 100):
        _make(workshop, agent, n - made)
        made = n
        count, response = _board_queries(client, workshop)
        # The board shows 30 at a time, with "Show more" for the rest.
        assert response.content.decode().count('data-testid="proposal-card"') == min(n, 30)
        counts.append(count)
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= 12


def test_board_pages_by_thirty_with_show_more(client, workshop, agent):
    login(client, agent)
    _make(workshop, agent, 65)
    first = client.get(f"/w/{workshop.pk}/proposals/").content.decode()
    assert first.count('data-testid="proposal-card"') == 30
    assert "Show more proposals" in first
    third = client.get(
        f"/w/{workshop.pk}/proposals/?page=3", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board-more"
    ).content.decode()
    assert "<html" not in third
    assert third.count('data-testid="proposal-card"') == 5
    assert "Show more proposals" not in third
    assert client.get(f"/w/{workshop.pk}/proposals/?page=x").status_code == 200


def test_board_filters_and_htmx_fragment(client, workshop, agent, guest_customer):
    _make(workshop, agent, 2)
    services.proposal_create(
        actor=guest_customer,
        workshop=workshop,
        definition={
            "name": "Time to reach a human",
            "measures": "Minutes",
            "category": "customer",
            "channels": ["selfcare"],
        },
    )
    as_guest(client, guest_customer)
    page = client.get(f"/w/{workshop.pk}/proposals/").content.decode()
    assert "<html" in page and page.count('data-testid="proposal-card"') == 3
    frag = client.get(
        f"/w/{workshop.pk}/proposals/?channel=selfcare", HTTP_HX_TARGET="proposal-list", **HX
    ).content.decode()
    assert "<html" not in frag and frag.count('data-testid="proposal-card"') == 1
    mine = client.get(f"/w/{workshop.pk}/proposals/?mine=on&q=human").content.decode()
    assert mine.count('data-testid="proposal-card"') == 1


@pytest.mark.parametrize(
    "query",
    [
        "?category=nope",
        "?channel=%00",
        "?sort=drop",
        "?state=zzz",
        "?q=" + "x" * 500,
        "?mine=maybe",
    ],
)
def test_board_garbage_input_is_not_500(client, workshop, agent, query):
    login(client, agent)
    assert client.get(f"/w/{workshop.pk}/proposals/{query}").status_code == 200


def test_board_hidden_from_other_organisations(client, workshop, other_org_participant):
    login(client, other_org_participant)
    assert client.get(f"/w/{workshop.pk}/proposals/").status_code == 404
    assert client.get(f"/w/{workshop.pk}/library/").status_code == 404


def test_guest_proposes_from_library(client, workshop, guest_customer, library_kpi):
    as_guest(client, guest_customer)
    page = client.get(f"/w/{workshop.pk}/library/?q=first").content.decode()
    assert "First contact resolution" in page
    form = client.get(f"/w/{workshop.pk}/proposals/new/?library={library_kpi.slug}")
    assert "Solved at first contact." in form.content.decode()
    response = client.post(
        f"/w/{workshop.pk}/proposals/new/",
        {
            "library": library_kpi.slug,
            "name": "FCR",
            "measures": "Solved",
            "category": "customer",
            "channels": ["chat"],
        },
    )
    p = Proposal.objects.get()
    assert response.status_code == 302 and p.library_kpi == library_kpi
    assert p.author == guest_customer


def test_propose_form_shows_errors_without_saving(client, workshop, agent):
    login(client, agent)
    response = client.post(
        f"/w/{workshop.pk}/proposals/new/", {"name": "", "category": "bogus", "channels": ["fax"]}
    )
    assert response.status_code == 200
    assert not Proposal.objects.exists()


def test_hostile_markdown_is_sanitised(client, workshop, agent):
    login(client, agent)
    p = services.proposal_create(
        actor=agent,
        workshop=workshop,
        definition=DEFINITION
        | {
            "name": "<script>alert(1)</script>",
            "why": "<img src=x onerror=alert(1)> [x](javascript:alert(1)) **ok**",
        },
    )
    services.comment_create(actor=agent, proposal=p, body="<iframe src=//evil></iframe>hi")
    page = client.get(f"/w/{workshop.pk}/proposals/{p.pk}/").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "onerror" not in page and "javascript:" not in page and "<iframe" not in page
    assert "<strong>ok</strong>" in page


def test_detail_hides_internal_fields_from_customers(
    client, workshop, agent, facilitator, guest_customer
):
    p = services.proposal_create(
        actor=agent, workshop=workshop, definition=DEFINITION | {"owner": "Secret owner XYZ"}
    )
    services.proposal_set_internal_fields(actor=facilitator, proposal=p, fields=["owner"])
    login(client, agent)
    assert "Secret owner XYZ" in client.get(f"/w/{workshop.pk}/proposals/{p.pk}/").content.decode()
    client.logout()
    as_guest(client, guest_customer)
    assert (
        "Secret owner XYZ" not in client.get(f"/w/{workshop.pk}/proposals/{p.pk}/").content.decode()
    )


def test_comment_with_and_without_htmx(client, workshop, agent, proposal):
    login(client, agent)
    url = f"/w/{workshop.pk}/proposals/{proposal.pk}/comments/"
    plain = client.post(url, {"body": "Plain", "stance": "question"})
    assert plain.status_code == 302
    frag = client.post(url, {"body": "Via htmx", "stance": "supports"}, **HX)
    html = frag.content.decode()
    assert frag.status_code == 200 and "<html" not in html and 'id="comments"' in html
    assert "Via htmx" in html and "Plain" in html
    bad = client.post(url, {"body": "", "stance": "zzz", "parent": "abc"}, **HX)
    assert bad.status_code == 200


def test_support_button_htmx(client, workshop, agent, proposal):
    login(client, agent)
    url = f"/w/{workshop.pk}/proposals/{proposal.pk}/support/"
    response = client.post(url, **HX)
    assert 'id="support"' in response.content.decode() and "You support this" in (
        response.content.decode()
    )
    assert client.post(url).status_code == 302


def test_suggest_accept_and_diff_pages(client, workshop, agent, facilitator, proposal):
    workshop.stage = Stage.REFINE
    workshop.save()
    login(client, facilitator)
    data = dict(DEFINITION) | {"denominator": "All requests, excluding transfers", "reason": "r"}
    response = client.post(f"/w/{workshop.pk}/proposals/{proposal.pk}/suggest/", data)
    assert response.status_code == 302
    s = Suggestion.objects.get()
    assert s.changes == {"denominator": "All requests, excluding transfers"}
    client.logout()
    login(client, agent)
    detail = client.get(f"/w/{workshop.pk}/proposals/{proposal.pk}/").content.decode()
    assert "<ins>" in detail
    client.post(f"/w/{workshop.pk}/proposals/{proposal.pk}/suggestions/{s.pk}/accept/")
    assert Revision.objects.filter(proposal=proposal).count() == 2
    diff = client.get(f"/w/{workshop.pk}/proposals/{proposal.pk}/diff/?a=1&b=2").content.decode()
    # What a reader sees: the words taken out struck through, the new ones marked inserted,
    # under the field's label.
    assert "Denominator (in words)" in diff
    assert "<del>closed</del><ins>excluding</ins>" in diff
    assert "<del>in the period</del><ins>transfers</ins>" in diff
    assert client.get(f"/w/{workshop.pk}/proposals/{proposal.pk}/diff/?a=x&b=99").status_code == 404


def test_merge_page_for_facilitator_only(client, workshop, agent, facilitator, proposal):
    services.proposal_create(
        actor=agent, workshop=workshop, definition=DEFINITION | {"name": "Repeat contact rate"}
    )
    workshop.stage = Stage.REFINE
    workshop.save()
    login(client, agent)
    assert client.get(f"/w/{workshop.pk}/proposals/merge/").status_code == 403
    client.logout()
    login(client, facilitator)
    page = client.get(f"/w/{workshop.pk}/proposals/merge/").content.decode()
    assert 'data-testid="duplicate-pair"' in page
    other = Proposal.objects.exclude(pk=proposal.pk).get()
    client.post(
        f"/w/{workshop.pk}/proposals/merge/do/", {"source": other.pk, "target": proposal.pk}
    )
    other.refresh_from_db()
    assert other.merged_into == proposal
    assert client.post(f"/w/{workshop.pk}/proposals/merge/do/", {"source": "x"}).status_code == 302
    client.post(f"/w/{workshop.pk}/proposals/{other.pk}/unmerge/")
    other.refresh_from_db()
    assert other.merged_into is None


def test_permission_denied_views_return_403(client, workshop, guest_customer, proposal):
    as_guest(client, guest_customer)
    assert client.get(f"/w/{workshop.pk}/proposals/{proposal.pk}/edit/").status_code == 403
    assert client.post(f"/w/{workshop.pk}/proposals/{proposal.pk}/withdraw/").status_code == 403
    assert client.get(f"/w/{workshop.pk}/proposals/999999/").status_code == 404


def test_system_revision_notes_are_shown_in_the_readers_language(workshop, agent, facilitator):
    from django.test import Client
    from django.urls import reverse
    from django.utils import translation

    # Written while the actors worked in Italian; read by someone in English.
    with translation.override("it"):
        p = services.proposal_create(actor=agent, workshop=workshop, definition=DEFINITION)
        workshop.stage = Stage.REFINE
        workshop.save()
        s = services.suggestion_create(actor=facilitator, proposal=p, changes={"unit": "%"})
        services.suggestion_accept(actor=agent, suggestion=s)
    url = reverse("kpis:detail", args=[workshop.pk, p.pk])
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(agent.user)
    html = english.get(url).content.decode()
    assert "First version" in html and "Prima versione" not in html
    assert "Suggestion by Fran accepted" in html
    italian = Client(HTTP_ACCEPT_LANGUAGE="it")
    italian.force_login(agent.user)
    html = italian.get(url).content.decode()
    assert "Prima versione" in html
    assert "Accettata la modifica suggerita da Fran" in html


def test_an_empty_proposal_form_post_shows_what_is_required(client, workshop, agent):
    login(client, agent)
    response = client.post(f"/w/{workshop.pk}/proposals/new/", {})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert Proposal.objects.count() == 0


def test_proposal_page_query_count_does_not_grow(client, workshop, agent, proposal, supervisor):
    login(client, agent)
    url = f"/w/{workshop.pk}/proposals/{proposal.pk}/"
    counts = []
    made = 0
    for n in (1, 10, 100):
        for i in range(made, n):
            services.comment_create(actor=supervisor, proposal=proposal, body=f"c{i}")
        made = n
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        assert f"c{n - 1}" in response.content.decode()
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_counts_on_the_page_of_a_merged_proposal_are_its_own(
    workshop, agent, facilitator, proposal, supervisor
):
    from kpiworkshop.kpis import selectors

    other = services.proposal_create(
        actor=supervisor, workshop=workshop, definition=DEFINITION | {"name": "Same thing"}
    )
    services.comment_create(actor=agent, proposal=other, body="on B", stance="concern")
    services.comment_create(actor=agent, proposal=proposal, body="on A")
    services.proposal_support(actor=agent, proposal=other)
    workshop.stage = Stage.REFINE
    workshop.save()
    services.proposal_merge(actor=facilitator, source=other, target=proposal)
    parent = selectors.proposal_detail(proposal=proposal, actor=agent).proposal
    assert (parent.comment_count, parent.concern_count, parent.supporter_count) == (2, 1, 1)
    assert parent.i_support is True
    other.refresh_from_db()
    child = selectors.proposal_detail(proposal=other, actor=agent).proposal
    assert (child.comment_count, child.concern_count, child.supporter_count) == (1, 1, 1)
