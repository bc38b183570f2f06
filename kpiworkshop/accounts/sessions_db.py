"""The session engine without a shared cache (``sessions.DB_ENGINE``): Django's database
engine, its rows ``models.Session`` and each read with its user in one statement
(``sessions.WithUser``)."""

from django.contrib.sessions.backends.db import SessionStore as DBStore

from .sessions import WithUser


class SessionStore(WithUser, DBStore):
    pass
