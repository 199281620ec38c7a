"""Read queries of problems, scoped to what the reader may see."""

from __future__ import annotations
