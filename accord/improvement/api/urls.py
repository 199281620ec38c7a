"""The improvement API under /api/v1/: the register of improvements and its criteria,
nonconformities and their corrective actions."""

from rest_framework.routers import DefaultRouter

from accord.improvement.api import nonconformities, views

router = DefaultRouter(trailing_slash=True)
views.register(router)
nonconformities.register(router)

urlpatterns = router.urls
