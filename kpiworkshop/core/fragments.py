"""Shared fragments: markup rendered once and served from the cache to every viewer entitled to
that same markup, declared once per fragment so they cannot go stale or leak.

A page that a whole room loads at once (a ballot's results, a board's cards, a coverage table)
renders the same markup for many people. Each app that shares markup declares each such
fragment once, in its ``fragments.py``::

    results = Fragment(
        "ballot-results",
        templates=("voting/_results.html",),
        inputs=("ballot", "equal"),                      # everything that varies the markup
        scope=lambda ballot, **_: (ballot.workshop.organisation_id, ballot.pk),
        version=lambda ballot, **_: selectors.ballot_version(ballot=ballot),
        audience=lambda access, ballot, **_: {            # computed from permissions.py
            "manager": permissions.can_manage_ballots(access.participant, ballot),
        },
        compute=_results,                                 # (audience, **inputs) -> markup
    )

and a view asks it: ``fragments.results.get(access, ballot=ballot, equal=False)``. The rules the
declaration enforces:

- **Rendered without the request or the participant.** ``compute`` receives the declared
  ``inputs`` and the ``audience`` flags, nothing else; the viewer is only given to the
  ``audience`` function. What is the same for two viewers with the same flags is therefore
  the same markup.
- **The audience comes from the predicates** of the app's ``permissions.py``: a dict of their
  answers for this viewer, never a hand-typed string. ``compute`` sees exactly those answers.
- **The key** holds the fragment's name, the digest of its templates' source (and of what they
  include or extend), the scope (organisation first), the version, the audience flags, every
  input, the active language and the active time zone. A deploy that changes a template changes
  the key, two organisations never share an entry.
- **The version** is bumped by the writes that change the markup, in their transaction
  (``core.versions``): an entry cannot outlive a commit nor lag one, so entries live long
  (``timeout`` is cache hygiene, not a correctness bound).
- **Per-viewer bits** (a person's own vote, a CSRF token, a countdown) are *slots*: the shared
  markup carries a marker where each goes (``slots.slot(name)`` in ``compute``'s context,
  declared in ``slots=``), and the view fills them per request with ``Shared.fill``: plain
  string replacement of already-escaped markup, no template engine, no query. This is the one
  way to put something personal into shared markup.

Every declaration is in ``REGISTRY``; ``tests/core/test_fragment_grid.py`` walks them all ×
role × stage (same key ⇒ same markup; viewers whose predicates differ ⇒ different keys), and
``tests/core/test_no_cache_in_views.py`` fails if a view module touches the cache.

The cache is ``settings.CACHES["default"]``: shared by all server processes with Redis
(production); per process with the in-memory default, which is still correct because keys carry
the version, not an invalidation message.
"""

import hashlib
import importlib
import importlib.util
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

KEY_PREFIX = "kpiw:frag:v2"
#: Every declared fragment, by name (filled as the apps' ``fragments.py`` are imported).
REGISTRY: dict[str, "Fragment"] = {}

_REFERENCE = re.compile(r"""{%\s*(?:include|extends)\s+["']([^"'#]+)(?:#[^"']*)?["']""")


def versioned_key(*parts) -> str:
    """A short, stable version string from the parts that identify a state (ids, counters):
    for ETags and composite versions."""
    raw = ":".join(str(p) for p in parts)
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def _template_source(name: str) -> str:
    return get_template(name).template.source


@lru_cache(maxsize=256)
def _digest_cached(names: tuple[str, ...]) -> str:
    return _digest(names)


