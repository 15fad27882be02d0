from django.urls import path

from catalogue import search_api

urlpatterns: list = [
    path("records/", search_api.RecordSearchApi.as_view(), name="api-records"),
    path("records/<int:record_id>/", search_api.RecordDetailApi.as_view(), name="api-record-detail"),
    path(
        "records/<int:record_id>/export/<str:fmt>/",
        search_api.RecordExportApi.as_view(),
        name="api-record-export",
    ),
]
