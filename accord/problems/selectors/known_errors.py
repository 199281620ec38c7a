"""Read queries of known errors, scoped to what the reader may see."""

from __future__ import annotations
