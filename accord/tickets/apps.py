from django.apps import AppConfig


class TicketsConfig(AppConfig):
    """What every ticket kind shares: comments, attachments and the timeline."""

    name = "accord.tickets"
    label = "tickets"
    verbose_name = "Tickets"
