"""Panels a higher app adds to the approval board (the catalogue's publish panel), so this app
never imports them: each registers, from its AppConfig.ready, a function that takes the workshop
access and the board's context and returns the context its panel needs, including the template
it is rendered with under ``board_panels``."""

from collections.abc import Callable

from kpiworkshop.workshops.access import WorkshopAccess

Panel = Callable[[WorkshopAccess, dict], dict]

_PANELS: list[tuple[str, Panel]] = []


def board_panel_register(template: str, panel: Panel) -> None:
    """Add ``template``, rendered with the context ``panel`` returns, below the board."""
    if all(t != template for t, _p in _PANELS):
        _PANELS.append((template, panel))


def board_panels_context(access: WorkshopAccess, context: dict) -> dict:
    """Every registered panel's context, and ``board_panels``: their templates, in order."""
    extra: dict = {"board_panels": [t for t, _p in _PANELS]}
    for _template, panel in _PANELS:
        extra |= panel(access, context)
    return extra