def _digest(names: tuple[str, ...]) -> str:
    seen: dict[str, str] = {}
    todo = [n.split("#", 1)[0] for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        source = _template_source(name)
        seen[name] = source
        todo.extend(_REFERENCE.findall(source))
    raw = "\x00".join(f"{n}\x01{seen[n]}" for n in sorted(seen))
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def template_digest(names: Iterable[str]) -> str:
    """A digest of the templates' source (a ``#partial`` suffix names its file) and of every
    template they include or extend, recursively. Memoised per process (a deploy restarts the
    processes), except with DEBUG, where templates change under a running server."""
    names = tuple(sorted(set(names)))
    return _digest(names) if settings.DEBUG else _digest_cached(names)


def key_part(value) -> str:
    """An input as it goes into a key: a model instance by its label and primary key, plain
    values by ``repr``, containers element by element. Anything else is refused: an input
    that cannot be told apart in a key would let two different markups share one."""
    if isinstance(value, models.Model):
        return f"{value._meta.label_lower}:{value.pk}"
    if value is None or isinstance(value, bool | int | str | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(key_part(v) for v in value) + "]"
    if isinstance(value, frozenset | set):
        return "{" + ",".join(sorted(key_part(v) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{key_part(v)}" for k, v in sorted(value.items())) + "}"
    raise TypeError(f"{type(value).__name__} cannot be a fragment input")


class Slots:
    """The markers of one rendering's per-viewer bits. ``slot(name)`` goes where a bit goes;
    the nonce is random per rendering, so user content cannot guess (or contain) a marker."""

    def __init__(self):
        self.nonce = secrets.token_hex(8)

    def slot(self, name: str) -> SafeString:
        return mark_safe(f"\x00{self.nonce}:{name}\x00")  # noqa: S308 - a marker, no user text

    def split(self, html: str) -> list[str]:
        """``html`` as [text, slot name, text, slot name, ..., text]."""
        return re.split(f"\x00{self.nonce}:([^\x00]*)\x00", html)


@dataclass(frozen=True)
class Shared:
    """A fragment as the cache gives it back: its markup (``html``, or the ``pieces`` around
    its slots) and the values computed with it that the page needs besides (``extra``)."""

    pieces: list[str]
    extra: dict = field(default_factory=dict)

    @property
    def html(self) -> SafeString:
        if len(self.pieces) != 1:
            raise ValueError("this fragment has slots: fill them (Shared.fill)")
        return mark_safe(self.pieces[0])  # noqa: S308 - our own template's output

    def fill(self, values: dict[str, str]) -> SafeString:
        """The markup with every slot replaced by its value (already escaped markup). A slot
        without a value is an error, never left in the page."""
        out = []
        for i, piece in enumerate(self.pieces):
            out.append(piece if i % 2 == 0 else str(values[piece]))
        return mark_safe("".join(out))  # noqa: S308 - our template's output, escaped values

    def slot_names(self) -> list[str]:
        return self.pieces[1::2]


class Fragment:
    """One shared fragment, declared once (see the module's docstring).

    ``compute(audience=..., slots=..., **inputs)`` returns the markup, or a dict with the
    markup as ``"html"`` and any other picklable values the page needs besides it (an order of
    ids, a count). ``slots`` is passed only when the fragment declares ``slots``; the names it
    uses may be templated (``"vote:{pid}"``): ``slots=`` documents them."""

    def __init__(
        self,
        name: str,
        *,
        templates: Iterable[str],
        inputs: Iterable[str],
        scope: Callable[..., tuple],
        version: Callable[..., object],
        audience: Callable[..., dict],
        compute: Callable[..., object],
        slots: Iterable[str] = (),
        timeout: int = 3600,
    ):
        if name in REGISTRY:
            raise ValueError(f"fragment {name!r} is declared twice")
        self.name = name
        self.templates = tuple(templates)
        self.inputs = tuple(sorted(inputs))
        self.scope = scope
        self.version = version
        self.audience = audience
        self.compute = compute
        self.slots = tuple(slots)
        self.timeout = timeout
        REGISTRY[name] = self

    def __repr__(self) -> str:
        return f"<Fragment {self.name}>"

    def _check(self, inputs: dict) -> None:
        if set(inputs) != set(self.inputs):
            raise TypeError(
                f"fragment {self.name!r} takes exactly {sorted(self.inputs)}, got {sorted(inputs)}"
            )

    def flags(self, viewer, **inputs) -> dict:
        """The audience: the predicates' answers for this viewer (sorted, plain values)."""
        return dict(sorted(self.audience(viewer, **inputs).items()))

    def key(self, viewer, **inputs) -> str:
        """The cache key for this viewer and these inputs (also good as an ETag)."""
        self._check(inputs)
        return self._key(self.flags(viewer, **inputs), inputs)

    def _key(self, flags: dict, inputs: dict) -> str:
        scope = self.scope(**inputs)
        raw = "|".join(
            [
                self.name,
                template_digest(self.templates),
                ":".join(str(part) for part in scope),
                str(self.version(**inputs)),
                key_part(flags),
                ",".join(f"{name}={key_part(inputs[name])}" for name in self.inputs),
                translation.get_language() or "",
                timezone.get_current_timezone_name(),
            ]
        )
        digest = hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
        return f"{KEY_PREFIX}:{self.name}:{digest}"

    def render(self, flags: dict, **inputs) -> Shared:
        """Render now, from the audience flags and inputs alone (no cache)."""
        self._check(inputs)
        slots = Slots() if self.slots else None
        extra_kw = {"slots": slots} if slots else {}
        value = self.compute(audience=dict(flags), **extra_kw, **inputs)
        if isinstance(value, dict):
            html, extra = str(value.pop("html", "")), value
        else:
            html, extra = str(value), {}
        return Shared(pieces=slots.split(html) if slots else [html], extra=extra)

    def get(self, viewer, **inputs) -> Shared:
        """The fragment for this viewer, from the cache or rendered and stored for the next
        viewer with the same key. ``compute`` runs only on a miss, so its queries are skipped
        on a hit."""
        self._check(inputs)
        flags = self.flags(viewer, **inputs)
        key = self._key(flags, inputs)
        value = cache.get(key)
        if value is None:
            value = self.render(flags, **inputs)
            cache.set(key, value, self.timeout)
        return value


def autodiscover() -> dict[str, Fragment]:
    """Import every installed app's ``fragments`` module; returns ``REGISTRY``."""
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("kpiworkshop."):
            continue
        module = f"{config.name}.fragments"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return REGISTRY
