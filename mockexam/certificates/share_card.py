"""The share card: a 1200×630 PNG of a result, for a Telegram chat or story.

1200×630 is the link-preview shape Telegram and most messengers crop to
without cutting. Drawn with Pillow in the certificate's fonts and colours; when
a verification URL is given, its QR code sits on a white tile on the right, so
whoever sees the shared picture can check it.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from mockexam.certificates.certificate import score_boxes
from mockexam.certificates.facts import CertificateFacts, check_certificate
from mockexam.certificates.fonts import SANS, SANS_BOLD, SERIF_BOLD, pil_font, printable
from mockexam.certificates.labels import format_long_date, labels_for
from mockexam.certificates.qr import qr_image
from mockexam.certificates.theme import GOLD, INK, rgb255

WIDTH, HEIGHT = 1200, 630
PAD = 64
TILE = 300
"""Side of the white QR tile on the right."""

NAVY_TOP = (27, 42, 74)
NAVY_BOTTOM = (16, 26, 48)
WHITE = (255, 255, 255)
SOFT = (213, 220, 234)
DIM = (154, 166, 189)
GOLD_RGB = rgb255(GOLD)
INK_RGB = rgb255(INK)

Font = ImageFont.FreeTypeFont


def render_share_card(
    facts: CertificateFacts, *, lang: str, verify_url: str | None = None
) -> bytes:
    """The result of `facts` as a 1200×630 PNG in `lang` (uz, ru, en).

    With `verify_url`, the card carries its QR code and the short code. Raises
    ValidationError like `render_certificate`.
    """
    labels = labels_for(lang)
    check_certificate(facts, verify_url=verify_url)
    image = _background()
    draw = ImageDraw.Draw(image)
    right_edge = WIDTH - PAD - (TILE + 48 if verify_url else 0)
    column = right_edge - PAD

    _spaced(
        draw, (PAD, PAD + 22), printable(facts.brand).upper(), pil_font(SANS_BOLD, 22), GOLD_RGB, 4
    )
    draw.line((PAD, PAD + 40, PAD + 64, PAD + 40), fill=GOLD_RGB, width=3)
    draw.text((PAD, PAD + 86), labels.share_heading, font=pil_font(SANS, 26), fill=DIM, anchor="ls")

    name = printable(facts.student_name)
    name_font = _fit(name, SERIF_BOLD, 58, 30, column)
    draw.text(
        (PAD, PAD + 156), _cut(name, name_font, column), font=name_font, fill=WHITE, anchor="ls"
    )
    title = printable(facts.exam_title)
    title_font = _fit(title, SANS, 28, 20, column)
    draw.text(
        (PAD, PAD + 204), _cut(title, title_font, column), font=title_font, fill=SOFT, anchor="ls"
    )
    draw.text(
        (PAD, PAD + 240),
        format_long_date(facts.exam_date, lang),
        font=pil_font(SANS, 22),
        fill=DIM,
        anchor="ls",
    )

    boxes = score_boxes(facts, labels, lang)
    official, others = boxes[0], boxes[1:]
    value_font = pil_font(SANS_BOLD, 104)
    baseline = HEIGHT - PAD - 96
    draw.text((PAD, baseline), official.value, font=value_font, fill=WHITE, anchor="ls")
    x = PAD + value_font.getlength(official.value) + 16
    if official.suffix:
        suffix_font = pil_font(SANS_BOLD, 40)
        draw.text((x, baseline), official.suffix, font=suffix_font, fill=WHITE, anchor="ls")
        x += suffix_font.getlength(official.suffix) + 16
    label_font = pil_font(SANS_BOLD, 18)
    caption_font = pil_font(SANS, 20)
    room = right_edge - x
    caption = _wrap(official.caption, caption_font, room, lines=2)
    y = baseline - 12 - 26 * (len(caption) - 1)
    draw.text(
        (x, y - 28),
        _cut(official.label.upper(), label_font, room),
        font=label_font,
        fill=GOLD_RGB,
        anchor="ls",
    )
    for line in caption:
        draw.text((x, y), line, font=caption_font, fill=SOFT, anchor="ls")
        y += 26

    chip_x = PAD
    chip_font = pil_font(SANS, 22)
    chip_bold = pil_font(SANS_BOLD, 22)
    for box in others:
        value = f"{box.value} {box.suffix}".strip()
        width = chip_font.getlength(box.label + "  ") + chip_bold.getlength(value) + 36
        if chip_x + width > right_edge:
            break
        top = HEIGHT - PAD - 52
        draw.rounded_rectangle(
            (chip_x, top, chip_x + width, top + 48), radius=24, outline=GOLD_RGB, width=2
        )
        draw.text((chip_x + 18, top + 33), box.label, font=chip_font, fill=SOFT, anchor="ls")
        label_w = chip_font.getlength(box.label + "  ")
        draw.text((chip_x + 18 + label_w, top + 33), value, font=chip_bold, fill=WHITE, anchor="ls")
        chip_x += width + 14

    if verify_url:
        _verify_tile(image, draw, facts, verify_url, labels.share_verify)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _background() -> Image.Image:
    """A navy vertical gradient (a 1×2 image stretched: no per-pixel Python loop)."""
    gradient = Image.new("RGB", (1, 2))
    gradient.putpixel((0, 0), NAVY_TOP)
    gradient.putpixel((0, 1), NAVY_BOTTOM)
    image = gradient.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 8), fill=GOLD_RGB)
    return image


def _verify_tile(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    facts: CertificateFacts,
    verify_url: str,
    caption: str,
) -> None:
    left = WIDTH - PAD - TILE
    top = (HEIGHT - TILE - 56) // 2
    draw.rounded_rectangle((left, top, left + TILE, top + TILE + 56), radius=18, fill=WHITE)
    qr = qr_image(verify_url, max_px=TILE - 16)
    offset = (TILE - qr.width) // 2
    image.paste(qr.convert("RGB"), (left + offset, top + offset))
    text = f"{caption}: {printable(facts.verify_code)}"
    draw.text(
        (left + TILE // 2, top + TILE + 26),
        text,
        font=_fit(text, SANS_BOLD, 24, 14, TILE - 32),
        fill=INK_RGB,
        anchor="ms",
    )


def _fit(text: str, face: str, size: int, min_size: int, width: float) -> Font:
    """The largest font of `face` from `size` down to `min_size` that fits `text` in `width`."""
    font = pil_font(face, size)
    while size > min_size and font.getlength(text) > width:
        size -= 2
        font = pil_font(face, size)
    return font


def _cut(text: str, font: Font, width: float) -> str:
    """`text`, cut with "…" to fit `width`."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, font: Font, width: float, *, lines: int) -> list[str]:
    """`text` in at most `lines` lines of `width`, the last cut with "…" if need be."""
    out: list[str] = []
    words = text.split(" ")  # not at no-break spaces ("±\u00a0standard error")
    while words and len(out) < lines:
        line = words.pop(0)
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        out.append(line)
    if words:
        out[-1] = _cut(f"{out[-1]} {' '.join(words)}", font, width)
    return [_cut(line, font, width) for line in out]


def _spaced(
    draw: ImageDraw.ImageDraw,
    at: tuple[float, float],
    text: str,
    font: Font,
    fill: tuple[int, int, int],
    spacing: float,
) -> None:
    """Letter-spaced text from baseline-left `at` (Pillow has no tracking of its own)."""
    x, y = at
    for char in text:
        draw.text((x, y), char, font=font, fill=fill, anchor="ls")
        x += font.getlength(char) + spacing
