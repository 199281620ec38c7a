"""Accord: service management for IT service providers."""
