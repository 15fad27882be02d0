from django.urls import path

from evidence import views

urlpatterns = [
    path("before-you-buy/", views.before_you_buy, name="before-you-buy"),
]
