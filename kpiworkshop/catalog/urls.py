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
    path(C + "<str:version>/datastack/<str:fmt>/", views.datastack_download, name="datastack"),
]
urlpatterns += [path(C + "<str:version>/tree/", views_tree.release_tree_page, name="tree")]
