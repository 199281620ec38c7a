from rest_framework.routers import DefaultRouter

from accord.agreements.api import views

router = DefaultRouter(trailing_slash=True)
router.register("calendars", views.CalendarViewSet, basename="calendar")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("targets", views.TargetViewSet, basename="target")
urlpatterns = router.urls
