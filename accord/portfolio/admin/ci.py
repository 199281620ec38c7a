"""Admin for ci records."""
