from rest_framework.routers import DefaultRouter

from accord.service_requests.api import views

router = DefaultRouter(trailing_slash=True)
router.register("requests", views.ServiceRequestViewSet, basename="servicerequest")
router.register("approvals", views.ApprovalQueueViewSet, basename="approval")
urlpatterns = router.urls
