from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    """Services (pipeline, live, retired), catalogue items and configuration items."""

    name = "accord.portfolio"
    label = "portfolio"
    verbose_name = "Portfolio"
