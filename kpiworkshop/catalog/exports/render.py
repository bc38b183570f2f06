"""One export of a release in any format, for ``export_catalog`` and the tests: the stored
formats from ``tabular`` (PDF, CSV, JSON, Markdown), the data-stack ones from ``datastack``
(dbt, OpenMetadata; built on demand, issue 10). The only module that knows both families, so
neither imports the other's renderer (``datastack`` reads ``tabular``'s document, one way)."""

from ..models import CatalogRelease
from .datastack import DATASTACK_FORMATS, datastack_render
from .tabular import export_render as tabular_render


def export_render(*, release: CatalogRelease, fmt: str, audience: str = "", entries=None) -> bytes:
    if fmt in DATASTACK_FORMATS:
        return datastack_render(release=release, fmt=fmt)
    return tabular_render(release=release, fmt=fmt, audience=audience, entries=entries)
