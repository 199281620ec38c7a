from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """What customers say: satisfaction surveys on resolved tickets, and complaints."""

    name = "accord.feedback"
    label = "feedback"
    verbose_name = "Satisfaction and complaints"
