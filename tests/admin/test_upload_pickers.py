"""Each admin upload picker refuses an oversized file in the browser (react-dropzone's
maxSize, with its message), so the admin learns why; the server's UploadGuard refuses
it before reading too (tests/test_upload_guard.py), but its 413 never reaches the page."""

from __future__ import annotations

import re

import pytest

from mockexam.config import settings
from mockexam.services import practice_bank as bank


def _max_size(component) -> int:
    hooks = "\n".join(map(str, component._get_all_hooks()))
    found = re.findall(r'\["maxSize"\] : (\d+)', hooks)
    assert len(found) == 1, hooks[:500]
    return int(found[0])


@pytest.mark.parametrize("picker", ["paper", "figure", "import"])
def test_every_upload_picker_carries_its_size_limit(picker):
    import mockexam.mockexam  # noqa: F401  (the app's states, as the pages use them)
    from mockexam.admin import exam_edit
    from mockexam.admin.practice_bank import question_form, question_import

    component, limit = {
        "paper": (exam_edit._pdf_card, settings.max_pdf_bytes),
        "figure": (question_form._image_field, bank.MAX_IMAGE_BYTES),
        "import": (question_import.import_card, bank.MAX_ZIP_BYTES),
    }[picker]
    assert _max_size(component()) == limit
