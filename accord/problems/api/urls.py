from rest_framework.routers import DefaultRouter

from accord.problems.api import known_errors, problems, proposals

router = DefaultRouter(trailing_slash=True)
for module in (problems, known_errors, proposals):
    module.register(router)

urlpatterns = router.urls
