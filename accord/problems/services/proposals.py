"""Every change to proposals, from every door."""

from __future__ import annotations
