from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents with live SLA clocks, escalation and major incidents."""

    name = "accord.incidents"
    label = "incidents"
    verbose_name = "Incidents"
