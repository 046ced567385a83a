"""Formatting shared by the terminal and HTML reports (no rich, no HTML here)."""

from __future__ import annotations


def pct(x: float) -> str:
    """A ratio as a percentage with one decimal: 0.7614 → "76.1%"."""
    return f"{100 * x:.1f}%"


def snippet(text: str, limit: int) -> str:
    """``text`` on one line (whitespace runs become one space), cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
