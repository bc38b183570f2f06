from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("live/<id:pk>/", views.live, name="live"),
    path("bench/trivial", views.trivial, name="trivial"),
]
