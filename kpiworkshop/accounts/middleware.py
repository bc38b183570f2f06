"""Django's ``AuthenticationMiddleware``, handing the request's session to the backend while
the user is loaded, so the user read with the session (``sessions.WithUser``) spares a query."""

from django.contrib import auth
from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.utils.functional import SimpleLazyObject

from .backends import session_being_read


def _user_of(request):
    """Django's ``get_user`` of the middleware (once per request, lazily), with this request's
    session named for ``backends.ModelBackend.get_user`` while it runs, and only then."""
    if not hasattr(request, "_cached_user"):
        token = session_being_read.set(request.session)
        try:
            request._cached_user = auth.get_user(request)
        finally:
            session_being_read.reset(token)
    return request._cached_user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user_of(request))
