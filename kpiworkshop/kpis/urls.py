from django.urls import path

from . import views

app_name = "kpis"
P = "w/<id:pk>/proposals/<id:proposal_id>/"
urlpatterns = [
    path("w/<id:pk>/proposals/", views.proposal_board, name="board"),
    path("w/<id:pk>/proposals/new/", views.proposal_create, name="create"),
    path("w/<id:pk>/proposals/merge/", views.merge_board, name="merge"),
    path("w/<id:pk>/proposals/merge/do/", views.proposal_merge, name="merge_do"),
    path("w/<id:pk>/library/", views.library_browse, name="library"),
    path(P, views.proposal_detail, name="detail"),
    path(P + "edit/", views.proposal_revise, name="revise"),
    path(P + "withdraw/", views.proposal_withdraw, name="withdraw"),
    path(P + "support/", views.proposal_support, name="support"),
    path(P + "internal/", views.proposal_internal_fields, name="internal"),
    path(P + "unmerge/", views.proposal_unmerge, name="unmerge"),
    path(P + "diff/", views.revision_diff, name="diff"),
    path(P + "comments/", views.comment_create, name="comment"),
    path(P + "comments/<id:comment_id>/hide/", views.comment_hide, name="comment_hide"),
    path(P + "comments/<id:comment_id>/resolve/", views.comment_resolve, name="comment_resolve"),
    path(P + "suggest/", views.suggestion_create, name="suggest"),
    path(
        P + "suggestions/<id:suggestion_id>/accept/",
        views.suggestion_accept,
        name="suggestion_accept",
    ),
    path(
        P + "suggestions/<id:suggestion_id>/decline/",
        views.suggestion_decline,
        name="suggestion_decline",
    ),
]
