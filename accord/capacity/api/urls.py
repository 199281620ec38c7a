"""The capacity API under /api/v1/: metrics and their series, samples (batches and CSV files),
forecasts, scrape targets and the drafting of the capacity plan."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accord.capacity.api import views

router = SimpleRouter(trailing_slash=True)
router.register("capacity/metrics", views.MetricViewSet, basename="api-capacity-metric")
router.register("capacity/forecasts", views.ForecastViewSet, basename="api-capacity-forecast")
router.register(
    "capacity/scrape-targets", views.ScrapeTargetViewSet, basename="api-capacity-scrape-target"
)

urlpatterns = [
    path("capacity/samples/", views.SampleBatchView.as_view(), name="api-capacity-samples"),
    path("capacity/samples/csv/", views.SampleCSVView.as_view(), name="api-capacity-samples-csv"),
    path("capacity/plans/", views.PlanDraftView.as_view(), name="api-capacity-plans"),
    *router.urls,
]
