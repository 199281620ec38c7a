"""Every change to governance objectives, from every door."""

from __future__ import annotations
