from django.urls import path

from ill import api

urlpatterns = [
    path("requests/", api.RequestListCreateApi.as_view(), name="api-ill-requests"),
    path("requests/<int:pk>/", api.RequestDetailApi.as_view(), name="api-ill-request"),
    path("requests/<int:pk>/rating/", api.RatingApi.as_view(), name="api-ill-request-rating"),
    path(
        "requests/<int:pk>/actions/<str:action>/",
        api.RequestActionApi.as_view(),
        name="api-ill-request-action",
    ),
]
