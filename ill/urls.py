from django.urls import path

from ill import views

urlpatterns = [
    path("ill/requests/new/", views.request_new, name="ill-request-new"),
    path("ill/my-requests/", views.my_requests, name="ill-my-requests"),
    path("ill/my-requests/<int:pk>/", views.my_request, name="ill-my-request"),
    path("ill/my-requests/<int:pk>/rating/", views.my_request_rating, name="ill-my-request-rating"),
    path("ill/borrowing/", views.borrowing_queue, name="ill-borrowing"),
    path("ill/lending/", views.lending_queue, name="ill-lending"),
    path("ill/lending/pull-slips/", views.pull_slips, name="ill-pull-slips"),
    path("ill/lending/bulk-ship/", views.bulk_ship, name="ill-bulk-ship"),
    path("ill/requests/<int:pk>/", views.request_detail, name="ill-request"),
    path("ill/requests/<int:pk>/actions/<str:action>/", views.request_action, name="ill-request-action"),
    path("ill/requests/<int:pk>/messages/", views.request_message, name="ill-request-message"),
    path("ill/requests/<int:pk>/rota/", views.rota_reorder, name="ill-rota-reorder"),
    path("ill/reports/", views.consortium_report, name="ill-report"),
    path("ill/copies/<str:token>/", views.copy_download, name="ill-copy"),
]
