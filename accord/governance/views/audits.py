"""Stub: filled in by the audits work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
