"""The certificate PDF: its extracted text, fonts, QR code and input checks."""

from __future__ import annotations

import re

import pytest
from reportlab.pdfbase.pdfmetrics import standardFonts

from mockexam.certificates import SectionScore, render_certificate
from mockexam.certificates.certificate import BAND_TOP, QR_SIZE
from mockexam.errors import ValidationError
from tests.certificates.helpers import (
    VERIFY_URL,
    make_dtm_facts,
    make_facts,
    pdf_fonts,
    pdf_page_sizes,
    pdf_text,
    pdf_text_positions,
    qr_texts,
    render_first_page,
)

A4_LANDSCAPE = (841.89, 595.28)

EXPECTED = {
    "uz": {
        "title": "Natija sertifikati",
        "labels": ["Rasmiy natija".upper(), "Shkala bali", "Baho".upper(), "Persentil".upper()],
        "score": "67,4",
        "se": "± 3,1",
        "date": "22-noyabr, 2026",
        "code": "Kod: K7Q2-M9XD-4TPA",
        "percentile": "ishtirokchilarning 84% idan yuqori",
    },
    "ru": {
        "title": "Сертификат о результате",
        "labels": ["ОФИЦИАЛЬНЫЙ РЕЗУЛЬТАТ", "Шкальный балл", "ОЦЕНКА", "ПРОЦЕНТИЛЬ"],
        "score": "67,4",
        "se": "± 3,1",
        "date": "22 ноября 2026 г.",
        "code": "Код: K7Q2-M9XD-4TPA",
        "percentile": "выше, чем у 84% участников",
    },
    "en": {
        "title": "Certificate of result",
        "labels": ["OFFICIAL SCORE", "Scaled score", "GRADE", "PERCENTILE"],
        "score": "67.4",
        "se": "± 3.1",
        "date": "22 November 2026",
        "code": "Code: K7Q2-M9XD-4TPA",
        "percentile": "above 84% of participants",
    },
}


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_certificate_text_carries_the_figures_in_each_language(lang):
    text = pdf_text(render_certificate(make_facts(), lang=lang, verify_url=VERIFY_URL))
    expected = EXPECTED[lang]
    for phrase in [
        expected["title"],
        *expected["labels"],
        expected["score"],
        expected["se"],
        expected["date"],
        expected["code"],
        expected["percentile"],
        "G‘ayratjon Oʻktamov",
        "Matematika sinov imtihoni №12",
        "B+",
        VERIFY_URL,
    ]:
        assert phrase in text, f"{phrase!r} missing from the {lang} certificate:\n{text}"


def test_certificate_numbers_follow_the_language():
    uz = pdf_text(render_certificate(make_dtm_facts(), lang="uz", verify_url=VERIFY_URL))
    en = pdf_text(render_certificate(make_dtm_facts(), lang="en", verify_url=VERIFY_URL))
    assert "157,2" in uz and "189 balldan" in uz and "157.2" not in uz
    assert "157.2" in en and "points out of 189" in en and "157,2" not in en


def test_certificate_keeps_uzbek_apostrophes_and_cyrillic_through_extraction():
    facts = make_facts(
        student_name="Oʻgʻiloy G‘ulomova", exam_title="Пробный экзамен: Ёё Ўў Ққ Ғғ Ҳҳ"
    )
    text = pdf_text(render_certificate(facts, lang="uz", verify_url=VERIFY_URL))
    assert "Oʻgʻiloy G‘ulomova" in text  # U+02BB and U+2018 both survive
    assert "Пробный экзамен: Ёё Ўў Ққ Ғғ Ҳҳ" in text
    assert "Bo‘limlar" not in text  # no sections on this one
    assert "bog‘langan" not in text  # not on the linked scale


def test_certificate_embeds_its_own_fonts_not_the_base_14():
    fonts = pdf_fonts(render_certificate(make_dtm_facts(), lang="ru", verify_url=VERIFY_URL))
    names = {str(font["/BaseFont"]) for font in fonts}
    assert {re.sub(r"^/[A-Z]{6}\+", "", name) for name in names} == {
        "NotoSans-Regular",
        "NotoSans-Bold",
        "NotoSerif-Bold",
    }
    for font in fonts:
        assert str(font["/BaseFont"]).lstrip("/") not in standardFonts
        assert "/FontFile2" in font["/FontDescriptor"], f"{font['/BaseFont']} is not embedded"
        assert "/ToUnicode" in font  # what makes the text extractable and searchable


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_certificate_qr_code_decodes_to_the_verify_url(lang):
    pdf = render_certificate(make_dtm_facts(), lang=lang, verify_url=VERIFY_URL)
    assert qr_texts(render_first_page(pdf)) == [VERIFY_URL]


