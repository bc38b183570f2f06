from django.urls import path

from . import views, views_tree

app_name = "mapping"
M = "w/<id:pk>/map/"
K = M + "kpi/<id:proposal_id>/"
urlpatterns = [
    path(M, views.map_page, name="map"),
    path(M + "coverage/", views.coverage, name="coverage"),
    path(M + "tree/", views_tree.tree_page, name="tree"),
    path(M + "tree/links/", views_tree.tree_link_propose, name="tree_link_propose"),
    path(M + "tree/links/<id:link_id>/stance/", views_tree.tree_link_stance, name="tree_stance"),
    path(M + "tree/links/<id:link_id>/decide/", views_tree.tree_link_decide, name="tree_decide"),
    path(M + "tree/links/take-out/", views_tree.tree_link_take_out, name="tree_take_out"),
    path(M + "audiences/", views.audience_list, name="audiences"),
    path(M + "audiences/<id:audience_id>/", views.audience_detail, name="audience"),
    path(M + "goals/", views.goals_page, name="goals"),
    path(M + "goals/defaults/", views.defaults_add, name="defaults_add"),
    path(M + "goals/new/", views.goal_edit, name="goal_create"),
    path(M + "goals/<id:goal_id>/", views.goal_edit, name="goal_edit"),
    path(M + "audiences/new/", views.audience_edit, name="audience_create"),
    path(M + "audiences/<id:audience_id>/edit/", views.audience_edit, name="audience_edit"),
    path(K, views.kpi_page, name="kpi"),
    path(K + "goals/", views.goal_link_add, name="goal_link_add"),
    path(K + "audiences/", views.audience_link_add, name="audience_link_add"),
    path(K + "breakdowns/", views.breakdowns_save, name="breakdowns"),
    path(K + "counter-metric/", views.counter_metric_save, name="counter_metric"),
    path(K + "comments/<id:comment_id>/hide/", views.link_comment_hide, name="comment_hide"),
    path(
        K + "goal-links/<id:link_id>/remove/",
        views.link_remove,
        {"kind": "goal"},
        name="goal_link_remove",
    ),
    path(
        K + "audience-links/<id:link_id>/remove/",
        views.link_remove,
        {"kind": "audience"},
        name="audience_link_remove",
    ),
    path(
        K + "goal-links/<id:link_id>/comment/",
        views.link_comment,
        {"kind": "goal"},
        name="goal_link_comment",
    ),
    path(
        K + "audience-links/<id:link_id>/comment/",
        views.link_comment,
        {"kind": "audience"},
        name="audience_link_comment",
    ),
]
