"""What the live component shows (the countdown and the current block's instruction), shared
by the template tag that puts it on other apps' pages and by this app's views and poll."""

import math

from django.conf import settings
from django.utils import timezone

from kpiworkshop.workshops.models import Workshop

from .models import RunSheet, SheetState


def millis(moment) -> int:
    return int(moment.timestamp() * 1000)


def live_context(*, workshop: Workshop, sheet: RunSheet | None, size: str = "page") -> dict:
    """The component's context. ``size``: "page" on phones and pages, "projector" big."""
    now = timezone.now()
    block = sheet.current_block if sheet is not None and sheet.is_running else None
    context = {
        "workshop": workshop,
        "sheet": sheet,
        "current": block,
        "size": "projector" if size == "projector" else "page",
        "server_now_ms": millis(now),
        "poll_seconds": settings.KPIW_STATUS_POLL_SECONDS,
    }
    if block is not None:
        left = block.remaining_seconds(now)
        context |= {
            "paused": sheet.state == SheetState.PAUSED,
            "remaining": max(0, left),
            "overtime": left <= 0,
            "remaining_minutes": max(1, math.ceil(left / 60)),
            "ends_ms": millis(block.ends_at),
        }
    return context
