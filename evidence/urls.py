from django.urls import path

from evidence import views

urlpatterns = [
    path("before-you-buy/", views.before_you_buy, name="before-you-buy"),
    path("state-of-sharing/", views.state_of_sharing, name="state-of-sharing"),
    path("reports/annual/<int:year>/", views.annual_report, name="annual-report"),
    path("reports/annual/<int:year>/<str:code>/", views.annual_report, name="annual-report-library"),
]
