from django.urls import path

from . import views

app_name = "datasets"
urlpatterns = [
    path("w/<id:pk>/proposals/<id:proposal_id>/computed/", views.kpi_computed, name="kpi"),
    path(
        "w/<id:pk>/proposals/<id:proposal_id>/computed/summary/",
        views.kpi_summary,
        name="kpi_summary",
    ),
    path(
        "w/<id:pk>/proposals/<id:proposal_id>/feasibility/",
        views.feasibility,
        name="feasibility",
    ),
    path("w/<id:pk>/datasets/", views.dataset_list, name="list"),
    path(
        "w/<id:pk>/datasets/stewards/<id:membership_id>/",
        views.steward_toggle,
        name="steward",
    ),
    path("w/<id:pk>/datasets/versions/<id:version_id>/", views.version_status, name="version"),
]
