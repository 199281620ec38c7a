from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """In-app notifications and the outgoing mail queue, written exactly once per event."""

    name = "accord.notifications"
    label = "notifications"
    verbose_name = "Notifications"
