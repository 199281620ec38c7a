"""The service report API under /api/v1/reports/."""

from django.urls import URLPattern, path

from accord.reports.api import views

urlpatterns: list[URLPattern] = [
    path("reports/service/", views.ReportView.as_view(), name="api-report-service"),
    path("reports/service/pdf/", views.ReportPdfView.as_view(), name="api-report-service-pdf"),
    path("reports/service/csv/", views.ReportCsvView.as_view(), name="api-report-service-csv"),
]