def test_certificate_qr_code_still_decodes_for_a_long_url():
    url = "https://exams.example.uz/verify/" + "Q" * 120
    pdf = render_certificate(make_facts(), lang="en", verify_url=url)
    assert qr_texts(render_first_page(pdf, scale=3)) == [url]


def test_certificate_is_one_a4_landscape_page():
    pdf = render_certificate(make_dtm_facts(), lang="uz", verify_url=VERIFY_URL)
    [(width, height)] = pdf_page_sizes(pdf)
    assert width == pytest.approx(A4_LANDSCAPE[0], abs=0.01)
    assert height == pytest.approx(A4_LANDSCAPE[1], abs=0.01)


def test_certificate_is_the_same_bytes_for_the_same_facts():
    """No timestamp inside: a stored certificate can be compared with a re-issue."""
    first = render_certificate(make_facts(), lang="en", verify_url=VERIFY_URL)
    assert render_certificate(make_facts(), lang="en", verify_url=VERIFY_URL) == first


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_certificate_provisional_result_shows_no_plus_minus(lang):
    facts = make_facts(
        scaled_score=12.7, scaled_score_se=None, percentile=None, is_provisional=True
    )
    text = pdf_text(render_certificate(facts, lang=lang, verify_url=VERIFY_URL))
    assert "±" not in text
    assert {"uz": "12,7", "ru": "12,7", "en": "12.7"}[lang] in text
    provisional = {"uz": "Dastlabki natija", "ru": "Предварительный результат", "en": "Provisional"}
    assert provisional[lang] in text


def test_certificate_without_se_shows_no_plus_minus():
    text = pdf_text(
        render_certificate(make_facts(scaled_score_se=None), lang="en", verify_url=VERIFY_URL)
    )
    assert "±" not in text
    assert "standard error" not in text


def test_certificate_optional_facts_are_left_out_when_missing():
    facts = make_facts(grade=None, percentile=None)
    text = pdf_text(render_certificate(facts, lang="en", verify_url=VERIFY_URL))
    assert "GRADE" not in text
    assert "PERCENTILE" not in text
    assert "67.4" in text


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_certificate_block_test_shows_its_section_scores(lang):
    text = pdf_text(render_certificate(make_dtm_facts(), lang=lang, verify_url=VERIFY_URL))
    title = {"uz": "BO‘LIMLAR BO‘YICHA BALLAR", "ru": "БАЛЛЫ ПО РАЗДЕЛАМ", "en": "SECTION SCORES"}
    assert title[lang] in text
    comma = lang != "en"
    for name, score in [
        ("Ona tili va adabiyot", "8,8 / 11"),
        ("O‘zbekiston tarixi", "7,7 / 11"),
        ("Matematika (asosiy)", "78,3 / 93"),
        ("Fizika", "52,5 / 63"),
    ]:
        assert name in text
        assert (score if comma else score.replace(",", ".")) in text
    linked = {"uz": "bog‘langan shkalada", "ru": "на связанной шкале", "en": "on the linked scale"}
    assert linked[lang] in text


def test_certificate_twelve_sections_all_appear():
    sections = [SectionScore(f"Bo‘lim {i}", i, 20) for i in range(1, 13)]
    pdf = render_certificate(make_facts(sections=sections), lang="uz", verify_url=VERIFY_URL)
    text = pdf_text(pdf)
    for i in range(1, 13):
        assert f"Bo‘lim {i}" in text
        assert f"{i} / 20" in text
    assert qr_texts(render_first_page(pdf)) == [VERIFY_URL]


