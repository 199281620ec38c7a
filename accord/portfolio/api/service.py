"""Placeholder: filled in with the service API."""

from typing import Any


def register(router: Any) -> None:
    """Register this entity's viewsets on the app's router."""
