from django.urls import path

from catalogue import api

urlpatterns = [
    path("imports/", api.ImportCreateApi.as_view(), name="api-import-create"),
    path("imports/<int:pk>/", api.ImportDetailApi.as_view(), name="api-import-detail"),
]
