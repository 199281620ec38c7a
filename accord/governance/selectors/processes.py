"""Read queries of governance processes, scoped to what the reader may see."""

from __future__ import annotations
