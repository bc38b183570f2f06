from django.urls import path

from . import views

app_name = "workshops"
urlpatterns = [
    path("join/", views.join_start, name="join"),
    path("j/<str:code>/", views.join_code, name="join_code"),
    path("w/new/", views.workshop_create, name="create"),
    path("w/<int:pk>/", views.workshop_detail, name="detail"),
    path("w/<int:pk>/status/", views.workshop_status, name="status"),
    path("w/<int:pk>/stage/", views.workshop_stage, name="stage"),
    path("w/<int:pk>/edit/", views.workshop_edit, name="edit"),
    path("w/<int:pk>/join/", views.workshop_join_member, name="join_member"),
    path("w/<int:pk>/history/", views.workshop_history, name="history"),
    path("w/<int:pk>/participants/", views.workshop_participants, name="participants"),
    path("w/<int:pk>/invitations/", views.invitation_create, name="invitation_create"),
    path(
        "w/<int:pk>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "w/<int:pk>/invitations/<int:invitation_id>/email/",
        views.invitation_email,
        name="invitation_email",
    ),
    path(
        "w/<int:pk>/invitations/<int:invitation_id>/screen/",
        views.join_screen,
        name="join_screen",
    ),
]
