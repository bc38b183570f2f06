from django.urls import path

from . import views

app_name = "workshops"
urlpatterns = [
    path("join/", views.join_start, name="join"),
    path("j/<str:code>/", views.join_code, name="join_code"),
    path("w/new/", views.workshop_create, name="create"),
    path("w/<id:pk>/", views.workshop_detail, name="detail"),
    path("w/<id:pk>/status/", views.workshop_status, name="status"),
    path("w/<id:pk>/stage/", views.workshop_stage, name="stage"),
    path("w/<id:pk>/edit/", views.workshop_edit, name="edit"),
    path("w/<id:pk>/join/", views.workshop_join_member, name="join_member"),
    path("w/<id:pk>/history/", views.workshop_history, name="history"),
    path("w/<id:pk>/moderation/", views.moderation_queue, name="moderation"),
    path("w/<id:pk>/moderation/decide/", views.moderation_decide, name="moderation_decide"),
    path("w/<id:pk>/moderation/setting/", views.moderation_setting, name="moderation_setting"),
    path("w/<id:pk>/participants/", views.workshop_participants, name="participants"),
    path("w/<id:pk>/invitations/", views.invitation_create, name="invitation_create"),
    path(
        "w/<id:pk>/invitations/<id:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "w/<id:pk>/invitations/<id:invitation_id>/email/",
        views.invitation_email,
        name="invitation_email",
    ),
    path(
        "w/<id:pk>/invitations/<id:invitation_id>/screen/",
        views.join_screen,
        name="join_screen",
    ),
]