def test_certificate_fullest_middle_stays_above_the_verification_band():
    """Both notes and twelve sections: the last section row still clears the QR code."""
    sections = [SectionScore(f"Раздел «Тема {i}»", 7.5, 20) for i in range(1, 13)]
    facts = make_dtm_facts(
        sections=sections, scaled_score_se=None, percentile=None, is_provisional=True
    )
    pdf = render_certificate(facts, lang="ru", verify_url=VERIFY_URL)
    rows = [y for text, _, y in pdf_text_positions(pdf) if text == "7,5 / 20"]
    assert len(rows) == 12
    assert min(rows) > BAND_TOP
    assert BAND_TOP > 36 + QR_SIZE  # the QR code's top edge
    assert qr_texts(render_first_page(pdf)) == [VERIFY_URL]


def test_certificate_long_name_wraps_instead_of_being_cut():
    name = "Abdurahmonov Muhammadyusuf Baxtiyor o‘g‘li Qodirjonov-Samarqandiy Toshkentlik"
    text = pdf_text(
        render_certificate(make_facts(student_name=name), lang="uz", verify_url=VERIFY_URL)
    )
    assert "…" not in text
    assert all(word in text for word in name.split())


def test_certificate_drops_characters_the_fonts_cannot_draw():
    facts = make_facts(student_name="Ali 🚀 Valiyev 😀")
    text = pdf_text(render_certificate(facts, lang="en", verify_url=VERIFY_URL))
    assert "Ali Valiyev" in text


@pytest.mark.parametrize(
    ("changes", "lang", "verify_url", "message"),
    [
        ({}, "de", VERIFY_URL, "Unknown language 'de': use one of uz, ru, en."),
        ({}, "", VERIFY_URL, "Unknown language ''"),
        ({"student_name": ""}, "en", VERIFY_URL, "The student's name is empty"),
        ({"student_name": "   "}, "uz", VERIFY_URL, "The student's name is empty"),
        ({"student_name": "🚀🚀"}, "uz", VERIFY_URL, "The student's name is empty"),
        ({"student_name": "A" * 121}, "en", VERIFY_URL, "The student's name is too long"),
        ({"exam_title": ""}, "en", VERIFY_URL, "The exam title is empty"),
        ({"verify_code": ""}, "en", VERIFY_URL, "The verification code is empty"),
        ({}, "en", "/verify/K7Q2", "The verification URL must be absolute"),
        ({}, "en", "", "The verification URL is empty"),
        ({}, "en", VERIFY_URL + "x" * 200, "The verification URL is too long"),
        ({"scaled_score": float("nan")}, "en", VERIFY_URL, "The scaled score is not a number"),
        ({"scaled_score_se": -1.0}, "en", VERIFY_URL, "The standard error cannot be below 0"),
        ({"percentile": 101}, "en", VERIFY_URL, "The percentile is between 0 and 100"),
        ({"is_provisional": True}, "en", VERIFY_URL, "A provisional result has no standard error"),
        ({"official_kind": "points"}, "en", VERIFY_URL, "no points were given"),
        ({"official_kind": "raw"}, "en", VERIFY_URL, "Unknown official score kind 'raw'"),
        ({"points": 190, "max_points": 189}, "en", VERIFY_URL, "at most the maximum (189)"),
        (
            {"sections": [SectionScore("Fizika", 70, 63)]},
            "en",
            VERIFY_URL,
            "Section “Fizika”: the points (70) must be between 0 and the maximum (63)",
        ),
        (
            {"sections": [SectionScore(f"S{i}", 1, 2) for i in range(13)]},
            "en",
            VERIFY_URL,
            "Too many sections: 13 (at most 12)",
        ),
    ],
)
def test_certificate_rejects_bad_input_with_a_clear_message(changes, lang, verify_url, message):
    with pytest.raises(ValidationError) as caught:
        render_certificate(make_facts(**changes), lang=lang, verify_url=verify_url)
    assert message in str(caught.value)


def test_certificate_error_messages_are_in_three_languages():
    with pytest.raises(ValidationError) as caught:
        render_certificate(make_facts(student_name=""), lang="ru", verify_url=VERIFY_URL)
    assert (
        caught.value.text("uz") == "O‘quvchining ismi bo‘sh (yoki unda chop etiladigan harf yo‘q)."
    )
    assert caught.value.text("ru") == "Имя учащегося: пусто (или в нём нет печатаемых букв)."
