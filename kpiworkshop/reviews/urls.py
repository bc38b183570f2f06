"""The reviews' pages, at the paths they had under ``catalog:`` (links and bookmarks keep
working): a KPI's feedback, values and review date under its catalogue page, the review
schedule, and the review workshop's board."""

from django.urls import path

from . import views

app_name = "reviews"
C = "o/<slug:org>/catalogue/"
R = "o/<slug:org>/reviews/"
urlpatterns = [
    path(C + "<str:version>/kpi/<str:kpi>/feedback/", views.entry_feedback, name="feedback"),
    path(C + "<str:version>/kpi/<str:kpi>/values/", views.entry_value, name="value"),
    path(C + "<str:version>/kpi/<str:kpi>/import/", views.entry_values_import, name="import"),
    path(C + "<str:version>/kpi/<str:kpi>/review/", views.entry_review_date, name="entry_review"),
    path(R, views.reviews, name="reviews"),
    path(R + "start/", views.review_start, name="review_start"),
    path(R + "settings/", views.review_settings, name="review_settings"),
    path(R + "feedback/<id:feedback_id>/hide/", views.feedback_hide, name="feedback_hide"),
    path("w/<id:pk>/review/", views.review_board, name="review_board"),
    path("w/<id:pk>/review/ballot/", views.review_ballot, name="review_ballot"),
    path("w/<id:pk>/review/<id:proposal_id>/kind/", views.review_kind, name="review_kind"),
]
