"""The result certificate: one A4 landscape page drawn straight onto a reportlab canvas.

A certificate is a fixed design, not a flowing document, so it is placed by
coordinates (points, origin bottom left) rather than laid out by platypus: a
page costs ~13 ms of CPU, and a bulk ZIP of 2,000 takes ~26 s
(bench/certificate_bench.py; the target is 60 s). A long name shrinks, then
takes two lines; a long title shrinks, then is cut with "…". The middle block
(score boxes, notes, sections) is centred in the space left between the header
and the verification band, so 0 to 12 sections never run into the QR code.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from mockexam.certificates.facts import CertificateFacts, SectionScore, check_certificate
from mockexam.certificates.fonts import (
    SANS,
    SANS_BOLD,
    SERIF_BOLD,
    ellipsize,
    fit_font_size,
    printable,
    register_fonts,
    text_width,
)
from mockexam.certificates.labels import (
    NBSP,
    PDF_LANGUAGE_TAGS,
    Labels,
    format_decimal,
    format_long_date,
    format_score_points,
    labels_for,
)
from mockexam.certificates.qr import draw_qr_pdf
from mockexam.certificates.theme import GOLD, INK, MUTED, PANEL, PANEL_EDGE, WHITE, Rgb
from mockexam.scoring.layout import POINTS

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
CENTRE = PAGE_WIDTH / 2
TEXT_WIDTH = 680.0
"""Widest line of the header (the frame's inner width is 788 pt)."""
BAND_TOP = 124.0
"""Top of the verification band at the bottom (QR code, code, URL)."""
MIDDLE_TOP = 316.0
"""Bottom of the header (the exam date line)."""
QR_SIZE = 84.0


@dataclass(frozen=True)
class ScoreBox:
    """One box of the score row: a small label, the figure (with an optional "± SE"), a caption."""

    label: str
    value: str
    suffix: str = ""
    caption: str = ""
    highlighted: bool = False


def render_certificate(facts: CertificateFacts, *, lang: str, verify_url: str) -> bytes:
    """The certificate of `facts` as a one-page A4 landscape PDF in `lang` (uz, ru, en).

    `verify_url` (absolute, e.g. https://…/verify/<code>) is encoded in the QR
    code and printed under the code. Raises ValidationError for facts that
    cannot be printed (see `check_certificate`) or an unknown language.
    """
    labels = labels_for(lang)
    check_certificate(facts, verify_url=verify_url)
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        pageCompression=1,
        invariant=1,
        initialFontName=SANS,  # else reportlab lists Helvetica (base-14, not embedded)
        lang=PDF_LANGUAGE_TAGS[lang],
    )
    canvas.setTitle(f"{labels.certificate_title}: {printable(facts.student_name)}")
    canvas.setAuthor(printable(facts.brand))
    canvas.setSubject(printable(facts.exam_title))
    canvas.setCreator("mockexam")
    _draw_frame(canvas)
    _draw_header(canvas, facts, labels, lang)
    _draw_middle(canvas, facts, labels, lang)
    _draw_band(canvas, facts, labels, verify_url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _fill(canvas: Canvas, colour: Rgb) -> None:
    canvas.setFillColorRGB(*colour)


def _stroke(canvas: Canvas, colour: Rgb) -> None:
    canvas.setStrokeColorRGB(*colour)


def _draw_frame(canvas: Canvas) -> None:
    """A navy outer rule, a gold inner rule and small gold squares at the inner corners."""
    _stroke(canvas, INK)
    canvas.setLineWidth(2.4)
    canvas.rect(20, 20, PAGE_WIDTH - 40, PAGE_HEIGHT - 40, stroke=1, fill=0)
    _stroke(canvas, GOLD)
    canvas.setLineWidth(0.8)
    canvas.rect(27, 27, PAGE_WIDTH - 54, PAGE_HEIGHT - 54, stroke=1, fill=0)
    _fill(canvas, GOLD)
    for x in (27, PAGE_WIDTH - 27):
        for y in (27, PAGE_HEIGHT - 27):
            canvas.rect(x - 3, y - 3, 6, 6, stroke=0, fill=1)


def _centred(
    canvas: Canvas,
    text: str,
    y: float,
    face: str,
    size: float,
    colour: Rgb,
    *,
    min_size: float | None = None,
    width: float = TEXT_WIDTH,
    char_space: float = 0,
) -> float:
    """Draw `text` centred at `y`, shrunk (down to `min_size`) and cut to fit `width`.

    Returns the drawn text's width.
    """
    if min_size is not None:
        size = fit_font_size(text, face, size, width, min_size)
    text = ellipsize(text, face, size, width)
    _fill(canvas, colour)
    canvas.setFont(face, size)
    canvas.drawCentredString(CENTRE, y, text, charSpace=char_space)
    return text_width(text, face, size) + char_space * max(len(text) - 1, 0)


def _draw_header(canvas: Canvas, facts: CertificateFacts, labels: Labels, lang: str) -> None:
    _centred(canvas, printable(facts.brand).upper(), 530, SANS_BOLD, 10.5, GOLD, char_space=3)
    _centred(canvas, labels.certificate_title, 486, SERIF_BOLD, 34, INK, min_size=22)
    _stroke(canvas, GOLD)
    canvas.setLineWidth(0.8)
    canvas.line(CENTRE - 70, 469, CENTRE - 9, 469)
    canvas.line(CENTRE + 9, 469, CENTRE + 70, 469)
    _fill(canvas, GOLD)
    diamond = canvas.beginPath()
    diamond.moveTo(CENTRE, 473)
    diamond.lineTo(CENTRE + 4, 469)
    diamond.lineTo(CENTRE, 465)
    diamond.lineTo(CENTRE - 4, 469)
    diamond.close()
    canvas.drawPath(diamond, stroke=0, fill=1)

    _centred(canvas, labels.awarded_to, 442, SANS, 11, MUTED)
    name_width = _draw_name(canvas, printable(facts.student_name))
    rule = min(max(name_width + 60, 280), TEXT_WIDTH)
    _stroke(canvas, GOLD)
    canvas.setLineWidth(0.6)
    canvas.line(CENTRE - rule / 2, 391, CENTRE + rule / 2, 391)

    _centred(canvas, labels.for_exam, 369, SANS, 11, MUTED)
    _centred(canvas, printable(facts.exam_title), 348, SANS_BOLD, 16, INK, min_size=10)
    _centred(canvas, format_long_date(facts.exam_date, lang), 330, SANS, 11, MUTED)


NAME_SIZE = 32.0
NAME_MIN_ONE_LINE = 20.0
NAME_TWO_LINES = 19.0


def _draw_name(canvas: Canvas, name: str) -> float:
    """The student's name: one line shrunk down to 20 pt, else two lines (a name is never cut
    unless it cannot fit two lines either). Returns the widest line's width."""
    if text_width(name, SERIF_BOLD, NAME_MIN_ONE_LINE) <= TEXT_WIDTH:
        return _centred(canvas, name, 405, SERIF_BOLD, NAME_SIZE, INK, min_size=NAME_MIN_ONE_LINE)
    lines = simpleSplit(name, SERIF_BOLD, NAME_TWO_LINES, TEXT_WIDTH)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    widths = [
        _centred(canvas, line, y, SERIF_BOLD, NAME_TWO_LINES, INK, min_size=12)
        for line, y in zip(lines, (421, 399), strict=False)
    ]
    return max(widths)


def score_boxes(facts: CertificateFacts, labels: Labels, lang: str) -> list[ScoreBox]:
    """The score row: the official score first (highlighted), then the other score, grade, percentile."""
    se = ""
    if facts.scaled_score_se is not None:
        se = f"±{NBSP}{format_decimal(facts.scaled_score_se, lang)}"
    # What the scaled figure is: a percentage while provisional, else a 0–100 score ± SE.
    scaled_detail = labels.scale_range
    if facts.is_provisional:
        scaled_detail = labels.provisional_caption
    elif se:
        scaled_detail = f"{labels.scale_range}, {labels.standard_error}"
    scaled_value = format_decimal(facts.scaled_score, lang)
    points_detail = ""
    if facts.max_points is not None:
        max_text = format_score_points(facts.max_points, lang)
        points_detail = labels.points_out_of.format(max=max_text)

    boxes: list[ScoreBox] = []
    if facts.official_kind == POINTS and facts.points is not None:
        points = format_score_points(facts.points, lang)
        boxes.append(
            ScoreBox(
                labels.official_score,
                points,
                caption=points_detail or labels.points,
                highlighted=True,
            )
        )
        boxes.append(ScoreBox(labels.scaled_score, scaled_value, se, scaled_detail))
    else:
        caption = scaled_detail
        if not facts.is_provisional:
            caption = f"{labels.scaled_score}, {scaled_detail}"
        boxes.append(ScoreBox(labels.official_score, scaled_value, se, caption, highlighted=True))
        if facts.points is not None:
            points = format_score_points(facts.points, lang)
            boxes.append(ScoreBox(labels.points, points, caption=points_detail))
    if facts.grade is not None:
        boxes.append(ScoreBox(labels.grade, printable(facts.grade)))
    if facts.percentile is not None:
        p = format_decimal(facts.percentile, lang, 0)
        boxes.append(ScoreBox(labels.percentile, p, caption=labels.percentile_caption.format(p=p)))
    return boxes


BOX_HEIGHT = 76.0
BOX_GAP = 14.0
VALUE_SIZE = 27.0
SUFFIX_SIZE = 15.0
CAPTION_SIZE = 8.0
LABEL_SIZE = 8.0
NOTE_SIZE = 8.5
NOTE_LEADING = 11.5


def _box_width(box: ScoreBox) -> float:
    value = text_width(box.value, SANS_BOLD, VALUE_SIZE)
    if box.suffix:
        value += 5 + text_width(box.suffix, SANS_BOLD, SUFFIX_SIZE)
    widest = max(
        value,
        text_width(box.label.upper(), SANS_BOLD, LABEL_SIZE) + 0.8 * len(box.label),
        text_width(box.caption, SANS, CAPTION_SIZE),
    )
    return max(widest + 28, 120.0 if not box.highlighted else 170.0)


def _draw_boxes(canvas: Canvas, boxes: Sequence[ScoreBox], top: float) -> None:
    widths = [_box_width(box) for box in boxes]
    total = sum(widths) + BOX_GAP * (len(boxes) - 1)
    if total > TEXT_WIDTH + 60:
        scale = (TEXT_WIDTH + 60 - BOX_GAP * (len(boxes) - 1)) / sum(widths)
        widths = [w * scale for w in widths]
        total = TEXT_WIDTH + 60
    x = CENTRE - total / 2
    bottom = top - BOX_HEIGHT
    for box, width in zip(boxes, widths, strict=True):
        middle = x + width / 2
        if box.highlighted:
            _fill(canvas, INK)
            canvas.roundRect(x, bottom, width, BOX_HEIGHT, 6, stroke=0, fill=1)
            label_colour, value_colour, caption_colour = GOLD, WHITE, (0.80, 0.84, 0.91)
        else:
            _fill(canvas, PANEL)
            _stroke(canvas, PANEL_EDGE)
            canvas.setLineWidth(0.6)
            canvas.roundRect(x, bottom, width, BOX_HEIGHT, 6, stroke=1, fill=1)
            label_colour, value_colour, caption_colour = MUTED, INK, MUTED
        inner = width - 16
        label = ellipsize(box.label.upper(), SANS_BOLD, LABEL_SIZE, inner)
        _fill(canvas, label_colour)
        canvas.setFont(SANS_BOLD, LABEL_SIZE)
        canvas.drawCentredString(middle, top - 16, label, charSpace=0.8)

        value_size = VALUE_SIZE
        value_width = text_width(box.value, SANS_BOLD, value_size)
        suffix_width = text_width(box.suffix, SANS_BOLD, SUFFIX_SIZE) + 5 if box.suffix else 0
        if value_width + suffix_width > inner:
            value_size *= (inner - suffix_width) / value_width
            value_width = text_width(box.value, SANS_BOLD, value_size)
        start = middle - (value_width + suffix_width) / 2
        _fill(canvas, value_colour)
        canvas.setFont(SANS_BOLD, value_size)
        canvas.drawString(start, top - 46, box.value)
        if box.suffix:
            canvas.setFont(SANS_BOLD, SUFFIX_SIZE)
            canvas.drawString(start + value_width + 5, top - 46, box.suffix)
        if box.caption:
            caption_size = fit_font_size(box.caption, SANS, CAPTION_SIZE, inner, 6.5)
            caption = ellipsize(box.caption, SANS, caption_size, inner)
            _fill(canvas, caption_colour)
            canvas.setFont(SANS, caption_size)
            canvas.drawCentredString(middle, bottom + 11, caption)
        x += width + BOX_GAP


def _notes(facts: CertificateFacts, labels: Labels) -> list[str]:
    lines: list[str] = []
    for note, shown in (
        (labels.provisional_note, facts.is_provisional),
        (labels.linked_note, facts.on_linked_scale),
    ):
        if shown:
            lines.extend(simpleSplit(note, SANS, NOTE_SIZE, TEXT_WIDTH))
    return lines


SECTION_TITLE_GAP = 16.0
CHIP_HEIGHT = 40.0
CHIP_GAP = 10.0
GRID_ROW = 14.0
GRID_COLUMNS = 4
MAX_CHIPS = 6


def _sections_height(sections: Sequence[SectionScore]) -> float:
    if not sections:
        return 0.0
    if len(sections) <= MAX_CHIPS:
        return SECTION_TITLE_GAP + CHIP_HEIGHT
    rows = -(-len(sections) // GRID_COLUMNS)
    return SECTION_TITLE_GAP + rows * GRID_ROW


def _section_score(section: SectionScore, lang: str) -> str:
    return (
        f"{format_score_points(section.points, lang)} / "
        f"{format_score_points(section.max_points, lang)}"
    )


def _draw_sections(
    canvas: Canvas, sections: Sequence[SectionScore], labels: Labels, lang: str, top: float
) -> None:
    _fill(canvas, MUTED)
    canvas.setFont(SANS_BOLD, LABEL_SIZE)
    canvas.drawCentredString(CENTRE, top - 8, labels.sections.upper(), charSpace=0.8)
    row_top = top - SECTION_TITLE_GAP
    if len(sections) <= MAX_CHIPS:
        n = len(sections)
        width = min(150.0, (TEXT_WIDTH - CHIP_GAP * (n - 1)) / n)
        x = CENTRE - (n * width + CHIP_GAP * (n - 1)) / 2
        for section in sections:
            _stroke(canvas, PANEL_EDGE)
            _fill(canvas, WHITE)
            canvas.setLineWidth(0.6)
            canvas.roundRect(x, row_top - CHIP_HEIGHT, width, CHIP_HEIGHT, 4, stroke=1, fill=1)
            _fill(canvas, GOLD)
            canvas.rect(x + 0.3, row_top - CHIP_HEIGHT + 6, 2.2, CHIP_HEIGHT - 12, stroke=0, fill=1)
            name = ellipsize(printable(section.name), SANS, 8, width - 16)
            _fill(canvas, MUTED)
            canvas.setFont(SANS, 8)
            canvas.drawCentredString(x + width / 2, row_top - 14, name)
            _fill(canvas, INK)
            canvas.setFont(SANS_BOLD, 12.5)
            canvas.drawCentredString(x + width / 2, row_top - 31, _section_score(section, lang))
            x += width + CHIP_GAP
        return
    column = (TEXT_WIDTH - (GRID_COLUMNS - 1) * 24) / GRID_COLUMNS
    left = CENTRE - TEXT_WIDTH / 2
    for index, section in enumerate(sections):
        row, col = divmod(index, GRID_COLUMNS)
        x = left + col * (column + 24)
        y = row_top - (row + 1) * GRID_ROW + 4
        score = _section_score(section, lang)
        score_width = text_width(score, SANS_BOLD, 9)
        name = ellipsize(printable(section.name), SANS, 8.5, column - score_width - 10)
        _fill(canvas, MUTED)
        canvas.setFont(SANS, 8.5)
        canvas.drawString(x, y, name)
        _fill(canvas, INK)
        canvas.setFont(SANS_BOLD, 9)
        canvas.drawRightString(x + column, y, score)
        _stroke(canvas, PANEL_EDGE)
        canvas.setLineWidth(0.4)
        canvas.line(x, y - 4, x + column, y - 4)


def _draw_middle(canvas: Canvas, facts: CertificateFacts, labels: Labels, lang: str) -> None:
    """Score boxes, notes and sections, centred between the header and the band."""
    notes = _notes(facts, labels)
    notes_height = len(notes) * NOTE_LEADING
    sections_height = _sections_height(facts.sections)
    free = MIDDLE_TOP - BAND_TOP
    gaps = [12.0 if notes else 0.0, 16.0 if facts.sections else 0.0]
    if BOX_HEIGHT + notes_height + sections_height + sum(gaps) > free - 16:
        gaps = [6.0 if notes else 0.0, 8.0 if facts.sections else 0.0]  # the fullest case
    content = BOX_HEIGHT + notes_height + sections_height + sum(gaps)
    top = MIDDLE_TOP - max((free - content) / 2, 8.0)
    _draw_boxes(canvas, score_boxes(facts, labels, lang), top)
    y = top - BOX_HEIGHT - gaps[0]
    _fill(canvas, MUTED)
    canvas.setFont(SANS, NOTE_SIZE)
    for line in notes:
        y -= NOTE_LEADING - 3
        canvas.drawCentredString(CENTRE, y, line)
        y -= 3
    if facts.sections:
        _draw_sections(canvas, facts.sections, labels, lang, y - gaps[1])


def _draw_band(canvas: Canvas, facts: CertificateFacts, labels: Labels, verify_url: str) -> None:
    """The QR code bottom right with the code and URL beside it; the method note bottom left."""
    qr_x = PAGE_WIDTH - 40 - QR_SIZE
    qr_y = 36.0
    draw_qr_pdf(canvas, verify_url, x=qr_x, y=qr_y, size=QR_SIZE)
    right = qr_x - 4
    _fill(canvas, INK)
    canvas.setFont(SANS_BOLD, 10)
    canvas.drawRightString(right, 102, labels.verify_title)
    code = f"{labels.verify_code}: {printable(facts.verify_code)}"
    canvas.setFont(SANS_BOLD, 13)
    canvas.drawRightString(right, 83, code)
    url_size = fit_font_size(verify_url, SANS, 8, 360, 6)
    _fill(canvas, MUTED)
    canvas.setFont(SANS, url_size)
    canvas.drawRightString(right, 68, ellipsize(verify_url, SANS, url_size, 360))
    canvas.setFont(SANS, 8)
    canvas.drawRightString(right, 55, labels.verify_caption)

    left = 60.0
    _fill(canvas, INK)
    canvas.setFont(SANS_BOLD, 10)
    canvas.drawString(left, 85, ellipsize(printable(facts.brand), SANS_BOLD, 10, 260))
    _stroke(canvas, GOLD)
    canvas.setLineWidth(0.6)
    canvas.line(left, 78, left + 180, 78)
    _fill(canvas, MUTED)
    canvas.setFont(SANS, 7.5)
    for i, line in enumerate(simpleSplit(labels.method_note, SANS, 7.5, 260)):
        canvas.drawString(left, 66 - i * 10, line)
