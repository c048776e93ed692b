"""The QR codes: reportlab's encoder with a vectorised mask choice, cross-checked against it."""

from __future__ import annotations

import random
import string

import numpy as np
import pytest
from reportlab.graphics.barcode import qrencoder

from mockexam.certificates.qr import _candidates, lost_points, qr_image, qr_matrix
from tests.certificates.helpers import qr_texts

RULES = qrencoder.QRUtil


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "-_"
    return [
        "https://exams.example.uz/verify/" + "".join(rng.choices(alphabet, k=rng.randint(1, 300)))
        for _ in range(count)
    ]


def _code(text: str) -> qrencoder.QRCode:
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(qrencoder.QR8bitByte(text))
    code.version = code.calculate_version()
    return code


def _reference_lost_points(modules: list[list[bool]]) -> int:
    """reportlab's four rule functions, given the columns as lists (see `lost_points`)."""
    columns = [list(column) for column in zip(*modules, strict=True)]
    return (
        RULES.maskScoreRule1vert(modules)
        + RULES.maskScoreRule1vert(columns)
        + RULES.maskScoreRule2(modules)
        + RULES.maskScoreRule3hor(modules)
        + RULES.maskScoreRule3hor(columns)
        + RULES.maskScoreRule4(modules)
    )


def test_mask_candidates_are_reportlabs_placements():
    for text in _texts(30, seed=1):
        code = _code(text)
        candidates = _candidates(code)
        for mask in range(8):
            code.makeImpl(True, mask)
            assert np.array_equal(np.array(code.modules, dtype=bool), candidates[mask]), (
                text,
                mask,
            )


def test_lost_points_agrees_with_reportlabs_rules():
    for text in _texts(30, seed=2):
        code = _code(text)
        for mask in range(8):
            code.makeImpl(True, mask)
            modules = [list(row) for row in code.modules]
            assert lost_points(np.array(modules, dtype=bool)) == _reference_lost_points(modules)


def test_lost_points_of_small_known_grids():
    light = np.zeros((21, 21), dtype=bool)
    # 21 rows and 21 columns, each one run of 21: 2 × 21 × (21 − 2); 20 × 20 blocks of 3;
    # no dark module: 10 × (50 // 5).
    assert lost_points(light) == 2 * 21 * 19 + 3 * 400 + 100
    stripes = np.zeros((21, 21), dtype=bool)
    stripes[::2, :] = True  # rows alternate: runs of 21 across, of 1 down; no 2×2 block
    assert lost_points(stripes) == 21 * 19 + 10 * (abs(100 * 231 // 441 - 50) // 5)


@pytest.mark.parametrize("length", [1, 40, 150, 400])
def test_qr_codes_decode_at_every_size(length):
    text = "https://exams.example.uz/verify/" + "A1b2" * (length // 4) + "x" * (length % 4)
    matrix = qr_matrix(text)
    image = qr_image(text, max_px=(len(matrix) + 8) * 4)
    assert qr_texts(image.convert("RGB")) == [text]


def test_qr_matrix_encodes_text_as_utf8():
    text = "https://exams.example.uz/verify/O‘g‘il-Ёж"
    assert qr_texts(qr_image(text, max_px=400).convert("RGB")) == [text]
