"""Placeholder: filled in with the ci pages."""

urlpatterns: list = []
