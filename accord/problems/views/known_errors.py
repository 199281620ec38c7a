"""Pages of known errors."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
