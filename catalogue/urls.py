from django.urls import path

from catalogue import search_views

urlpatterns: list = [
    path("search/", search_views.search, name="search"),
    path("search/advanced/", search_views.advanced_search, name="search-advanced"),
    path("records/<int:record_id>/", search_views.record_page, name="record"),
    path("records/<int:record_id>/export/<str:fmt>/", search_views.record_export, name="record-export"),
]
