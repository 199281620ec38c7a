"""The service transitions API under /api/v1/."""

from rest_framework.routers import DefaultRouter

from accord.transitions.api import views

router = DefaultRouter(trailing_slash=True)
views.register(router)

urlpatterns = router.urls
