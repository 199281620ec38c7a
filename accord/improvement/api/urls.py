"""The improvement API under /api/v1/: the register of improvements and its criteria."""

from rest_framework.routers import DefaultRouter

from accord.improvement.api import views

router = DefaultRouter(trailing_slash=True)
views.register(router)

urlpatterns = router.urls
