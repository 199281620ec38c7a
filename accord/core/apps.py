from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Organisations, teams, people, roles, audit trail and numbering shared by every app."""

    name = "accord.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Load the Celery app with Django so that `shared_task`s bind to its configuration.
        from accord import celery  # noqa: F401
        from accord.core import checks  # noqa: F401
