"""Colours shared by the certificate, the report and the share card (RGB, 0–1)."""

from __future__ import annotations

Rgb = tuple[float, float, float]


def hex_rgb(value: str) -> Rgb:
    """ "#1B2A4A" → (0.106, 0.165, 0.290)."""
    value = value.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)


def rgb255(colour: Rgb) -> tuple[int, int, int]:
    """(0.106, 0.165, 0.290) → (27, 42, 74), for Pillow."""
    return (round(colour[0] * 255), round(colour[1] * 255), round(colour[2] * 255))


INK = hex_rgb("#1B2A4A")  # deep navy: titles, names, figures
GOLD = hex_rgb("#B08D3C")  # rules, brand line, accents
MUTED = hex_rgb("#5B6475")  # labels, captions, notes
PANEL = hex_rgb("#F6F2E8")  # score boxes' cream fill
PANEL_EDGE = hex_rgb("#DCD3BE")
WHITE: Rgb = (1.0, 1.0, 1.0)
GRID = hex_rgb("#E3E6EC")  # chart grid lines, table rules
ACCENT = hex_rgb("#2F6FB0")  # the Elo line, bars
