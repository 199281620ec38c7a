"""Read queries of governance clauses, scoped to what the reader may see."""

from __future__ import annotations
