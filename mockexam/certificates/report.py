"""The progress report for parents: A4 portrait, laid out by reportlab's platypus.

Unlike the certificate, a report's length varies (a term of weekly exams, a
dozen topics), so it flows: platypus breaks the exam table across pages and
repeats its header, and keeps each heading with what follows it. A term fits on
one or two pages. The Elo trend is a small vector chart drawn with reportlab's
graphics shapes: no browser, no image files.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from mockexam.certificates.facts import (
    EloPoint,
    ProgressReport,
    ReportExam,
    TopicStrength,
    check_report,
)
from mockexam.certificates.fonts import (
    SANS,
    SANS_BOLD,
    SERIF_BOLD,
    printable,
    register_fonts,
    text_width,
)
from mockexam.certificates.labels import (
    NBSP,
    PDF_LANGUAGE_TAGS,
    Labels,
    format_axis_date,
    format_decimal,
    format_long_date,
    format_short_date,
    format_signed,
    labels_for,
)
from mockexam.certificates.theme import ACCENT, GOLD, GRID, INK, MUTED, PANEL, PANEL_EDGE, Rgb
from mockexam.certificates.theme import WHITE as WHITE_RGB

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
OWN_SCALE_MARK = "†"
PROVISIONAL_MARK = "*"


def _hex(colour: Rgb) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(round(c * 255) for c in colour))


def _escape(text: str) -> str:
    """Text for a platypus Paragraph (which reads a small XML markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _styles() -> dict[str, ParagraphStyle]:
    ink, muted = _hex(INK), _hex(MUTED)
    return {
        "title": ParagraphStyle(
            "title", fontName=SERIF_BOLD, fontSize=24, leading=29, textColor=ink
        ),
        "name": ParagraphStyle("name", fontName=SERIF_BOLD, fontSize=16, leading=20, textColor=ink),
        "meta": ParagraphStyle("meta", fontName=SANS, fontSize=9.5, leading=13, textColor=muted),
        "heading": ParagraphStyle(
            "heading", fontName=SANS_BOLD, fontSize=12, leading=15, textColor=ink, spaceBefore=14
        ),
        "cell": ParagraphStyle("cell", fontName=SANS, fontSize=9, leading=11.5, textColor=ink),
        "cell_bold": ParagraphStyle(
            "cell_bold", fontName=SANS_BOLD, fontSize=9, leading=11.5, textColor=ink
        ),
        "head": ParagraphStyle("head", fontName=SANS_BOLD, fontSize=8, leading=10, textColor=muted),
        "note": ParagraphStyle("note", fontName=SANS, fontSize=7.5, leading=10, textColor=muted),
        "empty": ParagraphStyle("empty", fontName=SANS, fontSize=9, leading=12, textColor=muted),
        "stat_label": ParagraphStyle(
            "stat_label", fontName=SANS, fontSize=7.5, leading=9.5, textColor=muted
        ),
        "stat_value": ParagraphStyle(
            "stat_value", fontName=SANS_BOLD, fontSize=15, leading=19, textColor=ink
        ),
    }


def render_report(report: ProgressReport, *, lang: str) -> bytes:
    """The progress report of `report` as an A4 PDF in `lang` (uz, ru, en).

    Raises ValidationError for an unknown language or facts that cannot be
    printed (see `check_report`).
    """
    labels = labels_for(lang)
    check_report(report)
    register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    name = printable(report.student_name)
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 10,
        bottomMargin=MARGIN + 4,
        title=f"{labels.report_title}: {name}",
        author=printable(report.brand),
        creator="mockexam",
        lang=PDF_LANGUAGE_TAGS[lang],
        invariant=1,
        pageCompression=1,
        initialFontName=SANS,
    )
    # No frame padding: tables, rules and text share the page margins exactly.
    frame = Frame(
        MARGIN,
        document.bottomMargin,
        FRAME_WIDTH,
        PAGE_HEIGHT - document.topMargin - document.bottomMargin,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document.addPageTemplates([PageTemplate(id="report", frames=[frame])])
    story: list[Flowable] = [
        Paragraph(_escape(labels.report_title), styles["title"]),
        Spacer(1, 6),
        Paragraph(_escape(name), styles["name"]),
        Spacer(1, 2),
        Paragraph(_escape(_period_line(report, labels, lang)), styles["meta"]),
        Spacer(1, 12),
        _summary(report, labels, lang, styles),
    ]
    story += _exam_section(report.exams, labels, lang, styles)
    story.append(
        KeepTogether(
            [
                Paragraph(_escape(labels.elo_trend), styles["heading"]),
                Spacer(1, 6),
                _elo_chart(report.elo_trend, lang)
                if report.elo_trend
                else Paragraph(_escape(labels.no_elo), styles["empty"]),
            ]
        )
    )
    story += _strength_section(report.strengths, labels, lang, styles)
    story += _achievement_section(report.achievements, labels, styles)

    brand = printable(report.brand)
    footer = f"{brand} · {labels.report_title} · {name}"

    def canvasmaker(*args: Any, **kwargs: Any) -> Canvas:
        return _NumberedCanvas(*args, brand=brand, footer=footer, labels=labels, **kwargs)

    document.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()


def _period_line(report: ProgressReport, labels: Labels, lang: str) -> str:
    period = (
        f"{labels.period}: {format_long_date(report.period_start, lang)} – "
        f"{format_long_date(report.period_end, lang)}"
    )
    if report.issued_on is not None:
        period += f"   ·   {labels.issued_on}: {format_long_date(report.issued_on, lang)}"
    return period


class _NumberedCanvas(Canvas):
    """A canvas that draws each page's header rule and "n / total" footer once all pages are known."""

    def __init__(self, *args: Any, brand: str, footer: str, labels: Labels, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._brand = brand
        self._footer = footer
        self._labels = labels
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        self.saveState()
        self.setFillColorRGB(*GOLD)
        self.setFont(SANS_BOLD, 8.5)
        self.drawString(MARGIN, PAGE_HEIGHT - MARGIN + 2, self._brand.upper(), charSpace=2.5)
        self.setStrokeColorRGB(*GOLD)
        self.setLineWidth(0.7)
        self.line(MARGIN, PAGE_HEIGHT - MARGIN - 4, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN - 4)
        self.setStrokeColorRGB(*GRID)
        self.line(MARGIN, MARGIN - 2, PAGE_WIDTH - MARGIN, MARGIN - 2)
        self.setFillColorRGB(*MUTED)
        self.setFont(SANS, 7.5)
        page = self._labels.page.format(n=number, total=total)
        footer = self._footer
        while footer and text_width(footer, SANS, 7.5) > FRAME_WIDTH - 60:
            footer = footer[:-2] + "…"
        self.drawString(MARGIN, MARGIN - 13, footer)
        self.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 13, page)
        self.restoreState()


def _summary(
    report: ProgressReport, labels: Labels, lang: str, styles: dict[str, ParagraphStyle]
) -> Table:
    """Four figures a parent reads first: exams, latest score, change, rating."""
    exams = sorted(report.exams, key=lambda e: e.exam_date)
    linked = [e for e in exams if e.on_linked_scale and not e.is_provisional]
    latest = format_decimal(exams[-1].scaled_score, lang) if exams else "—"
    change = "—"
    if len(linked) >= 2:
        change = format_signed(linked[-1].scaled_score - linked[0].scaled_score, lang)
    trend = sorted(report.elo_trend, key=lambda p: p.on)
    rating = format_decimal(trend[-1].rating, lang, 0) if trend else "—"
    cells = [
        (labels.exams_taken, str(len(exams))),
        (labels.latest_score, latest),
        (labels.change, change),
        (labels.rating, rating),
    ]
    row = [
        [
            Paragraph(_escape(label), styles["stat_label"]),
            Paragraph(_escape(value), styles["stat_value"]),
        ]
        for label, value in cells
    ]
    gap = 8
    width = (FRAME_WIDTH - 3 * gap) / 4
    table = Table(
        [[row[0], "", row[1], "", row[2], "", row[3]]],
        colWidths=[width, gap, width, gap, width, gap, width],
    )
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), SANS),  # else cells set Helvetica
        ("LEFTPADDING", (0, 0), (-1, -1), 9),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 7),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
    ]
    for col in (0, 2, 4, 6):
        commands += [
            ("BACKGROUND", (col, 0), (col, 0), _hex(PANEL)),
            ("BOX", (col, 0), (col, 0), 0.6, _hex(PANEL_EDGE)),
        ]
    for col in (1, 3, 5):
        commands += [
            ("LEFTPADDING", (col, 0), (col, 0), 0),
            ("RIGHTPADDING", (col, 0), (col, 0), 0),
        ]
    table.setStyle(TableStyle(commands))
    return table


