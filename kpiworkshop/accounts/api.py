from django.http import HttpRequest
from ninja.security import HttpBearer

from .services import api_token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kpiw_…`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user
