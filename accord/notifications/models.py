"""Notifications: models are defined by the notifications work in progress."""
