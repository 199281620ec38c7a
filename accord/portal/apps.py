from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The customers' pages: the catalogue, their requests and incidents, in plain words."""

    name = "accord.portal"
    label = "portal"
    verbose_name = "Customer portal"
