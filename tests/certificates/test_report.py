"""The progress report PDF: exams, Elo, topics and achievements, in each language."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from reportlab.pdfbase.pdfmetrics import standardFonts

from mockexam.certificates import EloPoint, ReportExam, TopicStrength, render_report
from mockexam.errors import ValidationError
from tests.certificates.helpers import make_report, pdf_fonts, pdf_page_sizes, pdf_text

A4 = (595.28, 841.89)

HEADINGS = {
    "uz": ["O‘zlashtirish hisoboti", "Imtihonlar", "Reyting dinamikasi (Elo)", "Yutuqlar"],
    "ru": ["Отчёт об успеваемости", "Экзамены", "Динамика рейтинга (Эло)", "Достижения"],
    "en": ["Progress report", "Exams", "Rating trend (Elo)", "Achievements"],
}


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_report_text_carries_every_exam_and_section(lang):
    text = pdf_text(render_report(make_report(), lang=lang))
    for heading in HEADINGS[lang]:
        assert heading in text, f"{heading!r} missing from the {lang} report"
    assert "Ёкубова Шахноза" in text
    comma = lang != "en"
    for i in range(1, 8):
        score = f"{50 + 2 * i + 0.25:.1f} ± {3.0 + i / 10:.1f}"
        assert (score.replace(".", ",") if comma else score) in text, score
        assert f"Matematika sinov imtihoni №{i + 1}" in text
    assert ("80%" in text) and ("46%" in text)  # 0.455 rounds half to even at 0 digits: 45.5 → 46
    assert "Birinchi imtihon" in text and "5 hafta ketma-ket" in text
    assert "1 577" in text if comma else "1,577" in text  # the last Elo rating, in the chart


def test_report_dates_and_period_follow_the_language():
    uz = pdf_text(render_report(make_report(), lang="uz"))
    ru = pdf_text(render_report(make_report(), lang="ru"))
    en = pdf_text(render_report(make_report(), lang="en"))
    assert "1-sentabr, 2026 – 30-noyabr, 2026" in uz and "06.09.2026" in uz
    assert "1 сентября 2026 г. – 30 ноября 2026 г." in ru and "06.09.2026" in ru
    assert "1 September 2026 – 30 November 2026" in en and "6 Sep 2026" in en


def test_report_marks_the_exam_on_its_own_scale_and_explains_it():
    text = pdf_text(render_report(make_report(), lang="en"))
    assert re.search(r"56\.2 ± 3\.3 †", text)  # exam 4 is not linked
    assert "† On the exam's own scale (not linked)" in text
    assert text.count("†") == 2  # the row and the note


def test_report_provisional_exam_shows_no_plus_minus():
    text = pdf_text(render_report(make_report(), lang="ru"))
    lines = [line for line in text.splitlines() if "№1" in line and "№1" + "0" not in line]
    assert "50,2 *" in text
    assert all("±" not in line for line in lines if "50,2" in line)
    assert "* Предварительный результат" in text


def test_report_summary_change_reads_only_linked_calibrated_exams():
    # Linked and calibrated: exams 2, 3, 5–8 (scores 52.25 … 64.25): change +12.0.
    text = pdf_text(render_report(make_report(), lang="en"))
    assert "+12.0" in text
    assert "Exams taken" in text and "8" in text


def test_report_is_one_or_two_a4_pages_for_a_term():
    pdf = render_report(make_report(), lang="uz")
    sizes = pdf_page_sizes(pdf)
    assert 1 <= len(sizes) <= 2
    for width, height in sizes:
        assert (width, height) == pytest.approx(A4, abs=0.01)
    assert f"1 / {len(sizes)}" in pdf_text(pdf)


def test_report_of_a_long_history_breaks_the_table_across_pages():
    start = date(2025, 1, 4)
    exams = [
        ReportExam(start + timedelta(days=7 * i), f"Exam {i + 1}", 50 + i / 10, 3.0)
        for i in range(52)
    ]
    text = pdf_text(render_report(make_report(exams=exams), lang="en"))
    assert all(f"Exam {i + 1}\n" in text or f"Exam {i + 1} " in text for i in range(52))
    assert text.count("DATE") >= 2  # the header row repeats on the next page


def test_report_embeds_its_own_fonts():
    fonts = pdf_fonts(render_report(make_report(), lang="ru"))
    assert fonts
    for font in fonts:
        assert str(font["/BaseFont"]).lstrip("/") not in standardFonts
        assert "/FontFile2" in font["/FontDescriptor"]


def test_report_with_no_history_says_so():
    report = make_report(exams=[], elo_trend=[], strengths=[], achievements=[])
    text = pdf_text(render_report(report, lang="en"))
    for phrase in [
        "No exams in this period.",
        "No rating yet.",
        "No topic results yet.",
        "No achievements yet.",
    ]:
        assert phrase in text


def test_report_with_one_elo_point_draws_it():
    report = make_report(elo_trend=[EloPoint(date(2026, 10, 1), 1512.4)])
    assert "1 512" in pdf_text(render_report(report, lang="uz"))


def test_report_strengths_are_listed_strongest_first():
    strengths = [
        TopicStrength("Weak", 0.2),
        TopicStrength("Strong", 0.9),
        TopicStrength("Mid", 0.5),
    ]
    text = pdf_text(render_report(make_report(strengths=strengths), lang="en"))
    assert text.index("Strong") < text.index("Mid") < text.index("Weak")


@pytest.mark.parametrize(
    ("changes", "lang", "message"),
    [
        ({}, "fr", "Unknown language 'fr'"),
        ({"student_name": " "}, "en", "The student's name is empty"),
        (
            {"period_start": date(2026, 12, 1), "period_end": date(2026, 9, 1)},
            "en",
            "The period ends (2026-09-01) before it starts (2026-12-01).",
        ),
        (
            {"strengths": [TopicStrength("Algebra", 1.5)]},
            "en",
            "the share correct is between 0 and 1",
        ),
        ({"achievements": [""]}, "en", "An achievement name is empty"),
        (
            {"exams": [ReportExam(date(2026, 9, 6), "", 50.0)]},
            "en",
            "The exam title is empty",
        ),
        (
            {"elo_trend": [EloPoint(date(2026, 9, 6), float("inf"))]},
            "en",
            "A rating is not a number",
        ),
        ({"elo_trend": [EloPoint(None, 1500.0)]}, "en", "A rating: not a date: None."),
    ],
)
def test_report_rejects_bad_input_with_a_clear_message(changes, lang, message):
    with pytest.raises(ValidationError) as caught:
        render_report(make_report(**changes), lang=lang)
    assert message in str(caught.value)
