"""Admin for service records."""
