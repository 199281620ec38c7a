from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "accord.reports"
    label = "reports"
    verbose_name = "Service reporting"
    default_auto_field = "django.db.models.BigAutoField"
