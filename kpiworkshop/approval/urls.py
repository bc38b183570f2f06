from django.urls import path

from . import views

app_name = "approval"
A = "w/<id:pk>/approve/"
urlpatterns = [
    path(A, views.approval_board, name="board"),
    path(A + "quorum/", views.quorum_set, name="quorum"),
    path(A + "<id:proposal_id>/decide/", views.approval_decide, name="decide"),
    path(A + "<id:proposal_id>/notes/", views.notes_edit, name="notes"),
    path(A + "<id:proposal_id>/notes/confirm/", views.notes_confirm, name="notes_confirm"),
    path(A + "<id:proposal_id>/revise/", views.proposal_resubmit, name="resubmit"),
]
