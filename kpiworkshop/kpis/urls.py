from django.urls import path

from . import views

app_name = "kpis"
P = "w/<int:pk>/proposals/<int:proposal_id>/"
urlpatterns = [
    path("w/<int:pk>/proposals/", views.proposal_board, name="board"),
    path("w/<int:pk>/proposals/new/", views.proposal_create, name="create"),
    path("w/<int:pk>/proposals/merge/", views.merge_board, name="merge"),
    path("w/<int:pk>/proposals/merge/do/", views.proposal_merge, name="merge_do"),
    path("w/<int:pk>/library/", views.library_browse, name="library"),
    path(P, views.proposal_detail, name="detail"),
    path(P + "edit/", views.proposal_revise, name="revise"),
    path(P + "withdraw/", views.proposal_withdraw, name="withdraw"),
    path(P + "support/", views.proposal_support, name="support"),
    path(P + "internal/", views.proposal_internal_fields, name="internal"),
    path(P + "unmerge/", views.proposal_unmerge, name="unmerge"),
    path(P + "diff/", views.revision_diff, name="diff"),
    path(P + "comments/", views.comment_create, name="comment"),
    path(P + "comments/<int:comment_id>/hide/", views.comment_hide, name="comment_hide"),
    path(P + "comments/<int:comment_id>/resolve/", views.comment_resolve, name="comment_resolve"),
    path(P + "suggest/", views.suggestion_create, name="suggest"),
    path(
        P + "suggestions/<int:suggestion_id>/accept/",
        views.suggestion_accept,
        name="suggestion_accept",
    ),
    path(
        P + "suggestions/<int:suggestion_id>/decline/",
        views.suggestion_decline,
        name="suggestion_decline",
    ),
]
