"""Admin for catalogue records."""
