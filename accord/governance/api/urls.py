from rest_framework.routers import DefaultRouter

from accord.governance.api import clauses, documents, objectives, processes

router = DefaultRouter(trailing_slash=True)
for module in (documents, processes, objectives, clauses):
    module.register(router)

urlpatterns = router.urls
