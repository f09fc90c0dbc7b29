"""Reference convolution and convolution arithmetic (notebooks 01-02)."""

from __future__ import annotations
