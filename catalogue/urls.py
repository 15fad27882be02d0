from django.urls import path

from catalogue import views

urlpatterns = [
    path("imports/", views.import_list, name="import-list"),
    path("imports/new/", views.import_upload, name="import-upload"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/errors.csv", views.import_errors_csv, name="import-errors-csv"),
    path("cataloguing/records/<int:pk>/", views.record_sources, name="record-sources"),
    path("cataloguing/records/<int:pk>/split/<int:source_id>/", views.record_split, name="record-split"),
    path("cataloguing/records/<int:pk>/merge/", views.record_merge, name="record-merge"),
]
