from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    """Business calendars, SLAs, OLAs and underpinning contracts with their targets."""

    name = "accord.agreements"
    label = "agreements"
    verbose_name = "Agreements"
