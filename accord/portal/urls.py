"""The customer portal's pages, under /portal/."""

from django.urls import path

from accord.portal import views

urlpatterns = [
    path("portal/", views.home, name="portal-home"),
    path("portal/tickets/", views.tickets, name="portal-tickets"),
    path("portal/catalogue/", views.catalogue, name="portal-catalogue"),
    path("portal/catalogue/<int:pk>/", views.catalogue_item, name="portal-item"),
    path("portal/requests/<int:pk>/", views.request_detail, name="portal-request"),
    path("portal/requests/<int:pk>/move/", views.request_move, name="portal-request-move"),
    path("portal/requests/<int:pk>/decide/", views.request_decide, name="portal-request-decide"),
    path("portal/incidents/new/", views.incident_new, name="portal-incident-new"),
    path("portal/incidents/<int:pk>/", views.incident_detail, name="portal-incident"),
    path("portal/incidents/<int:pk>/move/", views.incident_move, name="portal-incident-move"),
    path("portal/status/", views.status, name="portal-status"),
]
