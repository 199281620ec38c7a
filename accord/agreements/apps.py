from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    """Business calendars, SLAs, OLAs and underpinning contracts with their targets."""

    name = "accord.agreements"
    label = "agreements"
    verbose_name = "Agreements"

    def ready(self) -> None:
        # Register the re-targeting jobs with Celery (they live beside the clocks they move).
        from accord.agreements import retarget  # noqa: F401
