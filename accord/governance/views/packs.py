"""Stub: filled in by the packs work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
