"""Import files that check their limits while reading and name every bad file and row.

Issue 20, item 8: a 68 KB ZIP with a million CSV rows used to be decompressed,
decoded and parsed whole (the backend grew by ~850 MB) before "at most 5000"
was said; a damaged member raised an unhandled `BadZipFile`; a difficulty `²` or
a 5,000-digit number raised `ValueError`. These tests build such files and send
them through `read_question_upload` and `import_questions` (the admin page's
upload handler has its own tests in tests/admin/test_practice_bank_states.py).
The amount read is asserted by counting the bytes zipfile decompresses.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile

import pytest
from sqlalchemy import func, select

from mockexam.db import session_scope
from mockexam.models import PracticeQuestion, PracticeTopic
from mockexam.services import practice_bank
from mockexam.services.practice_bank import (
    QuestionDraft,
    QuestionImportError,
    import_questions,
    read_question_path,
    read_question_upload,
)

HEADER = b"topic,difficulty,kind,text,option_a,option_b,answer\n"
GOOD_ROW = b"algebra,1,mcq,Fine?,a,b,A\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
MILLION_ROWS = 1_000_000


pytestmark = pytest.mark.usefixtures("own_upload_dir")


@pytest.fixture
def decompressed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every byte zipfile hands out of a member, old reader or new, is counted here."""
    counted = [0]
    original = zipfile.ZipExtFile.read

    def read(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = original(self, n)
        counted[0] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", read)
    return counted


def _zip(files: list[tuple[str, bytes]], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method, compresslevel=9) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


def _errors(data: bytes, name: str) -> list[tuple[str, str, str]]:
    """The named errors of reading and checking `data` (nothing may escape but these)."""
    with pytest.raises(QuestionImportError) as caught:
        bundle = read_question_upload(data, name)
        with session_scope() as db:
            practice_bank.ensure_default_topics(db)
            import_questions(db, bundle, source=name, dry_run=True)
    return caught.value.errors


def _count() -> int:
    with session_scope(readonly=True) as db:
        return db.execute(select(func.count()).select_from(PracticeQuestion)).scalar_one()


# --- limits while reading --------------------------------------------------------------------


def test_a_million_row_zip_is_refused_after_reading_its_first_rows(db_url, decompressed):
    # 10-byte rows, so the CSV stays under the 10 MB file limit: only the row count is over.
    rows = b"x,1,m,t,A\n" * MILLION_ROWS
    data = _zip([("bank.csv", b"topic,difficulty,kind,text,answer\n" + rows)])
    assert len(data) < 100 * 1024  # a small upload
    assert _errors(data, "bank.zip") == [
        ("bank.csv", "", "more than 5000 questions; at most 5000 a file: split it")
    ]
    # 5,001 rows of 10 bytes, plus what one read ahead fetches: not the 10 MB member.
    assert decompressed[0] < 256 * 1024, decompressed[0]


def test_a_plain_csv_with_too_many_rows_stops_at_the_limit(db_url):
    rows = b"".join(b"algebra,1,mcq,Q%d?,a,b,A\n" % i for i in range(6000))
    assert _errors(HEADER + rows, "bank.csv") == [
        ("bank.csv", "", "more than 5000 questions; at most 5000 a file: split it")
    ]


def test_a_json_list_over_the_limit_is_refused_as_a_whole(db_url):
    items = [{"topic": "algebra"}] * 5001
    errors = _errors(json.dumps(items).encode(), "bank.json")
    assert errors == [("bank.json", "", "more than 5000 questions; at most 5000 a file: split it")]


def test_json_with_millions_of_empty_lists_is_refused_before_it_is_built(db_url):
    # json.loads would build one list per "[]" (a 10 MB file: ~3 million of them).
    errors = _errors(b"[" + b"[]," * 20_000 + b"[]]", "bank.json")
    assert len(errors) == 1 and errors[0][0] == "bank.json"
    assert "more objects and lists than 5000 questions have" in errors[0][2]
    # Brackets inside strings ("\\frac{1}{2}") are not counted.
    text = "$\\frac{1}{2}$ [" * 10
    question = {"topic": "algebra", "difficulty": 1, "kind": "free", "text": text, "answer": "1"}
    assert read_question_upload(json.dumps([question]).encode(), "b.json").rows


def test_deeply_nested_json_is_a_named_error(db_url):
    errors = _errors(b"[" * 5000 + b"]" * 5000, "bank.json")
    assert errors == [("bank.json", "", "not valid JSON: nested too deeply")]


def test_a_zip_bomb_image_is_refused_by_its_ratio(db_url, decompressed):
    bomb = PNG + b"\x00" * (2 * 1024 * 1024 - len(PNG) - 1)  # under the 2 MB image limit
    sheet = b"topic,difficulty,kind,text,option_a,option_b,answer,image\n"
    sheet += b"algebra,1,mcq,Fine?,a,b,A,fig.png\n"
    data = _zip([("bank.csv", sheet), ("fig.png", bomb)])
    assert len(data) < 10 * 1024
    errors = _errors(data, "bank.zip")
    assert errors == [("fig.png", "", "compressed more than 100:1 (a ZIP bomb?); not accepted")]
    assert decompressed[0] < 1100 * 1024  # stopped just past the 1 MB the ratio allows


def test_a_member_larger_than_its_limit_is_refused_by_what_it_unpacks_to(db_url):
    big = b"a" * (11 * 1024 * 1024)
    errors = _errors(_zip([("bank.csv", HEADER + big)], method=zipfile.ZIP_STORED), "bank.zip")
    assert errors == [("bank.csv", "", "unpacks to 11.1 MB; at most 10 MB")]


def test_an_archive_with_too_many_entries_is_refused_before_they_are_read(db_url):
    files = [("bank.csv", HEADER + GOOD_ROW)] + [(f"f{i}.txt", b"") for i in range(5100)]
    errors = _errors(_zip(files), "bank.zip")
    assert errors == [("bank.zip", "", "holds 5101 entries; at most 5100 are accepted")]


def test_a_very_long_csv_line_is_a_named_error(db_url):
    errors = _errors(HEADER + b"algebra,1,mcq," + b"x" * 40_000 + b",a,b,A\n", "bank.csv")
    assert errors == [("line 2", "", "over 32768 characters on one line")]


# --- damaged archives and bad names -----------------------------------------------------------


def _stored_zip_with_bad_crc(name: str, content: bytes) -> bytes:
    data = bytearray(_zip([(name, content)], method=zipfile.ZIP_STORED))
    at = data.index(b"Fine?")
    data[at : at + 5] = b"Fune?"  # same length, other bytes: the CRC-32 no longer matches
    return bytes(data)


def test_a_member_with_a_bad_crc_is_a_named_error(db_url):
    data = _stored_zip_with_bad_crc("bank.csv", HEADER + GOOD_ROW)
    assert _errors(data, "bank.zip") == [
        ("bank.csv", "", "damaged: its checksum (CRC-32) does not match; make the archive again")
    ]
    assert _count() == 0


def test_an_image_with_a_bad_crc_is_a_named_error(db_url):
    sheet = b"topic,difficulty,kind,text,option_a,option_b,answer,image\n"
    sheet += b"algebra,1,mcq,Fine?,a,b,A,fig.png\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bank.csv", sheet)
        archive.writestr("fig.png", PNG + b"Fine?")
    data = bytearray(buffer.getvalue())
    at = data.rindex(b"Fine?")
    data[at : at + 5] = b"Fune?"
    assert _errors(bytes(data), "bank.zip") == [
        ("fig.png", "", "damaged: its checksum (CRC-32) does not match; make the archive again")
    ]


