from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accord.transitions"
    verbose_name = "Service design and transition"

    def ready(self) -> None:
        # The portfolio's lifecycle asks the transitions before a service goes live or is
        # retired (ISO/IEC 20000-1, 8.5.2); the portfolio does not import this app.
        from accord.portfolio.services.service import register_lifecycle_gate
        from accord.transitions.services import lifecycle_gate

        register_lifecycle_gate(lifecycle_gate)
