"""Moving the sessions to ``accounts_session`` (with the user's id as a column) signs nobody
out: the sessions of Django's table are copied with their users, and copied back when the
migration is reversed."""

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from kpiworkshop.accounts.sessions_db import SessionStore
from tests.factories import UserFactory

BEFORE = [("accounts", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    executor.loader.build_graph()
    nodes = targets or executor.loader.graph.leaf_nodes()
    return executor.loader.project_state([*nodes, ("sessions", "0001_initial")]).apps


@pytest.mark.django_db(transaction=True)
def test_sessions_move_with_their_users_and_back():
    alice = UserFactory()
    old_apps = _migrate(BEFORE)
    old = old_apps.get_model("sessions", "Session")
    expires = timezone.now() + timezone.timedelta(days=1)
    encode = DjangoStore().encode
    rows = {
        "signedin" + "a" * 24: encode({"_auth_user_id": str(alice.pk), "x": 1}),
        "anonymous" + "b" * 23: encode({"cart": [1, 2]}),
        "garbage" + "c" * 25: "not signed data at all",
    }
    for key, data in rows.items():
        old.objects.create(session_key=key, session_data=data, expire_date=expires)

    new_apps = _migrate(None)
    new = new_apps.get_model("accounts", "Session")
    assert new.objects.count() == 3
    assert dict(new.objects.values_list("session_key", "user_id")) == {
        "signedin" + "a" * 24: alice.pk,
        "anonymous" + "b" * 23: None,
        "garbage" + "c" * 25: None,
    }
    assert old_apps.get_model("sessions", "Session").objects.count() == 0
    # Still signed in, read by the engine as any other session.
    assert SessionStore("signedin" + "a" * 24)["_auth_user_id"] == str(alice.pk)

    old_apps = _migrate(BEFORE)
    old = old_apps.get_model("sessions", "Session")
    assert dict(old.objects.values_list("session_key", "session_data")) == rows
    _migrate(None)
