"""Every change to problems, from every door."""

from __future__ import annotations
