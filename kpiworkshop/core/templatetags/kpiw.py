from datetime import UTC, datetime
from functools import lru_cache

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from kpiworkshop.core.markdown import render_markdown
from kpiworkshop.core.numbers import number_shown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value: str | None):
    return render_markdown(value)


@register.filter(name="number")
def number_filter(value) -> str:
    """A stored number in the reader's locale, without trailing zeros (core.numbers)."""
    return number_shown(value)


@register.filter(name="mmss")
def mmss(seconds: int | None) -> str:
    """A countdown as m:ss (or h:mm:ss)."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@register.filter(name="iso")
def iso(value: datetime | None) -> str:
    """A datetime for ``<time datetime>`` and for scripts: UTC, whole seconds.

    ``date:'c'`` writes microseconds, and HTML allows at most three fraction digits.
    """
    if not value:
        return ""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@lru_cache(maxsize=16)
def _language_buttons(current: str) -> SafeString:
    buttons = []
    for code, _name in settings.LANGUAGES:
        if "-" in code:  # regional variants share their language's button
            continue
        on = code == current[:2]
        # Each button's whole label is in its own language (it carries lang="xx"), so a
        # screen reader speaks it right: "Switch language: English", "Cambia lingua: Italiano".
        # It starts with the text the button shows ("EN"), so its accessible name contains
        # its visible text (WCAG 2.5.3) and "click EN" works with voice control.
        with translation.override(code):
            info = translation.get_language_info(code)
            label = f"{code.upper()} · {gettext('Switch language')}: {info['name_translated']}"
        buttons.append(
            format_html(
                '<button type="submit" name="language" value="{}" class="btn btn-sm {}" '
                'lang="{}"{} aria-label="{}">{}</button>',
                code,
                "btn-secondary" if on else "btn-outline-secondary",
                code,
                mark_safe(' aria-current="true"') if on else "",
                label,
                code.upper(),
            )
        )
    return mark_safe("\n".join(buttons))  # noqa: S308 - each part built by format_html


@register.simple_tag
def language_buttons() -> SafeString:
    """The language switcher's buttons for the active language: the same for every viewer
    and every page of a language, so built once per language and process (the labels come
    from the compiled catalogues, which do not change while the process runs)."""
    return _language_buttons(translation.get_language() or settings.LANGUAGE_CODE)


@lru_cache(maxsize=64)
def _asset(path: str) -> str:
    return static(path)


@register.simple_tag
def asset(path: str) -> str:
    """``{% static %}`` for the files every page links (base.html): their URL is fixed for the
    life of the process (the manifest is read once), so it is worked out once."""
    return _asset(path)


@receiver(setting_changed)
def _forget_built_markup(*, setting: str, **kwargs) -> None:
    # Tests that change these settings must not see what was built under the old ones.
    if setting in {"STATIC_URL", "STORAGES", "STATIC_ROOT"}:
        _asset.cache_clear()
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        _language_buttons.cache_clear()
    if setting in {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "KPIW_LIVE_POLL_MS", "ROOT_URLCONF"}:
        _live_attrs.cache_clear()


@register.simple_tag
def live_attrs(workshop_id) -> SafeString:
    """The ``<body>`` attributes that let static/js/live.js follow a workshop's live signal
    (core/live.py): its signed URL and the polling pace. Nothing without a workshop.

    Every workshop page writes them; they depend only on the workshop, the settings and the
    URLconf, so each workshop's are built once per process (signing and reversing cost about
    a tenth of a millisecond a page)."""
    if not workshop_id:
        return mark_safe("")
    from django.urls import get_script_prefix, get_urlconf

    return _live_attrs(int(workshop_id), get_urlconf(), get_script_prefix())


@lru_cache(maxsize=4096)
def _live_attrs(workshop_id: int, urlconf, prefix: str) -> SafeString:
    # ``urlconf`` and ``prefix`` are in the key only: ``reverse`` reads the active ones itself.
    from django.urls import reverse

    from kpiworkshop.core.live import live_token

    url = reverse("core:live", args=[workshop_id])
    token = live_token(workshop_id=workshop_id)
    return format_html(
        ' data-live-url="{}?t={}" data-live-ms="{}"', url, token, settings.KPIW_LIVE_POLL_MS
    )
