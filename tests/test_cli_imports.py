"""`import-key` and `import-questions` with files an operator did not expect (issue 20, item 8).

A binary, huge or damaged file gets a one-line reason and exit code 2, never a
traceback, and nothing is written. Against the real database (SQLite).
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from mockexam.cli import main
from mockexam.db import session_scope, utcnow
from mockexam.services.exams import get_items
from tests.factories import make_exam


def _exam_id() -> int:
    with session_scope() as db:
        return make_exam(db, start=utcnow() + timedelta(days=2), publish=False, key=False).id


def _keyed(exam_id: int) -> list[str]:
    with session_scope(readonly=True) as db:
        return [i.label for i in get_items(db, exam_id) if i.accepted_answers]


def test_import_key_refuses_a_file_that_is_not_utf8(sqlite_url, tmp_path, capsys):
    exam_id = _exam_id()
    path = tmp_path / "key.txt"
    path.write_bytes(b"1 A\n2 \xff\xfe\n")
    assert main(["import-key", str(exam_id), str(path)]) == 2
    assert "not UTF-8 text (byte 6); save it as UTF-8" in capsys.readouterr().err
    assert _keyed(exam_id) == []


def test_import_key_refuses_a_huge_file_without_reading_it(sqlite_url, tmp_path, capsys):
    exam_id = _exam_id()
    path = tmp_path / "key.txt"
    with path.open("wb") as file:
        file.write(b"1 A\n")
        file.truncate(3 * 1024**3)  # 3 GB on paper (sparse)
    assert main(["import-key", str(exam_id), str(path)]) == 2
    err = capsys.readouterr().err
    assert "over 80,000 bytes; an answer key has at most 20,000 characters" in err
    assert _keyed(exam_id) == []


def test_import_key_strips_bidi_controls(sqlite_url, tmp_path, capsys):
    exam_id = _exam_id()
    path = tmp_path / "key.txt"
    path.write_text("1 \u202eA\n36a \u202e12\n", encoding="utf-8")
    assert main(["import-key", str(exam_id), str(path)]) == 0
    with session_scope(readonly=True) as db:
        keyed = {i.label: i.accepted_answers for i in get_items(db, exam_id) if i.accepted_answers}
    assert keyed == {"1": ["A"], "36a": ["12"]}


def test_import_questions_names_a_damaged_archive(sqlite_url, tmp_path, capsys):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("bank.csv", "topic,difficulty,kind,text,answer\nalgebra,1,free,Fine?,2\n")
    data = bytearray(buffer.getvalue())
    at = data.index(b"Fine?")
    data[at : at + 5] = b"Fune?"
    path = tmp_path / "bank.zip"
    path.write_bytes(bytes(data))
    assert main(["import-questions", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bank.csv: damaged: its checksum (CRC-32) does not match" in err
