"""A dropped database connection while phones vote: 503 "try again", never 500, and the retry
saves the vote once (issue 17, item 11)."""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client

from kpiworkshop.voting import services
from kpiworkshop.voting.models import Method, Vote
from tests.conftest import as_guest
from tests.core.test_standards import assert_strict

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def phone(open_ballot, people, proposals):
    ballot = open_ballot(Method.APPROVAL, secret=False)
    voter = people[0][0]
    client = Client(raise_request_exception=False)  # what a real server does with an exception
    as_guest(client, voter)
    url = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/vote/"
    return client, url, {"proposal": proposals[0].pk, "value": 1}, voter


def _drop_then_vote(**kwargs):
    raise OperationalError("database is locked")


def test_a_transient_database_error_answers_503_with_retry_after_and_a_message(phone):
    client, url, data, _voter = phone
    with mock.patch.object(services, "vote_cast", side_effect=_drop_then_vote):
        response = client.post(url, data, **HX)
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response["HX-Retarget"] == "#kpiw-retry"
    html = response.content.decode()
    assert html.startswith('<div id="kpiw-retry"') and 'role="alert"' in html
    assert "please try again" in html
    with mock.patch.object(services, "vote_cast", side_effect=_drop_then_vote):
        page = client.post(url, data, HTTP_ACCEPT_LANGUAGE="it")  # no JavaScript: a page
    assert page.status_code == 503
    assert '<html lang="it">' in page.content.decode()
    assert "riprova" in page.content.decode().lower()
    assert_strict(page)  # the middleware still adds its headers (Content-Security-Policy)


def test_a_connection_lost_by_the_client_answers_503(phone):
    """What psycopg raises when the socket dies under a query ("consuming input failed: server
    closed the connection unexpectedly"): a client-side error, without a SQLSTATE."""
    import psycopg

    client, url, data, _voter = phone
    lost = psycopg.OperationalError("consuming input failed: server closed the connection")

    def dropped(**kwargs):
        raise OperationalError(str(lost)) from lost

    with mock.patch.object(services, "vote_cast", side_effect=dropped):
        response = client.post(url, data, **HX)
    assert response.status_code == 503


def test_other_database_errors_stay_500(phone):
    client, url, data, _voter = phone
    with mock.patch.object(
        services, "vote_cast", side_effect=OperationalError("no such column: x")
    ):
        response = client.post(url, data, **HX)
    assert response.status_code == 500


def test_the_page_has_the_slot_the_retry_message_goes_to(client, open_ballot, people):
    ballot = open_ballot(Method.APPROVAL, secret=False)
    as_guest(client, people[0][0])
    page = client.get(f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/").content.decode()
    assert '<div id="kpiw-retry"></div>' in page


# --- on PostgreSQL: the app's connection terminated by pg_terminate_backend -------------------


def _terminate_my_connection() -> None:
    """Kill this thread's PostgreSQL session from another session, as an operator would."""
    import psycopg

    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_terminated_connection_mid_vote_answers_503_and_the_retry_saves_one_vote(
    postgres_only, phone
):
    client, url, data, voter = phone
    real = services.vote_cast

    def dropped_during_the_vote(**kwargs):
        _terminate_my_connection()
        return real(**kwargs)

    with mock.patch.object(services, "vote_cast", side_effect=dropped_during_the_vote):
        response = client.post(url, data, **HX)
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    retry = client.post(url, data, **HX)  # what the phone does next
    assert retry.status_code == 200
    again = client.post(url, data, **HX)  # a retry of a vote that was saved: still one vote
    assert again.status_code == 200
    assert Vote.objects.filter(participant=voter).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_connection_terminated_between_requests_is_replaced_by_the_health_check(
    postgres_only, phone
):
    from django.db import close_old_connections

    client, url, data, voter = phone
    connection.ensure_connection()
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    _terminate_my_connection()
    # What a real server does at the start of each request (the test client skips it).
    close_old_connections()
    response = client.post(url, data, **HX)
    assert response.status_code == 200
    assert Vote.objects.filter(participant=voter).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_connection_terminated_while_a_query_is_in_flight_answers_503(postgres_only, phone):
    """The session dies while its query runs, inside the vote's transaction."""
    import threading

    client, url, data, voter = phone
    real = services._refresh_for_vote

    def slow_then_dropped(*args, **kwargs):
        killer = threading.Timer(0.3, _terminate_pid, args=[connection.connection.info.backend_pid])
        killer.start()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(3)")
        finally:
            killer.join()
        return real(*args, **kwargs)

    with mock.patch.object(services, "_refresh_for_vote", side_effect=slow_then_dropped):
        response = client.post(url, data, **HX)
    assert response.status_code == 503
    assert client.post(url, data, **HX).status_code == 200
    assert Vote.objects.filter(participant=voter).count() == 1


def _terminate_pid(pid: int) -> None:
    import psycopg
    from django.db import connections

    settings = connections["default"].settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
