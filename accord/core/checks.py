"""System checks for an Accord deployment (run by `accord check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def production_settings(app_configs: Any, **kwargs: Any) -> list[Warning]:
    warnings = []
    if not settings.PRODUCTION:
        warnings.append(
            Warning(
                "ACCORD_ENV is not 'production'.",
                hint="Set ACCORD_ENV=production for secure cookies, HSTS and HTTPS redirects.",
                id="accord.W001",
            )
        )
    if settings.PRODUCTION and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(
            Warning(
                "Production runs on SQLite.",
                hint="SQLite suits one server; set DATABASE_URL to PostgreSQL to scale out.",
                id="accord.W002",
            )
        )
    return warnings
