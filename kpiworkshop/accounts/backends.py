"""How a request's user is found: Django's ``ModelBackend`` (passwords, permissions, the
``is_active`` rule), with the signed-in user read by one statement compiled once
(``rawsql.user_get``) instead of an ORM query built on every request, or not read at all when
the request's session brought it (``sessions.WithUser``, ``middleware``).

``settings.AUTHENTICATION_BACKENDS`` lists this backend first and Django's after it, only so a
session signed in before this backend existed (it records Django's path) stays signed in; this
backend ends a failed sign-in itself, so Django's never checks the password a second time."""

from contextvars import ContextVar

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import PermissionDenied

from . import rawsql

DJANGO_BACKEND = "django.contrib.auth.backends.ModelBackend"

#: The session of the request whose user ``middleware`` is loading, set only while it does.
session_being_read: ContextVar = ContextVar("kpiw_session_being_read", default=None)


def _read_with_session(user_id):
    """The user the request's session row named and brought along, if it is ``user_id`` (the
    id in the session's signed data, which Django's ``get_user`` passes): else None."""
    session = session_being_read.get()
    user = getattr(session, "user_read_with_session", None)
    return user if user is not None and user.pk == user_id else None


class ModelBackend(DjangoModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username is not None and password is not None:
            # The credentials are wrong: stop here (``authenticate`` answers None) rather than
            # let Django's backend, listed after this one for old sessions, hash them again.
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        user = _read_with_session(user_id)
        if user is None:
            user = rawsql.user_get(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
