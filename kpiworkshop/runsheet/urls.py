from django.urls import path

from . import views

app_name = "runsheet"
R = "w/<id:pk>/runsheet/"
urlpatterns = [
    path(R, views.sheet_detail, name="sheet"),
    path(R + "prepare/", views.sheet_prepare, name="prepare"),
    path(R + "blocks/new/", views.block_add, name="block_add"),
    path(R + "blocks/<id:block_id>/edit/", views.block_edit, name="block_edit"),
    path(R + "blocks/<id:block_id>/delete/", views.block_delete, name="block_delete"),
    path(R + "blocks/<id:block_id>/move/", views.block_move, name="block_move"),
    path(R + "reorder/", views.blocks_reorder, name="reorder"),
    path(R + "start/", views.sheet_start, name="start"),
    path(R + "live-hold/", views.sheet_hold_open_text, name="hold_open_text"),
    path(R + "control/", views.sheet_control, name="control"),
    path(R + "now/", views.sheet_now, name="now"),
    path(R + "projector/", views.sheet_projector, name="projector"),
    path(R + "report/", views.report_detail, name="report"),
    path(R + "report.csv", views.report_csv_download, name="report_csv"),
    path(R + "report.pdf", views.report_pdf_download, name="report_pdf"),
]
