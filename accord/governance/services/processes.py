"""Every change to governance processes, from every door."""

from __future__ import annotations
