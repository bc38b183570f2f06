"""The room's "something changed" signal: one counter per workshop, polled by every page.

Every service that changes what a room sees (a vote, a stage move, a comment let through)
calls ``live_bump(workshop_id=…)`` inside its transaction; after the commit the counter moves.
Each page of a workshop carries a signed link to ``/live/<id>/`` (``live_token``), which
``static/js/live.js`` asks about twice a second with ``If-None-Match``: an unchanged workshop
costs a 304 from the cache, with no database query and no session; a changed one makes the
script dispatch ``kpiw:changed`` on ``<body>``, which the widgets listen to
(``hx-trigger="every 3s, kpiw:changed from:body"``) and fetch their fragment. While the signal
cannot be reached the widgets fall back to their own slower polls (``static/js/app.js``).

Where the counter lives: the database (``LiveVersion``) is the truth, so it survives restarts
and is shared by every process. With a shared cache (Redis) the current value is also kept
there and read from there; a bump deletes it after the database write, so the next poll reads
the database once and refills it. A reader that fetched the old value just before a bump can
put it back: ``KPIW_LIVE_CACHE_SECONDS`` bounds that staleness (and is the most a cached value
can lag). With the in-process default cache (``make run``) each process holds its own copy for
``KPIW_LIVE_LOCAL_SECONDS`` (0.2 s): the process that committed the change drops its copy at
once, the others learn of it within that time.

Only "changed or not" is published: the counter carries no content, and the link is signed per
workshop, so a poll reveals nothing a participant's page does not already show.
"""

import logging
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.signing import Signer
from django.db import DatabaseError, transaction
from django.db.models import F

from .models import LiveVersion

log = logging.getLogger(__name__)

SALT = "kpiw.live"
KEY_PREFIX = "kpiw:live:v1"


def _key(workshop_id: int) -> str:
    return f"{KEY_PREFIX}:{workshop_id}"


def _cache_is_shared() -> bool:
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("locmem.LocMemCache", "dummy.DummyCache"))


def _bump_now(workshop_id: int) -> None:
    """Move the counter (its own short write, after the change committed: no row lock is held
    while the service's transaction runs) and drop the cached copy. A failure here must not
    turn a committed change into an error page: the pages' slow polls still pick it up."""
    try:
        updated = LiveVersion.objects.filter(workshop_id=workshop_id).update(
            version=F("version") + 1
        )
        if not updated:
            LiveVersion.objects.get_or_create(workshop_id=workshop_id, defaults={"version": 1})
    except DatabaseError as exc:
        log.warning("live signal of workshop %s not moved: %s", workshop_id, exc)
    cache.delete(_key(workshop_id))  # this process's copy (and, when shared, everyone's)


def live_bump(*, workshop_id: int) -> None:
    """Tell the room's pages that workshop ``workshop_id`` changed, once the current
    transaction commits (at once outside one). Call it from the writing service, next to the
    audit record: a rolled-back change moves nothing."""
    transaction.on_commit(partial(_bump_now, workshop_id))


def live_version(*, workshop_id: int) -> int:
    """The workshop's current counter (0 before its first change)."""
    cached = cache.get(_key(workshop_id))
    if cached is not None:
        return cached
    version = (
        LiveVersion.objects.filter(workshop_id=workshop_id)
        .values_list("version", flat=True)
        .first()
    ) or 0
    cache.set(_key(workshop_id), version, _cache_seconds())
    return version


def _cache_seconds() -> float:
    """How long a process may serve a counter without asking the database. A shared cache
    hears of every bump (it is deleted), so only a read racing a bump can leave an old value:
    ``KPIW_LIVE_CACHE_SECONDS``. An in-process cache does not hear of another process's bumps:
    ``KPIW_LIVE_LOCAL_SECONDS`` (a fraction of a second) bounds that lag instead, and still
    spares the database all but a few reads a second per process."""
    if _cache_is_shared():
        return settings.KPIW_LIVE_CACHE_SECONDS
    return settings.KPIW_LIVE_LOCAL_SECONDS


def live_token(*, workshop_id: int) -> str:
    """The signed proof, put in a workshop's pages, that their reader may follow its signal.
    Deterministic (no timestamp): a page renders the same markup each time, so shared
    fragments and "nothing changed" comparisons stay byte-identical. It reveals only the
    counter, which moves with what the page itself shows."""
    return Signer(salt=SALT).sign(str(workshop_id)).split(":", 1)[1]


def live_token_valid(*, token: str, workshop_id: int) -> bool:
    """Whether ``token`` was issued for ``workshop_id``."""
    try:
        Signer(salt=SALT).unsign(f"{workshop_id}:{token}")
    except signing.BadSignature:
        return False
    return True
