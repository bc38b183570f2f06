"""How a request's user is found: Django's ``ModelBackend`` (passwords, permissions, the
``is_active`` rule), with the signed-in user read by one statement compiled once
(``rawsql.user_get``) instead of an ORM query built on every request."""

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from . import rawsql


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        user = rawsql.user_get(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