def test_corrupt_compressed_data_is_a_named_error(db_url):
    content = HEADER + b"".join(b"algebra,%d,mcq,Q%d?,a,b,A\n" % (i % 5 + 1, i) for i in range(300))
    data = bytearray(_zip([("bank.csv", content)]))
    start = 30 + len("bank.csv")  # the local header, then the deflate stream
    data[start + 40 : start + 200] = b"\xff" * 160
    errors = _errors(bytes(data), "bank.zip")
    assert len(errors) == 1 and errors[0][:2] == ("bank.csv", "")
    assert errors[0][2].startswith("damaged:")


def test_a_truncated_archive_is_a_named_error(db_url):
    data = _zip([("bank.csv", HEADER + GOOD_ROW)])
    assert _errors(data[: len(data) // 2], "bank.zip") == [
        ("bank.zip", "", "not a readable ZIP archive")
    ]


def _encrypted(data: bytes) -> bytes:
    """The archive with its members marked encrypted (flag bit 0, both headers)."""
    raw = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        while at != -1:
            (flags,) = struct.unpack_from("<H", raw, at + offset)
            struct.pack_into("<H", raw, at + offset, flags | 0x1)
            at = raw.find(signature, at + 4)
    return bytes(raw)


def test_an_encrypted_member_is_a_named_error(db_url):
    data = _encrypted(_zip([("bank.csv", HEADER + GOOD_ROW)]))
    assert _errors(data, "bank.zip") == [
        ("bank.csv", "", "encrypted: archives with passwords are not accepted")
    ]


def test_non_utf8_text_names_the_file_and_the_line(db_url):
    bad = HEADER + GOOD_ROW * 1000 + b"algebra,1,mcq,\xff\xfe,a,b,A\n"
    message = "not UTF-8 text (line 1002); save the file as UTF-8"
    assert _errors(_zip([("bank.csv", bad)]), "bank.zip") == [("bank.csv", "", message)]
    assert _errors(bad, "bank.csv") == [("bank.csv", "", message)]


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("../bank.csv", "a path that climbs out of the archive ('..')"),
        ("/bank.csv", "an absolute or Windows path is not accepted"),
        ("C:/bank.csv", "an absolute or Windows path is not accepted"),
        ("a\\bank.csv", "an absolute or Windows path is not accepted"),
        ("a/b/c/d/bank.csv", "nested 4 folders deep; at most 3"),
    ],
)
def test_archive_names_that_leave_or_hide_are_named(db_url, member, message):
    assert _errors(_zip([(member, HEADER + GOOD_ROW)]), "bank.zip") == [(member, "", message)]


