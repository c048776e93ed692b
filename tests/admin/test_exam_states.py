"""The exam pages' handlers against the real database: create, edit, PDF, key, publish, delete.

Every change carries the admin's id into the audit log; every refusal of the
services (locks, overlaps, incomplete key, delete with sessions, a bad key
line) reaches the page as a message and changes nothing.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import reflex as rx
from sqlmodel import select

from mockexam.admin.answer_key import KeyState, split_answers
from mockexam.admin.exam_edit import ExamState
from mockexam.admin.exam_form import local_input
from mockexam.admin.exam_new import NewExamState
from mockexam.admin.exam_page import DraftLayoutState, ExamTabsState
from mockexam.admin.exams import ExamsState
from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.models import AuditLog, Exam, ExamItem, ExamStatus
from mockexam.scoring.layout_templates import DTM_BLOCK, TEMPLATES
from mockexam.services import exams as exam_service
from mockexam.services.sessions import start_session
from tests.admin.helpers import make_state, redirect_target, run
from tests.factories import DEFAULT_KEY_TEXT, make_exam, make_student

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _path(exam_id: int) -> str:
    return f"/admin/exams/{exam_id}"


def _audit(action: str) -> list[AuditLog]:
    with session_scope() as db:
        return list(db.exec(select(AuditLog).where(AuditLog.action == action)))


def _exam(exam_id: int) -> Exam | None:
    with session_scope() as db:
        return db.get(Exam, exam_id)


def _draft(
    *, start_in: timedelta = timedelta(days=2), key: bool = False, title: str = "Draft"
) -> int:
    with session_scope() as db:
        exam = make_exam(db, title=title, start=utcnow() + start_in, publish=False, key=key)
        return exam.id


def _form(**overrides: str) -> dict[str, str]:
    start = utcnow() + timedelta(days=3)
    form = {
        "title": "Weekly mock #9",
        "description": "Algebra and geometry",
        "window_start": local_input(start),
        "window_end": local_input(start + timedelta(hours=8)),
        "duration_minutes": "150",
        "grading_scheme": "percentile",
    }
    form.update(overrides)
    return form


# --- new exam ------------------------------------------------------------------
def test_new_exam_create_makes_a_draft_with_the_admin_in_the_audit_log(admin):
    state = make_state(NewExamState, path="/admin/exams/new", token=admin.token)
    run(NewExamState.load, state)
    assert state.window_start and state.window_end  # next Saturday, prefilled

    result = run(NewExamState.create, state, _form())

    with session_scope() as db:
        exam = db.exec(select(Exam)).one()
        assert exam.title == "Weekly mock #9" and exam.status == ExamStatus.DRAFT
        assert exam.duration_minutes == 150
        assert len(exam_service.get_items(db, exam.id)) == 55
    assert redirect_target(result) == _path(exam.id)
    (entry,) = _audit("exam.create")
    assert entry.admin_id == admin.admin_id and entry.entity_id == exam.id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "  "}, "needs a title"),
        ({"window_start": "tomorrow"}, "Window start: enter a date and a time"),
        ({"duration_minutes": "ninety"}, "whole number of minutes"),
        ({"duration_minutes": "0"}, "Duration must be between"),
        ({"grading_scheme": "curve"}, "Grading scheme"),
        ({"window_end": local_input(utcnow() - timedelta(days=30))}, "end after it starts"),
    ],
)
def test_new_exam_create_refuses_bad_fields_and_creates_nothing(admin, overrides, message):
    state = make_state(NewExamState, path="/admin/exams/new", token=admin.token)
    run(NewExamState.load, state)  # the page's on_load: the certificate layout

    result = run(NewExamState.create, state, _form(**overrides))

    assert message in state.error
    assert redirect_target(result) is None
    with session_scope() as db:
        assert db.exec(select(Exam)).all() == []


# --- new exam: the answer-sheet layout ----------------------------------------
def _builder(admin) -> NewExamState:
    state = make_state(NewExamState, path="/admin/exams/new", token=admin.token)
    run(NewExamState.load, state)
    return state


def _created() -> tuple[Exam, list[ExamItem]]:
    with session_scope() as db:
        exam = db.exec(select(Exam)).one()
        return exam, list(exam_service.get_items(db, exam.id))


@pytest.mark.parametrize("name", ["certificate_math", "dtm_block", "custom"])
def test_new_exam_create_with_each_template(admin, name):
    template = TEMPLATES[name]
    state = _builder(admin)
    assert state.template == "certificate_math" and len(state.rows) == 2  # the default

    run(NewExamState.choose_template, state, name)
    assert state.problems == [] and state.item_total == template.layout.item_count()
    assert len(state.sheet_items) == template.layout.item_count()
    assert [s["index"] for s in state.sheet_sections] == list(range(len(template.layout.sections)))
    result = run(NewExamState.create, state, _form())

    exam, items = _created()
    assert redirect_target(result) == _path(exam.id) and state.error == ""
    assert exam.layout["template"] == name
    assert exam.layout["official_score"] == template.layout.official_score
    assert len(items) == template.layout.item_count()
    assert round(sum(item.points for item in items), 2) == template.layout.max_points()
    assert [item.section for item in items] == [spec.section for spec in template.layout.items()]


def test_new_exam_dtm_shows_189_points_and_a_section_per_subject(admin):
    state = _builder(admin)
    assert state.duration == 150
    run(NewExamState.choose_template, state, "dtm_block")
    assert state.item_total == 90 and state.points_total == "189"
    assert state.duration == 180  # the template's time in the form
    assert state.sheet_sections[2]["titles"]["en"] == "History of Uzbekistan"
    assert state.sheet_sections[0]["notes"]["en"] == "1–10 · 1.1 points each"
    assert state.sheet_sections[3]["notes"]["ru"] == "31–60 · 3,1 балла за задание"


def test_new_exam_custom_layout_built_in_the_table(admin):
    state = _builder(admin)
    run(NewExamState.choose_template, state, "custom")
    run(NewExamState.set_field, state, 0, "count", "3")
    run(NewExamState.set_field, state, 0, "options", "5")
    run(NewExamState.set_field, state, 0, "points", "2,5")  # a decimal comma is read
    run(NewExamState.set_field, state, 0, "title_ru", "Алгебра")
    run(NewExamState.add_section, state)
    run(NewExamState.set_field, state, 1, "kind", "free")
    run(NewExamState.set_field, state, 1, "parts", "-")  # the select's "no parts"
    run(NewExamState.set_field, state, 1, "count", "2")
    run(NewExamState.set_field, state, 1, "points", "0.75")
    run(NewExamState.move_section, state, 1, -1)  # the free section first
    assert state.problems == [] and state.item_total == 5 and state.points_total == "9"
    # The preview: the free answers 1–2, then 3–5 with five options each.
    assert [i["label"] for i in state.sheet_items] == ["1", "2", "3", "4", "5"]
    assert state.sheet_items[2]["options"] == ["A", "B", "C", "D", "E"]
    assert state.sheet_items[2]["section"] == 1

    run(NewExamState.create, state, _form())

    exam, items = _created()
    assert state.error == "" and exam.layout["template"] == "custom"
    assert [s["kind"] for s in exam.layout["sections"]] == ["free", "mcq"]
    assert exam.layout["sections"][1]["titles"]["ru"] == "Алгебра"
    assert [(i.label, i.kind, i.section, i.points) for i in items] == [
        ("1", "free", 0, 0.75),
        ("2", "free", 0, 0.75),
        ("3", "mcq", 1, 2.5),
        ("4", "mcq", 1, 2.5),
        ("5", "mcq", 1, 2.5),
    ]
    assert items[2].options == ["A", "B", "C", "D", "E"]


REFUSED_LAYOUTS = [
    ([("remove_section", 0)], "the sheet needs at least one section"),
    ([("set_field", 0, "count", "0")], "the sheet has no items"),
    ([("set_field", 0, "points", "0")], "points must be more than 0"),
    ([("set_field", 0, "points", "1.005")], "points go in steps of 0.01"),
    ([("set_field", 0, "count", "301")], "301 items: one sheet holds at most 300"),
    ([("set_field", 0, "count", "ten")], "must be a whole number"),
    ([("set_field", 0, "title_uz", " ")], "an Uzbek title (uz) is required"),
]


def test_new_exam_refuses_a_bad_layout_naming_it_and_creates_nothing(admin):
    for edits, message in REFUSED_LAYOUTS:
        state = _builder(admin)
        run(NewExamState.choose_template, state, "custom")  # one section of 30 A–D items
        for name, *args in edits:
            run(getattr(NewExamState, name), state, *args)
        assert any(message in problem for problem in state.problems), message
        assert state.sheet_items == []  # no preview of a layout that cannot be used

        result = run(NewExamState.create, state, _form())

        assert message in state.error and redirect_target(result) is None
    with session_scope() as db:
        assert db.exec(select(Exam)).all() == []


def test_new_exam_refusal_in_russian_names_every_problem(admin):
    state = _builder(admin)
    run(NewExamState.set_language, state, "ru")
    run(NewExamState.set_field, state, 0, "points", "0")
    run(NewExamState.set_field, state, 1, "count", "0")
    run(NewExamState.create, state, _form())
    assert state.error.startswith("Неверная структура бланка ответов")
    assert "балл должен быть больше 0" in state.error
    assert "число заданий должно быть не меньше 1" in state.error


def test_new_exam_builder_ignores_what_the_table_cannot_send(admin):
    state = _builder(admin)
    before = [dict(row) for row in state.rows]
    for args in [
        (0, "options", "7"),  # more than six options
        (0, "options", "1"),
        (0, "kind", "essay"),
        (0, "subject", "astrology"),
        (0, "parts", "xyz"),
        (0, "key", "s9"),  # not an editable field
        (5, "count", "3"),  # no such row
        ("0", "count", "3"),
        (True, "count", "3"),
        (0, "count", 3),  # not text
    ]:
        run(NewExamState.set_field, state, *args)
    run(NewExamState.move_section, state, 0, 2)
    run(NewExamState.remove_section, state, -1)
    run(NewExamState.choose_template, state, "ielts")
    assert [dict(row) for row in state.rows] == before and state.template == "certificate_math"


def test_new_exam_json_export_then_import_and_a_bad_import_names_each_problem(admin):
    state = _builder(admin)
    run(NewExamState.choose_template, state, "dtm_block")
    run(NewExamState.export_json, state)
    exported = state.json_text
    assert '"template": "dtm_block"' in exported

    bad = {
        "version": 1,
        "sections": [
            {"key": "s1", "titles": {"uz": "Bir"}, "kind": "mcq", "count": 5,
             "options": ["A", "B", "A"], "points": 1},
            {"key": "s2", "titles": {"uz": "Ikki"}, "kind": "mcq", "count": 5, "points": 0},
        ],
    }  # fmt: skip
    run(NewExamState.set_json_text, state, json.dumps(bad))
    run(NewExamState.import_json, state)
    assert "options repeat: A, B, A" in state.json_error
    assert "Section 2 (Ikki): points must be more than 0" in state.json_error
    assert state.template == "dtm_block" and len(state.rows) == 5  # nothing changed

    run(NewExamState.choose_template, state, "custom")
    run(NewExamState.set_json_text, state, exported)
    run(NewExamState.import_json, state)
    assert state.json_error == "" and state.template == "dtm_block"
    assert state.item_total == 90 and state.points_total == "189"
    run(NewExamState.create, state, _form())
    exam, items = _created()
    assert exam.layout == DTM_BLOCK.to_json() and len(items) == 90


# --- details -------------------------------------------------------------------
def test_exam_load_shows_the_exam_in_tashkent_time(admin):
    exam_id = _draft()
    state = make_state(ExamState, path=_path(exam_id), token=admin.token)

    run(ExamState.load, state)

    exam = _exam(exam_id)
    assert state.loaded and not state.not_found
    assert state.exam_id == exam_id and state.title == "Draft" and state.phase == "draft"
    assert state.window_start_input == local_input(exam.window_start)
    assert state.items == 55 and state.missing_count == 55 and state.sessions == 0


def test_exam_page_layout_card_shows_the_sections_points_and_official_score(admin):
    with session_scope() as db:
        exam_id = make_exam(db, title="DTM", start=utcnow() + timedelta(days=2), publish=False,
                            key=False, layout=DTM_BLOCK).id  # fmt: skip
    state = make_state(ExamState, path=_path(exam_id), token=admin.token)

    run(ExamState.load, state)

    assert [row["numbers"] for row in state.layout_rows] == [
        "1–10", "11–20", "21–30", "31–60", "61–90"
    ]  # fmt: skip
    assert [row["total"]["en"] for row in state.layout_rows] == ["11", "11", "11", "93", "63"]
    assert state.layout_rows[4]["points"]["ru"] == "2,1"
    assert state.layout_rows[4]["subject"]["uz"] == "Fizika"
    assert state.layout_summary["en"] == (
        "DTM test block: 90 items, 189 points; the official score is the points."
    )


def test_a_drafts_answer_sheet_changes_on_its_page_keeping_the_keys_that_still_fit(admin):
    exam_id = _draft(key=True)  # the certificate, keyed
    state = make_state(DraftLayoutState, path=_path(exam_id), token=admin.token)
    run(DraftLayoutState.open_layout, state)
    assert state.layout_open and state.template == "certificate_math" and state.item_total == 55

    run(DraftLayoutState.set_field, state, 0, "count", "30")  # 1–30, then 31a … 40b
    result = run(DraftLayoutState.apply_layout, state)

    assert state.layout_error == "" and not state.layout_open
    # 1–30 and 36a … 40b keep their keys; 31–35 and 41a … 45b go; 31a … 35b are new.
    assert state.layout_notice == "Answer sheet changed: 40 keys kept, 0 cleared."
    assert [h.fn.__qualname__ for h in result] == ["ExamState.refresh", "KeyState.load"]
    with session_scope() as db:
        items = exam_service.get_items(db, exam_id)
        exam = db.get(Exam, exam_id)
        assert exam.layout["template"] == "custom" and exam.layout["sections"][0]["count"] == 30
    assert [i.label for i in items][28:32] == ["29", "30", "31a", "31b"]
    assert all(i.accepted_answers for i in items[:30]) and not items[30].accepted_answers
    assert [i.label for i in items if i.accepted_answers][-1] == "40b"
    assert len(_audit("exam.layout")) == 1


def test_a_published_exams_answer_sheet_cannot_be_changed(admin):
    with session_scope() as db:
        exam_id = make_exam(db, start=utcnow() + timedelta(days=2)).id
    state = make_state(DraftLayoutState, path=_path(exam_id), token=admin.token)
    run(DraftLayoutState.open_layout, state)
    assert not state.layout_open and "Only a draft's answer sheet" in state.layout_error
    state.layout_exam_id = exam_id  # a crafted apply is refused by the service too
    run(DraftLayoutState.choose_template, state, "dtm_block")
    run(DraftLayoutState.apply_layout, state)
    assert state.layout_error and state.layout_notice == ""
    with session_scope() as db:
        assert len(exam_service.get_items(db, exam_id)) == 55


@pytest.mark.parametrize("path", ["/admin/exams/999999", "/admin/exams/abc"])
def test_exam_load_of_an_unknown_exam_says_not_found(admin, path):
    state = make_state(ExamState, path=path, token=admin.token)
    run(ExamState.load, state)
    assert state.loaded and state.not_found and state.title == ""


def test_save_details_edits_and_records_what_changed(admin):
    exam_id = _draft()
    state = make_state(ExamState, path=_path(exam_id), token=admin.token)
    run(ExamState.load, state)
    form = {
        "title": "Renamed",
        "description": "",
        "window_start": state.window_start_input,
        "window_end": state.window_end_input,
        "duration_minutes": "120",
        "grading_scheme": "fixed_bands",
    }

    run(ExamState.save_details, state, form)

    assert state.error == "" and state.notice == "Saved."
    exam = _exam(exam_id)
    assert (exam.title, exam.duration_minutes, exam.grading_scheme) == (
        "Renamed",
        120,
        "fixed_bands",
    )
    (entry,) = _audit("exam.edit")
    assert entry.admin_id == admin.admin_id
    assert set(entry.details) == {"title", "duration_minutes", "grading_scheme"}


def test_save_details_after_students_started_refuses_a_new_window_but_allows_the_title(admin):
    with session_scope() as db:
        exam = make_exam(db, title="Open now")
        start_session(db, student_id=make_student(db).id, exam_id=exam.id)
        exam_id = exam.id
    before = _exam(exam_id)
    state = make_state(ExamState, path=_path(exam_id), token=admin.token)
    run(ExamState.load, state)
    form = {
        "title": "Open now",
        "description": "",
        "window_start": state.window_start_input,
        "window_end": local_input(before.window_end + timedelta(hours=1)),
        "duration_minutes": str(state.duration_minutes),
        "grading_scheme": "percentile",
    }

    run(ExamState.save_details, state, form)
    assert "window and duration are locked" in state.error
    assert _exam(exam_id).window_end == before.window_end

    # The same form with the times untouched (minutes only in the inputs) saves the title.
    run(ExamState.save_details, state, {**form, "window_end": state.window_end_input, "title": "X"})
    assert state.error == "" and _exam(exam_id).title == "X"
    assert _exam(exam_id).window_start == before.window_start


def test_publish_refuses_an_incomplete_key_then_publishes_once_it_is_complete(admin):
    exam_id = _draft()
    state = make_state(ExamState, path=_path(exam_id), token=admin.token)
    run(ExamState.load, state)

    run(ExamState.publish, state)
    assert "answer key is incomplete: 55 items have" in state.error
    assert _exam(exam_id).status == ExamStatus.DRAFT

    with session_scope() as db:
        exam_service.import_answer_key(db, exam_id, DEFAULT_KEY_TEXT)
    run(ExamState.publish, state)
    assert state.error == "" and "Published" in state.notice
    assert _exam(exam_id).status == ExamStatus.PUBLISHED and state.phase == "scheduled"
    assert _audit("exam.publish")[0].admin_id == admin.admin_id

    run(ExamState.unpublish, state)
    assert _exam(exam_id).status == ExamStatus.DRAFT and state.phase == "draft"
    assert _audit("exam.unpublish")[0].admin_id == admin.admin_id


def test_publish_refuses_a_window_overlapping_another_published_exam(admin):
    with session_scope() as db:
        make_exam(db, title="Already out", start=utcnow() + timedelta(days=2), hours=5)
    exam_id = _draft(start_in=timedelta(days=2, hours=1), key=True)
    state = make_state(ExamState, path=_path(exam_id), token=admin.token)
    run(ExamState.load, state)

    run(ExamState.publish, state)

    assert "overlaps the published exam “Already out”" in state.error
    assert _exam(exam_id).status == ExamStatus.DRAFT


def test_delete_is_refused_once_a_student_started_and_works_for_a_draft(admin):
    with session_scope() as db:
        taken = make_exam(db, title="Taken")
        start_session(db, student_id=make_student(db).id, exam_id=taken.id)
        taken_id = taken.id
    state = make_state(ExamState, path=_path(taken_id), token=admin.token)
    run(ExamState.load, state)
    run(ExamState.delete_exam, state)
    assert "cannot be deleted: 1 student session(s) exist" in state.error
    assert _exam(taken_id) is not None

    draft_id = _draft()
    state = make_state(ExamState, path=_path(draft_id), token=admin.token)
    run(ExamState.load, state)
    result = run(ExamState.delete_exam, state)
    assert redirect_target(result) == "/admin"
    assert _exam(draft_id) is None
    assert _audit("exam.delete")[0].admin_id == admin.admin_id


# --- PDF upload ----------------------------------------------------------------
def _upload(data: bytes, name: str = "paper.pdf") -> list[rx.UploadFile]:
    return [rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))]


def test_upload_pdf_stores_the_paper_under_the_upload_dir(admin):
    exam_id = _draft()
    state = make_state(ExamState, path=_path(exam_id), token=admin.token)
    run(ExamState.load, state)

    run(ExamState.upload_pdf, state, _upload(PDF))

    assert state.error == "" and "uploaded" in state.notice
    pdf_path = _exam(exam_id).pdf_path
    assert pdf_path.startswith(f"papers/exam-{exam_id}-") and pdf_path.endswith(".pdf")
    assert (Path(settings.upload_dir) / pdf_path).read_bytes() == PDF
    assert state.pdf_path == pdf_path
    assert _audit("exam.edit")[0].details == {"pdf_path": pdf_path}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (lambda: _upload(b"GIF89a not a pdf", "paper.pdf"), "is not a PDF"),
        (lambda: _upload(b""), "empty"),
        (lambda: _upload(PDF) + _upload(PDF), "Choose one PDF file"),
        (lambda: [], "Choose one PDF file"),
    ],
)
def test_upload_pdf_refuses_non_pdfs_and_changes_nothing(admin, files, message):
    exam_id = _draft()
    state = make_state(ExamState, path=_path(exam_id), token=admin.token)
    run(ExamState.load, state)

    run(ExamState.upload_pdf, state, files())

    assert message in state.error
    assert _exam(exam_id).pdf_path is None
    assert not (Path(settings.upload_dir) / "papers").exists() or not any(
        (Path(settings.upload_dir) / "papers").iterdir()
    )


def test_upload_pdf_refuses_a_file_over_the_size_limit(admin, monkeypatch):
    monkeypatch.setattr(settings, "max_pdf_bytes", 1024)
    exam_id = _draft()
    state = make_state(ExamState, path=_path(exam_id), token=admin.token)
    run(ExamState.load, state)

    run(ExamState.upload_pdf, state, _upload(PDF + b"0" * 2000))

    assert "larger than" in state.error and _exam(exam_id).pdf_path is None


# --- answer key ------------------------------------------------------------------
def _key_state(admin, exam_id: int) -> KeyState:
    state = make_state(KeyState, path=_path(exam_id), token=admin.token)
    run(KeyState.load, state)
    return state


def _keys(exam_id: int) -> dict[str, list[str]]:
    with session_scope() as db:
        return {i.label: list(i.accepted_answers) for i in exam_service.get_items(db, exam_id)}


def test_key_grid_sets_a_choice_and_several_free_answers_with_audit(admin):
    exam_id = _draft()
    state = _key_state(admin, exam_id)
    assert len(state.mcq_rows) == 35 and len(state.free_rows) == 20
    assert state.mcq_rows[0]["options"] == ["A", "B", "C", "D"]

    follow_up = run(KeyState.set_choice, state, "7", "c")
    run(KeyState.set_free, state, "36a", " 0.5 |1/2 | ")

    keys = _keys(exam_id)
    assert keys["7"] == ["C"] and keys["36a"] == ["0.5", "1/2"]
    assert state.free_rows[0]["answer"] == "0.5 | 1/2"
    assert follow_up is ExamState.refresh  # the header's key count follows
    assert {e.details["item"] for e in _audit("key.edit")} == {"7", "36a"}
    assert all(e.admin_id == admin.admin_id for e in _audit("key.edit"))


@pytest.mark.parametrize(
    ("handler", "args", "message"),
    [
        (KeyState.set_choice, ("7", "E"), "7"),
        (KeyState.set_free, ("36a", "9" * 100), "36a"),
        (KeyState.set_choice, ("99", "A"), "not on this exam's answer sheet"),
    ],
)
def test_key_grid_refusals_are_shown_and_save_nothing(admin, handler, args, message):
    exam_id = _draft()
    state = _key_state(admin, exam_id)

    run(handler, state, *args)

    assert message in state.error
    assert all(not answers for answers in _keys(exam_id).values())


def test_key_grid_clearing_a_free_answer_is_refused_and_a_blur_without_edit_saves_nothing(admin):
    exam_id = _draft()
    state = _key_state(admin, exam_id)
    run(KeyState.set_free, state, "36a", "12")
    assert len(_audit("key.edit")) == 1

    run(KeyState.set_free, state, "36a", "12 ")  # the same answers: no write
    assert len(_audit("key.edit")) == 1 and state.error == ""

    run(KeyState.set_free, state, "36a", "  ")
    assert "at least one accepted answer" in state.error
    assert _keys(exam_id)["36a"] == ["12"]


def test_key_paste_with_one_bad_line_names_it_and_saves_nothing_then_the_fix_saves(admin):
    exam_id = _draft()
    state = _key_state(admin, exam_id)
    bad = DEFAULT_KEY_TEXT.replace("37a 37", "37a ")  # line 4: no answer

    run(KeyState.import_key, state, {"key_text": bad})

    assert "Nothing was saved" in state.error
    assert [e["line"] for e in state.paste_errors] == [4]
    assert all(not answers for answers in _keys(exam_id).values())
    assert _audit("key.import") == []

    follow_up = run(KeyState.import_key, state, {"key_text": DEFAULT_KEY_TEXT})
    assert state.error == "" and state.paste_errors == []
    assert "Saved the key for 55 items" in state.notice
    assert _keys(exam_id)["1"] == ["A"]
    assert follow_up is ExamState.refresh
    assert _audit("key.import")[0].admin_id == admin.admin_id


def test_key_paste_refuses_an_empty_or_huge_paste(admin):
    exam_id = _draft()
    state = _key_state(admin, exam_id)
    run(KeyState.import_key, state, {"key_text": "   "})
    assert "Paste the answer key first" in state.error
    run(KeyState.import_key, state, {"key_text": "1 A\n" * 10_000})
    assert "longer than" in state.error
    assert all(not answers for answers in _keys(exam_id).values())


def test_split_answers_drops_blank_parts():
    assert split_answers(" 1 | | -1/2 ") == ["1", "-1/2"]


# --- tabs and list -------------------------------------------------------------
def test_opening_the_monitor_or_results_tab_loads_it(admin):
    exam_id = _draft()
    state = make_state(ExamTabsState, path=_path(exam_id), token=admin.token)
    from mockexam.admin.monitor import MonitorState
    from mockexam.admin.results import ResultsState

    assert run(ExamTabsState.open_tab, state, "monitor") is MonitorState.load
    assert run(ExamTabsState.open_tab, state, "results") is ResultsState.load
    assert run(ExamTabsState.open_tab, state, "key") is None and state.tab == "key"
    run(ExamTabsState.open_tab, state, "nonsense")
    assert state.tab == "key"


def test_exam_list_shows_phases_and_counts(admin):
    now = utcnow()
    with session_scope() as db:
        make_exam(db, title="Past", start=now - timedelta(days=9), hours=3)
        open_exam = make_exam(db, title="Open", start=now - timedelta(minutes=30))
        make_exam(db, title="Later", start=now + timedelta(days=5))
        make_exam(db, title="Draft", start=now + timedelta(days=9), publish=False, key=False)
        start_session(db, student_id=make_student(db).id, exam_id=open_exam.id)
    state = make_state(ExamsState, token=admin.token)

    run(ExamsState.load, state)

    by_title = {r["title"]: r for r in state.rows}
    assert [r["title"] for r in state.rows] == ["Draft", "Later", "Open", "Past"]
    assert by_title["Open"]["phase"] == "open" and by_title["Open"]["sessions"] == 1
    assert by_title["Past"]["phase"] == "closed"
    assert by_title["Draft"]["missing_key"] == 55 and by_title["Later"]["missing_key"] == 0
    assert (state.drafts, state.scheduled, state.open_now, state.closed) == (1, 1, 1, 1)
    assert state.total == 4
    assert by_title["Open"]["href"] == f"/admin/exams/{open_exam.id}"


def test_items_stay_untouched_by_a_key_refusal_after_release(admin):
    """A released exam's key cannot be edited: the page says to exclude the item instead."""
    with session_scope() as db:
        exam = make_exam(db, title="Old", start=utcnow() - timedelta(days=3), hours=3)
        exam.status = ExamStatus.RELEASED
        db.add(exam)
        exam_id = exam.id
    state = _key_state(admin, exam_id)
    run(KeyState.set_choice, state, "1", "D")
    assert "exclude the item and recalibrate" in state.error
    with session_scope() as db:
        item = db.exec(
            select(ExamItem).where(ExamItem.exam_id == exam_id, ExamItem.number == 1)
        ).one()
        assert item.accepted_answers == ["A"]
