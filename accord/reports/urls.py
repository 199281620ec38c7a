"""Pages of service reports."""

from django.urls import URLPattern, path

from accord.reports import views

urlpatterns: list[URLPattern] = [
    path("reports/", views.ReportIndexView.as_view(), name="report-index"),
    path("reports/service/", views.ReportView.as_view(), name="report-service"),
    path("reports/service/pdf/", views.ReportPdfView.as_view(), name="report-service-pdf"),
    path("reports/service/csv/", views.ReportCsvView.as_view(), name="report-service-csv"),
]
