from django.urls import path

from . import views

app_name = "datasets"
urlpatterns = [
    path("w/<id:pk>/proposals/<id:proposal_id>/computed/", views.kpi_computed, name="kpi"),
]
