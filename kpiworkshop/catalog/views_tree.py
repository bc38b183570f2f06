"""The published KPI tree of a release (issue 20): the drawing for wide screens and the
projector, the collapsible list on a phone, and the links as a table. Read by whoever may read
the catalogue; another organisation gets a 404 like every catalogue page."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kpiworkshop.core.htmx import HtmxHttpRequest
from kpiworkshop.mapping.tree_svg import tree_list, tree_svg

from . import selectors
from .access import catalogue_load
from .tree_snapshot import release_tree, tree_rows
from .views import _release_and_current


@require_GET
def release_tree_page(request: HtmxHttpRequest, org: str, version: str) -> HttpResponse:
    access = catalogue_load(request, org)
    release, current = _release_and_current(access, version)
    release.organisation = access.organisation
    entries = selectors.entries_for(release=release, full=False)
    tree = release_tree(release=release, entries=entries)
    label = _("KPI tree of catalogue %(v)s") % {"v": release.version}
    return render(
        request,
        "catalog/release_tree.html",
        {
            "organisation": access.organisation,
            "release": release,
            "is_current": release == current,
            "tree": tree,
            "svg": tree_svg(tree, label=label),
            "tree_list": tree_list(tree),
            "rows": tree_rows(release=release, entries=entries),
        },
    )
