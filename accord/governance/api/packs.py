"""Stub: filled in by the packs work."""

from typing import Any


def register(router: Any) -> None:
    """Register this module's viewsets on the API router."""
