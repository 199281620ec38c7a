from rest_framework.routers import DefaultRouter

from accord.core.api import views

router = DefaultRouter(trailing_slash=True)
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("teams", views.TeamViewSet, basename="team")
router.register("people", views.PersonViewSet, basename="person")
router.register("roles", views.RoleViewSet, basename="role")
router.register("role-assignments", views.RoleAssignmentViewSet, basename="roleassignment")
router.register("audit-events", views.AuditEventViewSet, basename="auditevent")
router.register("me", views.MeViewSet, basename="me")

urlpatterns = router.urls
