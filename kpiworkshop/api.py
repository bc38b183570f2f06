"""The JSON API: gathers the apps' routers under /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from ninja import NinjaAPI
from ninja.security import django_auth

from kpiworkshop.accounts.api import TokenAuth
from kpiworkshop.api_docs import AccessibleDocs
from kpiworkshop.catalog.api import router as catalog_router
from kpiworkshop.core.api_errors import openapi_declare_errors
from kpiworkshop.kpis.api import router as kpis_router
from kpiworkshop.mapping.api import router as mapping_router
from kpiworkshop.voting.api import router as voting_router
from kpiworkshop.workshops.api import router as workshops_router


class KpiwAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        # Every operation also lists the 401/404/422 it can answer (core/api_errors.py).
        return openapi_declare_errors(super().get_openapi_schema(*args, **kwargs))


api = KpiwAPI(
    title="kpiworkshop API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
    docs=AccessibleDocs(),
    description="Read the workshops, proposals and results you may see. Authenticate with "
    "your session or with a personal token: `Authorization: Bearer kpiw_…`.",
)
api.add_router("/", workshops_router)
api.add_router("/", kpis_router)
api.add_router("/", voting_router)
api.add_router("/", mapping_router)
api.add_router("/", catalog_router)
