from django.urls import path

from . import views, views_tree

app_name = "catalog"
A = "w/<id:pk>/approve/"
C = "o/<slug:org>/catalogue/"
urlpatterns = [
    path("w/<id:pk>/catalogue/", views.workshop_catalogue, name="workshop_catalogue"),
    path(A + "publish/", views.publish, name="publish"),
    path(A + "publish/status/", views.publish_status, name="publish_status"),
    path(C, views.catalogue_current, name="current"),
    path(C + "releases/", views.release_list, name="releases"),
    path(C + "diff/", views.release_diff, name="diff"),
    path(C + "exports/<str:token>/", views.export_download, name="export"),
    path(C + "<str:version>/", views.release_detail, name="release"),
    path(C + "<str:version>/kpi/<str:kpi>/", views.entry_detail, name="entry"),
]

# --- review cycles, feedback, measured values (issue 10) ---------------------------------------
R = "o/<slug:org>/reviews/"
urlpatterns += [
    path(C + "<str:version>/kpi/<str:kpi>/feedback/", views.entry_feedback, name="feedback"),
    path(C + "<str:version>/kpi/<str:kpi>/values/", views.entry_value, name="value"),
    path(C + "<str:version>/kpi/<str:kpi>/import/", views.entry_values_import, name="import"),
    path(C + "<str:version>/kpi/<str:kpi>/review/", views.entry_review_date, name="entry_review"),
    path(R, views.reviews, name="reviews"),
    path(R + "start/", views.review_start, name="review_start"),
    path(R + "feedback/<id:feedback_id>/hide/", views.feedback_hide, name="feedback_hide"),
    path("w/<id:pk>/review/", views.review_board, name="review_board"),
    path("w/<id:pk>/review/<id:proposal_id>/kind/", views.review_kind, name="review_kind"),
]
urlpatterns += [
    path(C + "<str:version>/datastack/<str:fmt>/", views.datastack_download, name="datastack"),
]
urlpatterns += [path(R + "settings/", views.review_settings, name="review_settings")]
urlpatterns += [path("w/<id:pk>/review/ballot/", views.review_ballot, name="review_ballot")]
urlpatterns += [path(C + "<str:version>/tree/", views_tree.release_tree_page, name="tree")]
