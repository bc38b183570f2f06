"""Rendered fragments shared between viewers through the cache, keyed so they cannot go stale or
leak.

A page that a whole room loads at once (a ballot's results, a board's cards, a coverage table)
renders the same markup for many people. Render it once per *version* of what it shows and serve
it to everyone entitled to that same markup:

    html = cached_fragment(
        "ballot-results",
        scope=(ballot.workshop.organisation_id, ballot.pk),
        version=selectors.ballot_version(ballot=ballot),   # changes whenever the data does
        audience="facilitator:secret",                     # who may see this exact markup
        render=lambda: render_to_string("voting/_results.html", {...}),
    )

Rules for callers (the tests of each page check them):

- ``scope`` starts with the organisation id, so two organisations never share an entry even if
  object ids or versions coincided.
- ``version`` is read from the database *before* the data is rendered and must change with every
  write that changes the markup (a counter, or the latest change time plus a count). Reading it
  first means a fragment rendered from newer data may sit under an older key, never the reverse.
- ``audience`` names every rule that makes the markup differ between viewers (role, secrecy,
  revealed or not). Nothing personal (a person's own vote, a CSRF token) goes into a shared
  fragment: render that around it.
- The active language and time zone are part of every key automatically.
- ``timeout`` bounds how long an entry lives; keep it short where the version can lag a commit
  (e.g. a timestamp taken before a concurrent transaction commits).

The cache is ``settings.CACHES["default"]``: shared by all server processes with Redis
(production); per process with the in-memory default, which is still correct because keys carry
the version, not an invalidation message.
"""

import hashlib
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

KEY_PREFIX = "kpiw:frag:v1"


def fragment_key(name: str, *, scope: Iterable, version: str, audience: str) -> str:
    """The cache key of one fragment: name, scope (organisation first), version, audience,
    language and time zone. Hashed so any value is a valid key for every cache backend."""
    raw = "|".join(
        [
            name,
            ":".join(str(part) for part in scope),
            str(version),
            audience,
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
        ]
    )
    digest = hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
    return f"{KEY_PREFIX}:{name}:{digest}"


def cached_value(
    name: str,
    *,
    scope: Iterable,
    version: str,
    audience: str,
    compute: Callable[[], object],
    timeout: int = 300,
):
    """``compute()``'s value from the cache, or computed and stored for the next viewer (a
    picklable value: rendered markup, with what the page needs besides it, like an order of
    ids). ``compute`` runs only on a miss, so the queries it needs are skipped on a hit."""
    key = fragment_key(name, scope=scope, version=version, audience=audience)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def cached_fragment(
    name: str,
    *,
    scope: Iterable,
    version: str,
    audience: str,
    render: Callable[[], str],
    timeout: int = 300,
) -> SafeString:
    """Rendered markup from the cache, or ``render()`` stored for the next viewer."""
    html = cached_value(
        name,
        scope=scope,
        version=version,
        audience=audience,
        compute=lambda: str(render()),
        timeout=timeout,
    )
    return mark_safe(html)  # noqa: S308 - our own template output, escaped when rendered


def versioned_key(*parts) -> str:
    """A short, stable version string from the parts that identify a state (ids, counts,
    timestamps): for ``version=`` and for ETags."""
    raw = ":".join(str(p) for p in parts)
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()
