from django.urls import path

from catalogue import oai_views, search_views, sru_views, views

urlpatterns = [
    path("oai", oai_views.oai_pmh, name="oai"),
    path("sru", sru_views.sru_endpoint, name="sru"),
    path("search/", search_views.search, name="search"),
    path("search/advanced/", search_views.advanced_search, name="search-advanced"),
    path("records/<int:record_id>/", search_views.record_page, name="record"),
    path("records/<int:record_id>/export/<str:fmt>/", search_views.record_export, name="record-export"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/new/", views.import_upload, name="import-upload"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/rerun/", views.import_rerun, name="import-rerun"),
    path("imports/<int:pk>/errors.csv", views.import_errors_csv, name="import-errors-csv"),
    path("cataloguing/records/<int:pk>/", views.record_sources, name="record-sources"),
    path("cataloguing/records/<int:pk>/split/<int:source_id>/", views.record_split, name="record-split"),
    path("cataloguing/records/<int:pk>/merge/", views.record_merge, name="record-merge"),
]
