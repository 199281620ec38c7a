"""Every change to known errors, from every door."""

from __future__ import annotations
