from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.i18n import JavaScriptCatalog

from . import views
from .api import api
from .core.converters import IdConverter

register_converter(IdConverter, "id")

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("kpiworkshop.core.urls")),
    path("", include("kpiworkshop.workshops.urls")),
    path("", include("kpiworkshop.kpis.urls")),
    path("", include("kpiworkshop.datasets.urls")),
    path("", include("kpiworkshop.voting.urls")),
    path("", include("kpiworkshop.mapping.urls")),
    path("", include("kpiworkshop.approval.urls")),
    path("", include("kpiworkshop.catalog.urls")),
    path("", include("kpiworkshop.reviews.urls")),
    path("", include("kpiworkshop.runsheet.urls")),
    path("accounts/", include("kpiworkshop.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:  # pragma: no cover
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# A dropped database connection answers 503 "try again", not 500 (core/dbfaults.py).
handler500 = "kpiworkshop.core.views.server_error"
