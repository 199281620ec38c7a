from django.urls import path  # noqa: F401
from rest_framework.routers import DefaultRouter

from accord.changes.api import calendar, changes, policy, releases

router = DefaultRouter(trailing_slash=True)
for module in (changes, policy, releases, calendar):
    module.register(router)

urlpatterns = [*calendar.extra_urlpatterns, *router.urls]