def _score_text(exam: ReportExam, lang: str) -> str:
    text = format_decimal(exam.scaled_score, lang)
    if exam.scaled_score_se is not None and not exam.is_provisional:
        text += f"{NBSP}±{NBSP}{format_decimal(exam.scaled_score_se, lang)}"
    if exam.is_provisional:
        text += f" {PROVISIONAL_MARK}"
    if not exam.on_linked_scale:
        text += f" {OWN_SCALE_MARK}"
    return text


def _exam_section(
    exams: Sequence[ReportExam], labels: Labels, lang: str, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    heading = Paragraph(_escape(labels.exams), styles["heading"])
    if not exams:
        return [
            KeepTogether(
                [heading, Spacer(1, 4), Paragraph(_escape(labels.no_exams), styles["empty"])]
            )
        ]
    rows: list[list[Any]] = [
        [
            Paragraph(_escape(labels.date.upper()), styles["head"]),
            Paragraph(_escape(labels.exam.upper()), styles["head"]),
            Paragraph(_escape(labels.scaled_score.upper()), styles["head"]),
            Paragraph(_escape(labels.grade.upper()), styles["head"]),
        ]
    ]
    rows += [
        [
            Paragraph(_escape(format_short_date(exam.exam_date, lang)), styles["cell"]),
            Paragraph(_escape(printable(exam.exam_title)), styles["cell"]),
            Paragraph(_escape(_score_text(exam, lang)), styles["cell_bold"]),
            Paragraph(_escape(printable(exam.grade) if exam.grade else "—"), styles["cell"]),
        ]
        for exam in sorted(exams, key=lambda e: e.exam_date)
    ]
    widths = [72.0, FRAME_WIDTH - 72 - 118 - 56, 118.0, 56.0]
    table = Table(rows, colWidths=widths, repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), SANS),  # else cells set Helvetica
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, _hex(INK)),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, _hex(GRID)),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    commands += [("BACKGROUND", (0, row), (-1, row), "#F7F8FA") for row in range(2, len(rows), 2)]
    table.setStyle(TableStyle(commands))
    flowables: list[Flowable] = [heading, Spacer(1, 6), table]
    notes = []
    if any(e.is_provisional for e in exams):
        notes.append(f"{PROVISIONAL_MARK} {labels.provisional_row_note}")
    if any(not e.on_linked_scale for e in exams):
        notes.append(f"{OWN_SCALE_MARK} {labels.own_scale_note}")
    if notes:
        flowables.append(Spacer(1, 4))
        flowables += [Paragraph(_escape(note), styles["note"]) for note in notes]
    # Not kept together: the table is the first thing after the summary, so it always
    # starts on page one under its heading and flows on, its header row repeated.
    return flowables


