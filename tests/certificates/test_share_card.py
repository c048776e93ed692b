"""The share card PNG: size, QR code, and input checks."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mockexam.certificates import render_share_card
from mockexam.errors import ValidationError
from tests.certificates.helpers import VERIFY_URL, make_dtm_facts, make_facts, qr_texts


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_share_card_is_a_1200_by_630_png_with_a_readable_qr(lang):
    png = render_share_card(make_dtm_facts(), lang=lang, verify_url=VERIFY_URL)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (1200, 630)
    assert qr_texts(image.convert("RGB")) == [VERIFY_URL]


def test_share_card_without_a_url_has_no_qr():
    image = Image.open(io.BytesIO(render_share_card(make_facts(), lang="en")))
    assert qr_texts(image.convert("RGB")) == []


def test_share_card_differs_by_language():
    cards = {lang: render_share_card(make_facts(), lang=lang) for lang in ("uz", "ru", "en")}
    assert len(set(cards.values())) == 3


def test_share_card_provisional_result_renders():
    facts = make_facts(
        scaled_score=12.7, scaled_score_se=None, percentile=None, is_provisional=True
    )
    png = render_share_card(facts, lang="uz", verify_url=VERIFY_URL)
    assert qr_texts(Image.open(io.BytesIO(png)).convert("RGB")) == [VERIFY_URL]


@pytest.mark.parametrize(
    ("changes", "lang", "message"),
    [
        ({}, "kk", "Unknown language 'kk'"),
        ({"student_name": ""}, "uz", "The student's name is empty"),
    ],
)
def test_share_card_rejects_bad_input(changes, lang, message):
    with pytest.raises(ValidationError, match=message):
        render_share_card(make_facts(**changes), lang=lang)
