"""``{% url %}`` as Django's, with each reversal remembered per process (a builtin library,
``settings.TEMPLATES``, so every template's ``{% url %}`` is this one).

A page's chrome reverses a dozen URLs (the navigation, the language and sign-out forms, the
map stage's tabs) whose answer never changes while the process runs: Django's ``reverse``
walks the URL patterns for each, on every request (about a tenth of a small page's time,
``docs/benchmarks.md``). The answer is a function of the view name, the arguments, the current
app, the URLconf and the script prefix, all in the memo's key; arguments are remembered only
when they are plain values (ints, strings, UUIDs), whose text cannot change behind the key.
Anything else (a model instance, whose ``str()`` is its URL part) is reversed as Django does.
A name that does not reverse raises as Django's tag does and is not remembered."""

import uuid
from functools import lru_cache

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

#: Arguments whose text is their value (``str`` subclasses such as ``SafeString`` too).
PLAIN = (int, str, uuid.UUID)


@lru_cache(maxsize=16384)
def _reverse(view_name, args, kwargs, current_app, urlconf, prefix) -> str:
    # ``prefix`` is in the key only: ``reverse`` reads the active script prefix itself.
    return reverse(
        str(view_name),
        urlconf=urlconf,
        args=list(args),
        kwargs=dict(kwargs),
        current_app=current_app,
    )


class RememberedURLNode(URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        if not all(isinstance(v, PLAIN) for v in (view_name, *args, *kwargs.values())):
            return super().render(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        try:
            url = _reverse(
                view_name,
                tuple(args),
                tuple(sorted(kwargs.items())),
                current_app,
                get_urlconf(),
                get_script_prefix(),
            )
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""  # as Django's tag: ``as var`` swallows it
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's ``{% url %}``: same syntax, same output (see the module's docstring)."""
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
