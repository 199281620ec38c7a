"""URL map: pages at the root, the REST API under /api/v1/, its schema and docs beside it."""

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe for load balancers: answers without touching the database."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("accord.core.api.urls")),
    path("api/v1/", include("accord.portfolio.api.urls")),
    path("api/v1/", include("accord.agreements.api.urls")),
    path("api/v1/", include("accord.incidents.api.urls")),
    path("api/v1/", include("accord.service_requests.api.urls")),
    path("api/v1/", include("accord.feedback.api.urls")),
    path("api/v1/", include("accord.governance.api.urls")),
    path("api/v1/", include("accord.problems.api.urls")),
    path("api/v1/", include("accord.changes.api.urls")),
    path("api/v1/", include("accord.availability.api.urls")),
    path("api/v1/", include("accord.capacity.api.urls")),
    path("api/v1/", include("accord.improvement.api.urls")),
    path("api/v1/", include("accord.reports.api.urls")),
    path("api/v1/", include("accord.transitions.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/", health, name="health"),
    path("", include("accord.core.urls")),
    path("", include("accord.portfolio.urls")),
    path("", include("accord.agreements.urls")),
    path("", include("accord.incidents.urls")),
    path("", include("accord.service_requests.urls")),
    path("", include("accord.feedback.urls")),
    path("", include("accord.portal.urls")),
    path("", include("accord.notifications.urls")),
    path("", include("accord.governance.urls")),
    path("", include("accord.problems.urls")),
    path("", include("accord.changes.urls")),
    path("", include("accord.availability.urls")),
    path("", include("accord.capacity.urls")),
    path("", include("accord.improvement.urls")),
    path("", include("accord.transitions.urls")),
    path("", include("accord.reports.urls")),
]

handler403 = "accord.core.errors.permission_denied"
handler404 = "accord.core.errors.not_found"
handler500 = "accord.core.errors.server_error"