def test_a_name_twice_in_an_archive_is_named(db_url):
    with pytest.warns(UserWarning):  # zipfile warns the writer too
        data = _zip([("bank.csv", HEADER + GOOD_ROW), ("bank.csv", HEADER)])
    assert _errors(data, "bank.zip") == [("bank.csv", "", "appears twice in the archive")]


def test_the_usual_folder_layouts_still_import(db_url):
    sheet = b"topic,difficulty,kind,text,option_a,option_b,answer,image\n"
    sheet += b"algebra,1,mcq,Fine?,a,b,A,fig.png\n"
    data = _zip(
        [
            ("bank/", b""),
            ("bank/questions.csv", sheet),
            ("bank/images/fig.png", PNG),
            ("__MACOSX/bank/._questions.csv", b"\x00\x05\x16\x07"),
            ("bank/unused.png", PNG + b"x"),
        ]
    )
    bundle = read_question_upload(data, "bank.zip")
    assert list(bundle.images) == ["images/fig.png"]  # only what a row names is read
    with session_scope() as db:
        practice_bank.ensure_default_topics(db)
        assert import_questions(db, bundle, source="bank.zip").added == 1


# --- numbers in files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("²", "'²'"),
        ("٣", "'٣'"),
        ("9" * 5000, "'" + "9" * 22 + "…"),
        ("3.0", "'3.0'"),
        ("nan", "'nan'"),
    ],
)
def test_csv_difficulties_that_are_not_ascii_whole_numbers_are_row_errors(db_url, value, shown):
    data = HEADER + b"algebra,1,mcq,Fine?,a,b,A\n"
    data += b"algebra," + value.encode() + b",mcq,Other?,a,b,A\n"
    assert _errors(data, "bank.csv") == [
        ("line 3", "difficulty", f"must be a whole number from 1 to 5, not {shown}")
    ]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b'"\xc2\xb2"', "'²'"),
        (b"9" * 5000, "a 5000-digit number"),
        (b"1e999", "inf"),
        (b"NaN", "nan"),
        (b"2.5", "2.5"),
        (b"true", "True"),
    ],
)
def test_json_difficulties_that_are_not_whole_numbers_are_row_errors(db_url, raw, shown):
    data = (
        b'[{"topic": "algebra", "difficulty": '
        + raw
        + b', "kind": "mcq", "text": "Fine?", "options": ["a", "b"], "answer": "A"}]'
    )
    assert _errors(data, "bank.json") == [
        ("question 1", "difficulty", f"must be a whole number from 1 to 5, not {shown}")
    ]


