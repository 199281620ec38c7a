"""Read queries of governance objectives, scoped to what the reader may see."""

from __future__ import annotations
