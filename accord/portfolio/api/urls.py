from rest_framework.routers import DefaultRouter

from accord.portfolio.api import catalogue, ci, service

router = DefaultRouter(trailing_slash=True)
for module in (service, catalogue, ci):
    module.register(router)

urlpatterns = router.urls