def test_a_huge_number_as_a_json_answer_is_a_named_error(db_url):
    question = b'{"topic": "algebra", "difficulty": 1, "kind": "free", "text": "Big?", '
    errors = _errors(b"[" + question + b'"answer": [' + b"7" * 5000 + b"]}]", "bank.json")
    assert [(where, name) for where, name, _ in errors] == [("question 1", "answer")]
    errors = _errors(b"[" + question + b'"answer": ' + b"7" * 5000 + b"}]", "bank.json")
    assert errors == [("question 1", "answer", "must be text or a list of texts")]


def test_the_cli_path_refuses_a_huge_file_without_reading_it_whole(db_url, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as file:
        file.write(HEADER)
        file.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper
    with pytest.raises(QuestionImportError) as caught:
        read_question_path(path)
    assert caught.value.errors == [("huge.csv", "", "over 10 MB; split the file")]


# --- bidi controls and the list's search --------------------------------------------------------


def test_bidi_controls_are_removed_from_stored_text_and_topic_names(db_url):
    rlo, lri = "\u202e", "\u2066"
    with session_scope() as db:
        practice_bank.ensure_default_topics(db)
        row = practice_bank.create_question(
            db,
            QuestionDraft(
                topic="algebra",
                difficulty="2",
                kind="mcq",
                text=f"{rlo}Solve{lri} $x$.",
                options=[f"{rlo}1", "2\u200f"],
                answers=["A"],
                explanation=f"Because\u061c{rlo}.",
            ),
        )
        topic = practice_bank.create_topic(
            db, code="logic", name=f"{rlo}Logic", names={"en": f"Lo{rlo}gic", "uz": "\u200eMantiq"}
        )
        free = practice_bank.create_question(
            db,
            QuestionDraft(
                topic="logic", difficulty=1, kind="free", text="Two?", answers=[f"{rlo}2"]
            ),
        )
        db.flush()
        assert (row.text, row.options, row.explanation) == (
            "Solve $x$.",
            ["1", "2"],
            "Because.",
        )
        assert free.accepted_answers == ["2"]
        assert (topic.name, topic.names) == ("Logic", {"en": "Logic", "uz": "Mantiq"})
        renamed = practice_bank.update_topic(db, topic.id, name=f"Logic{rlo}!", names={})
        assert renamed.name == "Logic!"
        stored = db.get(PracticeTopic, topic.id)
        assert stored is not None and stored.name == "Logic!"


@pytest.mark.parametrize("search", ["#99999999999999999999", "#²", "²", "#" + "9" * 5000])
def test_the_id_search_takes_ascii_ids_only(db_url, search):
    with session_scope(readonly=True) as db:
        page = practice_bank.list_questions(db, search=search)
    assert page.rows == [] and page.total == 0


def test_an_entry_without_a_name_is_named(db_url):
    data = bytearray(_zip([("bank.csv", HEADER + GOOD_ROW), ("x", b"")]))
    # Set the second entry's name length to 0 in the central directory.
    at = data.rindex(b"PK\x01\x02")
    struct.pack_into("<H", data, at + 28, 0)
    errors = _errors(bytes(data), "bank.zip")
    assert len(errors) == 1 and errors[0][0] == "bank.zip"


def test_damaged_archives_only_ever_give_named_errors(db_url):
    """Random truncations and byte flips of a real archive: a named error or a good read."""
    import random

    sheet = b"topic,difficulty,kind,text,option_a,option_b,answer,image\n" + b"".join(
        b"algebra,%d,mcq,Q%d?,a,b,A,fig.png\n" % (i % 5 + 1, i) for i in range(50)
    )
    base = _zip([("bank/questions.csv", sheet), ("bank/fig.png", PNG)])
    chance = random.Random(20)
    for _ in range(1500):
        data = bytearray(base)
        if chance.random() < 0.3:
            data = data[: chance.randrange(len(data))]
        else:
            for _ in range(chance.randint(1, 4)):
                data[chance.randrange(len(data))] = chance.randrange(256)
        try:
            read_question_upload(bytes(data), "bank.zip")
        except QuestionImportError as err:
            assert err.errors and all(where and message for where, _, message in err.errors)


def test_a_cell_over_the_csv_field_limit_is_a_named_error(db_url):
    # Lines under the line limit, but one quoted cell of 150,000 characters across them.
    cell = b'"' + (b"x" * 30_000 + b"\n") * 5 + b'"'
    errors = _errors(HEADER + b"algebra,1,mcq," + cell + b",a,b,A\n", "bank.csv")
    assert len(errors) == 1 and errors[0][1] == ""
    assert errors[0][0].startswith("line ") and "not readable as CSV: field larger" in errors[0][2]


def test_brackets_and_escaped_quotes_inside_json_strings_are_not_counted(db_url):
    text = '\\"[[{{' * 2000  # 4,000 brackets a question, inside its text
    questions = [
        {"topic": "algebra", "difficulty": 1, "kind": "free", "text": f"{text} {i}", "answer": "1"}
        for i in range(5)
    ]
    assert len(read_question_upload(json.dumps(questions).encode(), "b.json").rows) == 5


def test_entries_that_share_one_compressed_kernel_are_refused(db_url):
    """The "better zip bomb": many central entries pointing at the same data."""
    sheet = b"topic,difficulty,kind,text,answer,image\nalgebra,1,free,Area?,2,a.png\n"
    data = bytearray(_zip([("bank.csv", sheet), ("a.png", PNG), ("b.png", PNG)]))
    first = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)  # a.png's entry
    second = data.index(b"PK\x01\x02", first + 4)  # b.png's entry
    (offset,) = struct.unpack_from("<I", data, first + 42)
    struct.pack_into("<I", data, second + 42, offset)  # b.png now points at a.png's data
    assert _errors(bytes(data), "bank.zip") == [
        ("b.png", "", "overlaps another entry's data (a ZIP bomb?); not accepted")
    ]


def test_an_end_record_that_hides_its_entries_is_caught_by_the_directory_size(db_url):
    """The end record says 2 entries; the central directory holds 40,000 (too big to parse)."""
    files = [("bank.csv", HEADER + GOOD_ROW)] + [(f"{i:05}.txt", b"") for i in range(40_000)]
    data = bytearray(_zip(files, method=zipfile.ZIP_STORED))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 2, 2)  # entries on this disk, entries in total
    assert _errors(bytes(data), "bank.zip") == [
        ("bank.zip", "", "its table of contents is too large")
    ]
