"""Small helpers shared by the apps' views."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """For type hints: a request that went through django-htmx's middleware."""

    htmx: HtmxDetails


def form_errors_from(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field where the form has one,
    otherwise at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


def form_error_text(form: forms.Form) -> str:
    """All of a bound form's errors as one sentence, for a message or an inline error."""
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


def posted(request: HttpRequest):
    """The data to bind a GET-or-POST form to: the POST data on a POST (even an empty one, so
    a form posted with nothing shows its "required" errors instead of coming back blank and
    silent), None on a GET."""
    return request.POST if request.method == "POST" else None


def error_text(exc: Exception) -> str:
    """A service's ValidationError or PermissionDenied as one sentence a person can read."""
    texts = getattr(exc, "messages", None) or ([str(exc)] if str(exc) else [])
    return " ".join(texts) or str(_("You cannot do that here."))


def message_error(request: HttpRequest, exc: Exception) -> None:
    """Show a service's error as a message on the next page: the one branch every view that
    redirects after a refused action needs."""
    messages.error(request, error_text(exc))


def int_param(value, default: int | None = None) -> int | None:
    """An integer from a query string or form value, or ``default`` for anything else
    (missing, not a number, or beyond what a database integer column holds)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if abs(number) < 2**31 else default
