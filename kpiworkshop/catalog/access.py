"""Loading an organisation's catalogue and the reader's standing for a request: the one place
the catalogue's pages and the apps above it (reviews) share, so no view imports another app's
views (as ``workshops.access`` is for a workshop)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from kpiworkshop.accounts.models import Organisation
from kpiworkshop.workshops.access import guest_key_of

from . import permissions, selectors
from .models import CatalogRelease


class CatalogueAccess:
    def __init__(self, organisation: Organisation, reader):
        self.organisation = organisation
        self.reader = reader
        self.internal = permissions.can_see_internal(reader)


def catalogue_load(request, org: str) -> CatalogueAccess:
    """The organisation and the reader's standing: 404 for anyone outside it, so another
    organisation cannot even learn that the catalogue exists."""
    organisation, member_role = selectors.organisation_with_member_role(
        slug=org[:60], user=request.user
    )
    if organisation is None:
        raise Http404
    reader = selectors.reader_for(
        user=request.user,
        guest_key=guest_key_of(request),
        organisation_id=organisation.pk,
        member_role=member_role,
    )
    if not permissions.can_read_catalogue(reader, organisation.pk):
        raise Http404
    return CatalogueAccess(organisation, reader)


def catalogue_as_reader(request, access: CatalogueAccess, service, **kwargs):
    """A reader's action on an entry of the catalogue: a refusal is a 404, as for the pages,
    so nobody learns more of the catalogue than they may touch."""
    try:
        return service(reader=access.reader, user=request.user, **kwargs)
    except PermissionDenied as exc:
        raise Http404 from exc


def catalogue_release(access: CatalogueAccess, version: str) -> CatalogRelease:
    """The release a URL names, or 404."""
    release = selectors.release_get(organisation_id=access.organisation.pk, version=version)
    if release is None:
        raise Http404
    return release
