"""The session engine without a shared cache (``core.sessions.DB_ENGINE``): Django's database
engine, reading the session row with a statement compiled once (``core.sessions.RawRead``)."""

from django.contrib.sessions.backends.db import SessionStore as DBStore

from .sessions import RawRead


class SessionStore(RawRead, DBStore):
    pass
