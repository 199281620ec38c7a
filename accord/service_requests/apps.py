from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    """Service requests from the catalogue, their approvals and fulfilment tasks."""

    name = "accord.service_requests"
    label = "service_requests"
    verbose_name = "Service requests"

    def ready(self) -> None:
        # Jobs that change many clocks at once keep the requests' SLA summaries in step.
        from accord.agreements.clocks import register_ticket_summary
        from accord.service_requests.models import ServiceRequest
        from accord.service_requests.services import refresh_sla_summaries

        register_ticket_summary(ServiceRequest, refresh_sla_summaries)
