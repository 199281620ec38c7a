from rest_framework.routers import DefaultRouter

from accord.governance.api import (
    audits,
    clauses,
    documents,
    objectives,
    packs,
    processes,
    reviews,
)

router = DefaultRouter(trailing_slash=True)
for module in (documents, processes, objectives, clauses, audits, reviews, packs):
    module.register(router)

urlpatterns = router.urls
