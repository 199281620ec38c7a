"""Every change to governance clauses, from every door."""

from __future__ import annotations
