"""Pages of service reports: the live report, stored versions, schedules, and the customer
portal's reports."""

from django.urls import URLPattern, path

from accord.reports import portal_views, version_views, views

urlpatterns: list[URLPattern] = [
    path("reports/", views.ReportIndexView.as_view(), name="report-index"),
    path("reports/service/", views.ReportView.as_view(), name="report-service"),
    path("reports/service/pdf/", views.ReportPdfView.as_view(), name="report-service-pdf"),
    path("reports/service/csv/", views.ReportCsvView.as_view(), name="report-service-csv"),
    # Stored versions.
    path(
        "reports/versions/",
        version_views.ServiceReportListView.as_view(),
        name="service-report-list",
    ),
    path(
        "reports/versions/compile/",
        version_views.ServiceReportCompileView.as_view(),
        name="service-report-compile",
    ),
    path(
        "reports/versions/<int:pk>/",
        version_views.ServiceReportDetailView.as_view(),
        name="service-report-detail",
    ),
    path(
        "reports/versions/<int:pk>/pdf/",
        version_views.ServiceReportPdfView.as_view(),
        name="service-report-pdf",
    ),
    path(
        "reports/versions/<int:pk>/refresh/",
        version_views.ServiceReportRefreshView.as_view(),
        name="service-report-refresh",
    ),
    path(
        "reports/versions/<int:pk>/comment/",
        version_views.ServiceReportCommentView.as_view(),
        name="service-report-comment",
    ),
    path(
        "reports/versions/<int:pk>/sign-off/",
        version_views.ServiceReportSignOffView.as_view(),
        name="service-report-sign-off",
    ),
    path(
        "reports/versions/<int:pk>/send/",
        version_views.ServiceReportSendView.as_view(),
        name="service-report-send",
    ),
    # Schedules.
    path(
        "reports/schedules/",
        version_views.ScheduleListView.as_view(),
        name="report-schedule-list",
    ),
    path(
        "reports/schedules/new/",
        version_views.ScheduleCreateView.as_view(),
        name="report-schedule-create",
    ),
    path(
        "reports/schedules/<int:pk>/",
        version_views.ScheduleDetailView.as_view(),
        name="report-schedule-detail",
    ),
    path(
        "reports/schedules/<int:pk>/delete/",
        version_views.ScheduleDeleteView.as_view(),
        name="report-schedule-delete",
    ),
    # The customer portal.
    path("portal/reports/", portal_views.report_list, name="portal-report-list"),
    path("portal/reports/<int:pk>/", portal_views.report_detail, name="portal-report-detail"),
    path("portal/reports/<int:pk>/pdf/", portal_views.report_pdf, name="portal-report-pdf"),
    path(
        "portal/reports/<int:pk>/acknowledge/",
        portal_views.report_acknowledge,
        name="portal-report-acknowledge",
    ),
]
