"""Placeholder: filled in with the service pages."""

urlpatterns: list = []
