"""The embedded fonts: Noto Sans and Noto Serif from assets/fonts/, loaded once per process.

reportlab keeps registered fonts in a process-wide table and subsets them per
document, so registering once (not per certificate) is what keeps a bulk ZIP
fast: parsing the three TTF files costs ~25 ms, a certificate ~10 ms.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from PIL import ImageFont
from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"

SANS = "MockexamSans"
SANS_BOLD = "MockexamSans-Bold"
SERIF_BOLD = "MockexamSerif-Bold"

FONT_FILES: dict[str, str] = {
    SANS: "NotoSans-Regular.ttf",
    SANS_BOLD: "NotoSans-Bold.ttf",
    SERIF_BOLD: "NotoSerif-Bold.ttf",
}


@functools.cache
def register_fonts() -> None:
    """Register the three faces with reportlab (once), and Sans's bold for <b> in paragraphs."""
    rl_config.useA85 = 0  # binary streams: smaller PDFs and no ASCII85 pass
    for name, file in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    for bold, italic in ((0, 0), (1, 0), (0, 1), (1, 1)):
        addMapping(SANS, bold, italic, SANS_BOLD if bold else SANS)


@functools.lru_cache(maxsize=64)
def pil_font(face: str, size: int) -> ImageFont.FreeTypeFont:
    """The same face for Pillow (share cards), cached per size."""
    return ImageFont.truetype(str(FONT_DIR / FONT_FILES[face]), size)


def text_width(text: str, face: str, size: float) -> float:
    """Width in points of `text` set in `face` at `size` (fonts registered first)."""
    register_fonts()
    return pdfmetrics.stringWidth(text, face, size)


def fit_font_size(text: str, face: str, size: float, max_width: float, min_size: float) -> float:
    """The largest size ≤ `size` (and ≥ `min_size`) at which `text` fits `max_width`."""
    width = text_width(text, face, size)
    if width <= max_width:
        return size
    return max(min_size, size * max_width / width)


def ellipsize(text: str, face: str, size: float, max_width: float) -> str:
    """`text`, cut with "…" so that it fits `max_width` at `size`."""
    if text_width(text, face, size) <= max_width:
        return text
    while text and text_width(text + "…", face, size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


@functools.cache
def _covered_code_points() -> frozenset[int]:
    """The characters every embedded face can draw (Latin, Cyrillic, Greek, punctuation…)."""
    register_fonts()
    maps = [set(pdfmetrics.getFont(name).face.charToGlyph) for name in FONT_FILES]
    return frozenset(set.intersection(*maps))


def printable(text: str) -> str:
    """`text` (NFC) without the characters the fonts lack (emoji, CJK…), spaces collapsed.

    A Telegram name like "Ali 🚀 Valiyev" prints as "Ali Valiyev", never with empty boxes.
    """
    covered = _covered_code_points()
    kept = "".join(ch for ch in unicodedata.normalize("NFC", text) if ord(ch) in covered)
    return " ".join(kept.split())
