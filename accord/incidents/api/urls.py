from django.urls import path
from rest_framework.routers import DefaultRouter

from accord.incidents.api import views

router = DefaultRouter(trailing_slash=True)
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("incident-categories", views.CategoryViewSet, basename="incidentcategory")
urlpatterns = [
    *router.urls,
    path("priority-matrix/", views.PriorityMatrixView.as_view(), name="priority-matrix"),
]
