from django.urls import path

from . import views

app_name = "voting"
B = "w/<id:pk>/ballots/<id:ballot_id>/"
urlpatterns = [
    path("w/<id:pk>/ballots/", views.ballot_list, name="list"),
    path("w/<id:pk>/ballots/new/", views.ballot_create, name="create"),
    path("w/<id:pk>/agreement/", views.agreement_page, name="agreement"),
    path(B, views.ballot_detail, name="detail"),
    path(B + "status/", views.ballot_status, name="status"),
    path(B + "vote/", views.vote_cast, name="vote"),
    path(B + "rank/", views.ranking_save, name="rank"),
    path(B + "keep/", views.vote_reconfirm, name="reconfirm"),
    path(B + "open/", views.ballot_open, name="open"),
    path(B + "close/", views.ballot_close, name="close"),
    path(B + "reveal/", views.ballot_reveal, name="reveal"),
    path(B + "shortlist/", views.ballot_shortlist, name="shortlist"),
    path(B + "board/", views.ballot_board, name="board"),
]
