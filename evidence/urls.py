from django.urls import path

from evidence import views

urlpatterns = [
    path("before-you-buy/", views.before_you_buy, name="before-you-buy"),
    path("collection-overlap/", views.collection_overlap, name="collection-overlap"),
    path("collection-overlap/matrix/", views.collection_overlap_matrix, name="collection-overlap-matrix"),
    path("collection-overlap/unique/", views.collection_overlap_unique, name="collection-overlap-unique"),
    path("state-of-sharing/", views.state_of_sharing, name="state-of-sharing"),
    path("reports/annual/<int:year>/", views.annual_report, name="annual-report"),
    path("reports/annual/<int:year>/<str:code>/", views.annual_report, name="annual-report-library"),
]
