from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    """Service requests from the catalogue, their approvals and fulfilment tasks."""

    name = "accord.service_requests"
    label = "service_requests"
    verbose_name = "Service requests"
