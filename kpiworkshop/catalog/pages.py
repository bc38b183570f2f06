"""What a higher app adds to the catalogue's pages (the reviews: a KPI's feedback, measured
values and review date; the link to the review schedule), so this app never imports it. Each
registers from its AppConfig.ready, as ``approval.board`` takes the catalogue's publish panel.

- ``entry_panel_register(template, panel, related=...)``: ``template`` is included on the KPI
  page (after its definition), rendered with the context ``panel(request, access, release,
  entry, current)`` returns; ``related`` names the entry's one-to-one relations the panel reads,
  joined into the page's one entry query so the panel adds none.
- ``catalogue_links_register(links)``: ``links(access)`` returns the links (``url``, ``label``,
  ``testid``) the reader may follow from the catalogue page's navigation."""

from collections.abc import Callable

from django.http import HttpRequest

from .access import CatalogueAccess
from .models import CatalogEntry, CatalogRelease

EntryPanel = Callable[
    [HttpRequest, CatalogueAccess, CatalogRelease, CatalogEntry, CatalogRelease | None], dict
]
Links = Callable[[CatalogueAccess], list[dict]]

_ENTRY_PANELS: list[tuple[str, EntryPanel, tuple[str, ...]]] = []
_LINKS: list[Links] = []


def entry_panel_register(template: str, panel: EntryPanel, *, related: tuple[str, ...] = ()):
    if all(t != template for t, _p, _r in _ENTRY_PANELS):
        _ENTRY_PANELS.append((template, panel, tuple(related)))


def entry_related() -> tuple[str, ...]:
    """The entry relations every registered panel reads (for ``select_related``)."""
    return tuple(dict.fromkeys(r for _t, _p, related in _ENTRY_PANELS for r in related))


def entry_panels_context(
    request: HttpRequest,
    access: CatalogueAccess,
    release: CatalogRelease,
    entry: CatalogEntry,
    current: CatalogRelease | None,
) -> dict:
    """Every registered panel's context, and ``entry_panels``: their templates, in order."""
    extra: dict = {"entry_panels": [t for t, _p, _r in _ENTRY_PANELS]}
    for _template, panel, _related in _ENTRY_PANELS:
        extra |= panel(request, access, release, entry, current)
    return extra


def catalogue_links_register(links: Links) -> None:
    if links not in _LINKS:
        _LINKS.append(links)


def catalogue_links(access: CatalogueAccess) -> list[dict]:
    return [link for links in _LINKS for link in links(access)]
