"""Every change to governance documents, from every door."""

from __future__ import annotations
