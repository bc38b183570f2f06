from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from kpiworkshop.core.htmx import HtmxHttpRequest, form_errors_from, posted

from . import selectors, services
from .forms import ApiTokenForm


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HtmxHttpRequest) -> HttpResponse:
    form = ApiTokenForm(posted(request))
    new_raw = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_raw = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            form = ApiTokenForm()
    context = {
        "form": form,
        "new_raw": new_raw,
        "tokens": selectors.api_tokens_for_user(user=request.user),
        "memberships": selectors.memberships_for_user(user=request.user),
    }
    return render(request, "accounts/api_tokens.html", context)


@login_required
@require_POST
def api_token_revoke(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    from django.shortcuts import redirect

    services.api_token_revoke(user=request.user, token_id=token_id)
    return redirect("accounts:tokens")
