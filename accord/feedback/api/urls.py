from rest_framework.routers import DefaultRouter

from accord.feedback.api import views

router = DefaultRouter(trailing_slash=True)
router.register("surveys", views.SurveyViewSet, basename="api-survey")
router.register("complaints", views.ComplaintViewSet, basename="api-complaint")
urlpatterns = router.urls
