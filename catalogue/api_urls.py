from django.urls import path

from catalogue import api, search_api

urlpatterns = [
    path("records/", search_api.RecordSearchApi.as_view(), name="api-records"),
    path("records/<int:record_id>/", search_api.RecordDetailApi.as_view(), name="api-record-detail"),
    path(
        "records/<int:record_id>/export/<str:fmt>/",
        search_api.RecordExportApi.as_view(),
        name="api-record-export",
    ),
    path("imports/", api.ImportCreateApi.as_view(), name="api-import-create"),
    path("imports/<int:pk>/", api.ImportDetailApi.as_view(), name="api-import-detail"),
]
