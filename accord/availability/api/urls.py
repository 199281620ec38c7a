"""The availability API under /api/v1/: outages and availability figures."""

from rest_framework.routers import DefaultRouter

from accord.availability.api import figures, outages

router = DefaultRouter(trailing_slash=True)
for module in (outages, figures):
    module.register(router)

urlpatterns = router.urls
