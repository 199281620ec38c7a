"""Read queries of governance documents, scoped to what the reader may see."""

from __future__ import annotations