CHART_HEIGHT = 150.0


def _nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5, 5 × 10ⁿ) that divides `span` into about `ticks` parts."""
    raw = max(span / ticks, 1e-9)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _elo_chart(points: Sequence[EloPoint], lang: str) -> Drawing:
    """The Elo rating over time: gridlines with round values, the line, dots, the last value."""
    trend = sorted(points, key=lambda p: p.on)
    width, height = FRAME_WIDTH, CHART_HEIGHT
    left, right, bottom, top = 40.0, 34.0, 20.0, 10.0
    plot_w, plot_h = width - left - right, height - bottom - top
    drawing = Drawing(width, height, initialFontName=SANS, initialFontSize=7.5)

    ratings = [p.rating for p in trend]
    low, high = min(ratings), max(ratings)
    if high - low < 20:
        low, high = low - 10, high + 10
    step = _nice_step(high - low)
    y_min = math.floor(low / step) * step
    y_max = math.ceil(high / step) * step
    days = [p.on.toordinal() for p in trend]
    d_min, d_max = min(days), max(days)
    if d_max == d_min:
        d_min, d_max = d_min - 1, d_max + 1

    def x_of(day: int) -> float:
        return left + (day - d_min) / (d_max - d_min) * plot_w

    def y_of(value: float) -> float:
        return bottom + (value - y_min) / (y_max - y_min) * plot_h

    value = y_min
    while value <= y_max + step / 1000:
        y = y_of(value)
        drawing.add(Line(left, y, left + plot_w, y, strokeColor=_colour(GRID), strokeWidth=0.6))
        drawing.add(
            String(
                left - 6,
                y - 3,
                format_decimal(value, lang, 0 if step >= 1 else 1),
                fontName=SANS,
                fontSize=7.5,
                fillColor=_colour(MUTED),
                textAnchor="end",
            )
        )
        value += step

    for index in _label_indices(len(trend)):
        point = trend[index]
        anchor = "middle"
        if index == 0:
            anchor = "start" if len(trend) > 1 else "middle"
        elif index == len(trend) - 1:
            anchor = "end"
        drawing.add(
            String(
                x_of(point.on.toordinal()),
                4,
                format_axis_date(point.on, lang),
                fontName=SANS,
                fontSize=7.5,
                fillColor=_colour(MUTED),
                textAnchor=anchor,
            )
        )

    coordinates = [(x_of(d), y_of(r)) for d, r in zip(days, ratings, strict=True)]
    if len(coordinates) > 1:
        flat = [c for xy in coordinates for c in xy]
        drawing.add(PolyLine(flat, strokeColor=_colour(ACCENT), strokeWidth=1.8))
    for x, y in coordinates:
        drawing.add(
            Circle(
                x,
                y,
                2.4,
                fillColor=_colour(WHITE_RGB),
                strokeColor=_colour(ACCENT),
                strokeWidth=1.2,
            )
        )
    last_x, last_y = coordinates[-1]
    label = format_decimal(ratings[-1], lang, 0)
    label_w = text_width(label, SANS_BOLD, 8) + 8
    box_x = min(last_x + 6, width - label_w)
    box_y = min(max(last_y - 6, 0), height - 12)
    drawing.add(
        Rect(box_x, box_y, label_w, 12, rx=3, ry=3, fillColor=_colour(ACCENT), strokeWidth=0)
    )
    drawing.add(
        String(
            box_x + label_w / 2,
            box_y + 3.2,
            label,
            fontName=SANS_BOLD,
            fontSize=8,
            fillColor=_colour(WHITE_RGB),
            textAnchor="middle",
        )
    )
    return drawing


def _label_indices(count: int, most: int = 6) -> list[int]:
    """Which points get a date under the axis: all when few, else `most` spread evenly."""
    if count <= most:
        return list(range(count))
    return sorted({round(i * (count - 1) / (most - 1)) for i in range(most)})


def _colour(rgb: Rgb) -> Color:
    return Color(*rgb)


class _ShareBar(Flowable):
    """A horizontal bar of the share correct, with the percentage after it."""

    def __init__(self, share: float, text: str, width: float) -> None:
        super().__init__()
        self.share = share
        self.text = text
        self.width = width
        self.height = 12

    def draw(self) -> None:
        canvas = self.canv
        bar_w = self.width - 44
        canvas.setFillColorRGB(*GRID)
        canvas.roundRect(0, 2, bar_w, 7, 3.5, stroke=0, fill=1)
        if self.share > 0:
            canvas.setFillColorRGB(*ACCENT)
            canvas.roundRect(0, 2, max(bar_w * self.share, 7), 7, 3.5, stroke=0, fill=1)
        canvas.setFillColorRGB(*INK)
        canvas.setFont(SANS_BOLD, 9)
        canvas.drawRightString(self.width, 2, self.text)


def _strength_section(
    strengths: Sequence[TopicStrength],
    labels: Labels,
    lang: str,
    styles: dict[str, ParagraphStyle],
) -> list[Flowable]:
    heading = Paragraph(_escape(labels.strengths), styles["heading"])
    if not strengths:
        return [
            KeepTogether(
                [heading, Spacer(1, 4), Paragraph(_escape(labels.no_strengths), styles["empty"])]
            )
        ]
    bar_width = 200.0
    rows: list[list[Any]] = [
        [
            Paragraph(_escape(labels.topic.upper()), styles["head"]),
            Paragraph(_escape(labels.correct.upper()), styles["head"]),
        ]
    ]
    for strength in sorted(strengths, key=lambda s: (-s.share_correct, s.topic)):
        percent = format_decimal(strength.share_correct * 100, lang, 0) + "%"
        rows.append(
            [
                Paragraph(_escape(printable(strength.topic)), styles["cell"]),
                _ShareBar(strength.share_correct, percent, bar_width),
            ]
        )
    table = Table(rows, colWidths=[FRAME_WIDTH - bar_width - 8, bar_width + 8], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),  # else cells set Helvetica
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, _hex(INK)),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, _hex(GRID)),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [KeepTogether([heading, Spacer(1, 6), table])]


def _achievement_section(
    achievements: Sequence[str], labels: Labels, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    heading = Paragraph(_escape(labels.achievements), styles["heading"])
    if not achievements:
        return [
            KeepTogether(
                [heading, Spacer(1, 4), Paragraph(_escape(labels.no_achievements), styles["empty"])]
            )
        ]
    columns = 3
    cells = [
        Paragraph(
            f'<font color="{_hex(GOLD)}">•</font>  {_escape(printable(name))}', styles["cell"]
        )
        for name in achievements
    ]
    while len(cells) % columns:
        cells.append("")
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    table = Table(rows, colWidths=[FRAME_WIDTH / columns] * columns)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),  # else cells set Helvetica
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [KeepTogether([heading, Spacer(1, 6), table])]
