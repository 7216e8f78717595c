from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.search, name="search"),
    path("export.csv", views.search_csv, name="search_csv"),
    path("export.pdf", views.search_pdf, name="search_pdf"),
    path("trail/<str:object_type>/<str:object_id>/", views.trail, name="trail"),
    path("trail/<str:object_type>/<str:object_id>/export.csv", views.trail_csv, name="trail_csv"),
    path("trail/<str:object_type>/<str:object_id>/export.pdf", views.trail_pdf, name="trail_pdf"),
]
