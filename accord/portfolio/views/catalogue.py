"""Placeholder: filled in with the catalogue pages."""

urlpatterns: list = []
