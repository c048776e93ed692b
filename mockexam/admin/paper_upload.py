"""Storing an exam's PDF question paper from an admin upload: size and type checks, then a file.

Papers live under `settings.upload_dir/papers/` with a name made of the exam
id and a hash of the content (`papers/exam-3-1a2b3c4d5e6f.pdf`), written to a
temporary file and renamed into place, so a half-written upload is never
served. `Exam.pdf_path` stores the path relative to `settings.upload_dir`
(what services/paper.py resolves).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from mockexam.config import settings
from mockexam.errors import ValidationError, msg

PDF_MAGIC = b"%PDF-"
PAPERS_DIR = "papers"


def check_pdf(data: bytes, *, filename: str = "") -> None:
    """Refuse an empty, oversized or non-PDF upload with a message the admin can act on."""
    limit = settings.max_pdf_bytes
    if not data:
        raise ValidationError(msg("Fayl bo‘sh.", "Файл пустой.", "The file is empty."))
    if len(data) > limit:
        raise ValidationError(
            msg(
                "Fayl {mb} MB dan katta; PDFni siqing yoki rasmlarni bo‘ling.",
                "Файл больше {mb} МБ; сожмите PDF или разделите изображения.",
                "The file is larger than {mb} MB; compress the PDF or split the images.",
                mb=f"{limit / (1024 * 1024):.0f}",
            )
        )
    if not data.startswith(PDF_MAGIC):
        name = f" “{filename}”" if filename else ""
        raise ValidationError(
            msg(
                "Fayl{name} PDF emas (%PDF bilan boshlanmaydi).",
                "Файл{name} — не PDF (он не начинается с %PDF).",
                "The file{name} is not a PDF (it does not start with %PDF).",
                name=name,
            )
        )


def store_pdf(exam_id: int, data: bytes, *, filename: str = "") -> str:
    """Check and write the paper; returns its path relative to the upload dir."""
    check_pdf(data, filename=filename)
    digest = hashlib.sha256(data).hexdigest()[:12]
    relative = f"{PAPERS_DIR}/exam-{int(exam_id)}-{digest}.pdf"
    folder = Path(settings.upload_dir) / PAPERS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = Path(settings.upload_dir) / relative
    if target.is_file() and target.stat().st_size == len(data):
        return relative  # the same content was uploaded before
    fd, temp = tempfile.mkstemp(prefix=".upload-", suffix=".pdf", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        Path(temp).replace(target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return relative
