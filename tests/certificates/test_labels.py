"""The label tables and the number and date formats of each language."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from mockexam.certificates.fonts import printable
from mockexam.certificates.labels import (
    LABELS,
    NBSP,
    format_decimal,
    format_long_date,
    format_short_date,
    format_signed,
)
from mockexam.errors import LANGUAGES


def test_labels_cover_every_language_of_the_product():
    assert set(LABELS) == set(LANGUAGES)


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_labels_are_all_filled_and_printable(lang):
    labels = LABELS[lang]
    for field in dataclasses.fields(labels):
        value = getattr(labels, field.name)
        texts = value if isinstance(value, tuple) else (value,)
        for text in texts:
            assert text.strip(), f"{lang}.{field.name} is empty"
            # Every label's characters exist in the embedded fonts (no empty boxes).
            assert printable(text) == " ".join(text.split()), f"{lang}.{field.name}: {text!r}"


def test_uzbek_labels_use_the_product_s_apostrophe():
    uz = LABELS["uz"]
    assert "‘" in uz.report_title  # O‘zlashtirish
    texts = []
    for field in dataclasses.fields(uz):
        value = getattr(uz, field.name)
        texts += value if isinstance(value, tuple) else [value]
    assert all("'" not in text for text in texts)


@pytest.mark.parametrize(
    ("value", "lang", "digits", "text"),
    [
        (67.43, "uz", 1, "67,4"),
        (67.43, "ru", 1, "67,4"),
        (67.43, "en", 1, "67.4"),
        (67.45, "en", 1, "67.5"),
        (1534.5, "uz", 1, f"1{NBSP}534,5"),
        (1534.5, "en", 1, "1,534.5"),
        (1534.4, "ru", 0, f"1{NBSP}534"),
        (-0.04, "uz", 1, "0,0"),
        (-3.14, "en", 1, "-3.1"),
        (84, "uz", 0, "84"),
    ],
)
def test_format_decimal_follows_the_language(value, lang, digits, text):
    assert format_decimal(value, lang, digits) == text


def test_format_signed_shows_the_direction():
    assert format_signed(5.24, "uz") == "+5,2"
    assert format_signed(-3.06, "en") == "-3.1"
    assert format_signed(0.02, "ru") == "0,0"


def test_dates_read_as_each_language_writes_them():
    day = date(2026, 3, 8)
    assert format_long_date(day, "uz") == "8-mart, 2026"
    assert format_long_date(day, "ru") == "8 марта 2026 г."
    assert format_long_date(day, "en") == "8 March 2026"
    assert format_short_date(day, "ru") == "08.03.2026"
    assert format_short_date(day, "en") == "8 Mar 2026"


def test_printable_drops_what_the_fonts_lack_and_keeps_the_rest():
    assert printable("  Ali 🚀  Valiyev ") == "Ali Valiyev"
    assert printable("Oʻgʻiloy G‘ulomova") == "Oʻgʻiloy G‘ulomova"
    assert printable("Ёкубова Ўғилой Қаҳҳорова") == "Ёкубова Ўғилой Қаҳҳорова"
    assert printable("Й") == "Й"  # И + combining breve, composed
