"""Admin of the portfolio: every save goes through the services."""

from accord.portfolio.admin import catalogue, ci, service  # noqa: F401
