"""Read queries of proposals, scoped to what the reader may see."""

from __future__ import annotations
