"""Factories for certificate facts and reports, and readers of what the renderers made."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, timedelta
from typing import Any

import pypdf
import pypdfium2
import zxingcpp
from PIL import Image

from mockexam.certificates import (
    CertificateFacts,
    EloPoint,
    ProgressReport,
    ReportExam,
    SectionScore,
    TopicStrength,
)

VERIFY_URL = "https://exams.example.uz/verify/K7Q2-M9XD-4TPA"

DTM_SECTIONS = (
    SectionScore("Ona tili va adabiyot", 8.8, 11),
    SectionScore("Matematika", 9.9, 11),
    SectionScore("O‘zbekiston tarixi", 7.7, 11),
    SectionScore("Matematika (asosiy)", 78.3, 93),
    SectionScore("Fizika", 52.5, 63),
)


def make_facts(**overrides: Any) -> CertificateFacts:
    """A released, calibrated certificate-style result (scaled official score ± SE)."""
    facts = CertificateFacts(
        student_name="G‘ayratjon Oʻktamov",
        exam_title="Matematika sinov imtihoni №12",
        exam_date=date(2026, 11, 22),
        verify_code="K7Q2-M9XD-4TPA",
        scaled_score=67.43,
        scaled_score_se=3.12,
        grade="B+",
        percentile=84,
    )
    return dataclasses.replace(facts, **overrides)


def make_dtm_facts(**overrides: Any) -> CertificateFacts:
    """A DTM block test: the points are official, with five section scores."""
    block: dict[str, Any] = {
        "official_kind": "points",
        "points": 157.2,
        "max_points": 189,
        "on_linked_scale": True,
        "sections": DTM_SECTIONS,
    }
    return make_facts(**(block | overrides))


def make_report(**overrides: Any) -> ProgressReport:
    """A term of weekly exams: one provisional, one on its own scale; Elo; topics; achievements."""
    start = date(2026, 9, 6)
    exams = [
        ReportExam(
            start + timedelta(days=7 * i),
            f"Matematika sinov imtihoni №{i + 1}",
            scaled_score=50.0 + 2 * i + 0.25,
            scaled_score_se=None if i == 0 else 3.0 + i / 10,
            grade="B",
            on_linked_scale=i != 3,
            is_provisional=i == 0,
        )
        for i in range(8)
    ]
    report = ProgressReport(
        student_name="Ёкубова Шахноза",
        period_start=date(2026, 9, 1),
        period_end=date(2026, 11, 30),
        exams=exams,
        elo_trend=[EloPoint(start + timedelta(days=5 * i), 1500 + 7 * i) for i in range(12)],
        strengths=[TopicStrength("Geometriya", 0.8), TopicStrength("Algebra", 0.455)],
        achievements=["Birinchi imtihon", "5 hafta ketma-ket"],
        issued_on=date(2026, 12, 1),
    )
    return dataclasses.replace(report, **overrides)


def pdf_text(pdf: bytes) -> str:
    """All pages' extracted text, no-break spaces read as spaces."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


def pdf_fonts(pdf: bytes) -> list[dict[str, Any]]:
    """Every font dictionary used by the pages (resolved)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [
        font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()
    ]


def pdf_page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]


def render_first_page(pdf: bytes, scale: float = 2.0) -> Image.Image:
    """The first page as a picture (pdfium), as a printer or a phone camera would see it."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[0].render(scale=scale).to_pil()
    finally:
        document.close()


def qr_texts(image: Image.Image) -> list[str]:
    """The text of every QR code found in `image`."""
    return [
        result.text
        for result in zxingcpp.read_barcodes(image)
        if result.format == zxingcpp.BarcodeFormat.QRCode
    ]


def pdf_text_positions(pdf: bytes) -> list[tuple[str, float, float]]:
    """(text, x, y) of each piece of text on the first page, in points from the bottom left."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x, y))

    reader.pages[0].extract_text(visitor_text=visit)
    return found
