from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents with live SLA clocks, escalation and major incidents."""

    name = "accord.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Jobs that change many clocks at once keep the incidents' SLA summaries in step.
        from accord.agreements.clocks import register_ticket_summary
        from accord.incidents.models import Incident
        from accord.incidents.services.incident import refresh_sla_summaries

        register_ticket_summary(Incident, refresh_sla_summaries)
