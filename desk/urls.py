from django.urls import path

from desk import views

urlpatterns = [
    path("desk/", views.desk, name="desk"),
]
