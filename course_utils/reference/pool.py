"""Reference pooling (notebook 03)."""

from __future__ import annotations
