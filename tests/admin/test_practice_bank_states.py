"""The practice bank page's handlers against the real database: form, list, import, topics.

Every change carries the admin's id into the audit log; every refusal of
`services.practice_bank` (a bad draft, a used question, a broken import
file, a topic with questions) reaches the page as a message and changes
nothing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import reflex as rx
from sqlmodel import func, select

from mockexam.admin.practice_bank.question_form import (
    NEW_QUESTION,
    QuestionFormState,
    draft_from_form,
)
from mockexam.admin.practice_bank.question_import import (
    EXAMPLE_CSV,
    EXAMPLE_JSON,
    QuestionImportState,
)
from mockexam.admin.practice_bank.questions import PAGE_SIZE, PracticeBankState, first_line
from mockexam.admin.practice_bank.topics import PracticeTopicsState
from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.models import AuditLog, PracticeQuestion, PracticeTopic
from mockexam.services import practice_bank as bank
from mockexam.services.practice import start_practice
from tests.admin.helpers import make_state, run
from tests.factories import make_practice_bank, make_student

PATH = "/admin/practice"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)


def _upload(data: bytes, name: str) -> list[rx.UploadFile]:
    return [rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))]


def _audit(action: str) -> list[AuditLog]:
    with session_scope() as db:
        return list(db.exec(select(AuditLog).where(AuditLog.action == action)))


def _questions() -> list[PracticeQuestion]:
    with session_scope(readonly=True) as db:
        return list(db.exec(select(PracticeQuestion).order_by(PracticeQuestion.id)))


def _topics() -> dict[str, PracticeTopic]:
    with session_scope(readonly=True) as db:
        return {t.code: t for t in db.exec(select(PracticeTopic))}


def _default_topics() -> None:
    with session_scope() as db:
        bank.ensure_default_topics(db)


def _bank(**kwargs) -> list[int]:
    with session_scope() as db:
        return make_practice_bank(db, **kwargs)


def _mcq_form(**overrides: str) -> dict[str, str]:
    form = {
        "topic": "algebra",
        "difficulty": "2",
        "text": "Solve $2x + 3 = 7$.\n\nGive $x$.",
        "option_a": "$1$",
        "option_b": "$2$",
        "option_c": "$3$",
        "option_d": "$4$",
        "option_e": "",
        "option_f": "",
        "answer": "B",
        "explanation": "$2x = 4$.",
    }
    form.update(overrides)
    return form


def _form_state(token: str) -> QuestionFormState:
    state = make_state(QuestionFormState, path=PATH, token=token)
    run(QuestionFormState.load, state)
    return state


def _bank_state(token: str) -> PracticeBankState:
    state = make_state(PracticeBankState, path=PATH, token=token)
    run(PracticeBankState.load, state)
    return state


# --- the form --------------------------------------------------------------------------
def test_create_with_a_bad_draft_shows_every_error_by_field_and_saves_nothing(admin):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)
    assert state.dialog_open and state.question_id == 0
    assert [t["code"] for t in state.topic_choices][:2] == ["algebra", "geometry"]

    form = _mcq_form(
        topic="astrology",
        difficulty="9",
        text="   ",
        answer="",
        explanation="x" * (bank.MAX_EXPLANATION_CHARS + 1),
    )
    result = run(QuestionFormState.save, state, form)

    assert result is None and state.dialog_open
    errors = state.errors
    assert "'astrology' is not a topic" in errors["topic"]
    assert "from 1 to 5" in errors["difficulty"]
    assert "missing" in errors["text"]
    assert "give the letter of the right option (A–D)" in errors["answer"]
    assert "at most 4000" in errors["explanation"]
    assert errors["kind"] == errors["image"] == errors["options"] == ""
    assert state.error.startswith("Not saved: topic:")
    for field in ("topic", "difficulty", "text", "answer", "explanation"):
        assert errors[field] in state.error

    run(QuestionFormState.save, state, _mcq_form(option_b="", option_d="$1$"))
    assert state.errors["options"] == "option B is empty"
    assert state.errors["topic"] == "" and state.error.startswith("Not saved: options:")
    assert _questions() == []
    assert _audit("practice.question.create") == []


def test_create_adds_the_question_with_the_admin_in_the_audit_log(admin):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)

    result = run(QuestionFormState.save, state, _mcq_form())

    (question,) = _questions()
    assert (question.kind, question.difficulty, question.options[1]) == ("mcq", 2, "$2$")
    assert question.accepted_answers == ["B"] and question.text.startswith("Solve")
    assert question.topic_id == _topics()["algebra"].id and question.is_active
    assert not state.dialog_open and state.error == ""
    assert PracticeBankState.refresh in result
    (entry,) = _audit("practice.question.create")
    assert entry.admin_id == admin.admin_id and entry.entity_id == question.id

    # The same question again is refused with the service's words.
    run(QuestionFormState.open_new, state)
    run(QuestionFormState.save, state, _mcq_form())
    assert f"question #{question.id} is the same question" in state.error
    assert len(_questions()) == 1


def test_free_response_question_takes_accepted_answers_separated_by_bars(admin):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)
    run(QuestionFormState.set_kind, state, "free")
    form = {"topic": "probability", "difficulty": "1", "text": "P(heads)?", "answers": "1/2 | 0.5"}

    run(QuestionFormState.save, state, form)

    (question,) = _questions()
    assert question.kind == "free" and question.accepted_answers == ["1/2", "0.5"]
    assert question.options == []


def test_edit_loads_the_question_and_saves_only_what_changed(admin):
    (question_id, *_) = _bank(per_topic=1, topics=("geometry",))
    state = _form_state(admin.token)

    run(QuestionFormState.open_edit, state, question_id)

    values = state.values
    assert state.dialog_open and state.question_id == question_id
    assert values["topic"] == "geometry" and values["kind"] == "mcq" and values["answer"] == "B"
    assert values["options"] == ["$1$", "$2$", "$3$", "$4$", "", ""]
    assert state.preview_text == values["text"]
    assert [o["letter"] for o in state.preview_options] == ["A", "B", "C", "D"]

    form = {
        "topic": "algebra",
        "difficulty": values["difficulty"],
        "text": "A new text $y$",
        **{f"option_{x}": v for x, v in zip("abcdef", values["options"], strict=True)},
        "answer": "D",
        "explanation": values["explanation"],
    }
    run(QuestionFormState.save, state, form)

    assert state.error == "" and not state.dialog_open
    (question,) = _questions()
    assert question.text == "A new text $y$" and question.accepted_answers == ["D"]
    assert question.topic_id == _topics()["algebra"].id
    (entry,) = _audit("practice.question.update")
    assert entry.admin_id == admin.admin_id
    assert entry.details["changed"] == ["topic", "text", "answer"]


def test_open_edit_of_an_unknown_question_says_so_and_stays_closed(admin):
    state = _form_state(admin.token)
    run(QuestionFormState.open_edit, state, 987654)
    assert "does not exist" in state.error and not state.dialog_open
    run(QuestionFormState.open_edit, state, True)  # a bool is not an id
    assert not state.dialog_open


def test_preview_follows_the_typed_text_options_and_explanation(admin):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)

    run(QuestionFormState.set_preview, state, "text", "Compute $\\frac{1}{2}$")
    run(QuestionFormState.set_preview, state, "option_a", "$1$")
    run(QuestionFormState.set_preview, state, "option_c", "$3$")
    run(QuestionFormState.set_preview, state, "explanation", "**Because**")
    run(QuestionFormState.set_preview, state, "_admin_id", "5")  # not a field: ignored

    assert state.preview_text == "Compute $\\frac{1}{2}$"
    assert state.preview_explanation == "**Because**"
    assert state.preview_options == [
        {"letter": "A", "text": "$1$"},
        {"letter": "B", "text": ""},
        {"letter": "C", "text": "$3$"},
    ]


def test_image_upload_is_stored_shown_saved_and_removable(admin):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)

    run(QuestionFormState.upload_image, state, _upload(b"not an image", "x.png"))
    assert "not a PNG, JPEG, GIF, WebP or SVG image" in state.image_error
    assert state.image == ""

    run(QuestionFormState.upload_image, state, _upload(PNG, "figure.png"))
    assert state.image_error == "" and state.image.endswith(".png")
    assert (Path(settings.upload_dir) / bank.PRACTICE_DIR / state.image).read_bytes() == PNG

    run(QuestionFormState.save, state, _mcq_form())
    (question,) = _questions()
    assert question.image_path == state.image

    run(QuestionFormState.open_edit, state, question.id)
    assert state.image == question.image_path
    run(QuestionFormState.remove_image, state)
    run(QuestionFormState.save, state, {**_mcq_form(), "answer": "B"})
    assert _questions()[0].image_path is None


def test_svg_with_a_script_is_refused(admin):
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    run(QuestionFormState.upload_image, state, _upload(svg, "x.svg"))
    assert "scripts or links" in state.image_error and state.image == ""
    assert not (Path(settings.upload_dir) / bank.PRACTICE_DIR).exists()


def test_draft_from_form_ignores_what_is_not_text():
    draft = draft_from_form(
        {"topic": ["algebra"], "text": 5, "answer": "B", "option_a": "1"}, kind="mcq", image=""
    )
    assert draft.topic == "" and draft.text == "" and draft.answers == ["B"]
    assert draft.options[0] == "1" and draft.image is None
    assert NEW_QUESTION["kind"] == "mcq"


# --- the list --------------------------------------------------------------------------
def test_load_shows_the_summary_topics_and_first_page(admin):
    _bank(per_topic=5)
    state = _bank_state(admin.token)

    assert state.loaded and state.total_active == state.total_questions == 30
    assert len(state.summary) == 6 and state.summary[0]["topic"] == "Algebra"
    assert state.summary[0]["cells"] == [1, 1, 1, 1, 1] and state.summary[0]["total"] == 5
    assert state.level_totals == [6, 6, 6, 6, 6]
    assert state.topics[0]["code"] == "algebra"
    assert state.topics[0]["first"] and state.topics[-1]["last"]
    assert len(state.rows) == PAGE_SIZE and state.total == 30
    assert state.rows[0]["question_id"] > state.rows[-1]["question_id"]  # newest first


def test_filters_and_paging_return_the_right_rows(admin):
    ids = _bank(per_topic=5)
    state = _bank_state(admin.token)

    run(PracticeBankState.page, state, 1)
    assert state.offset == PAGE_SIZE and len(state.rows) == 5
    assert {r["question_id"] for r in state.rows} == set(ids[:5])
    run(PracticeBankState.page, state, 1)  # past the end: stays
    assert state.offset == PAGE_SIZE
    run(PracticeBankState.page, state, -1)
    assert state.offset == 0

    geometry = next(t for t in state.topics if t["code"] == "geometry")["topic_id"]
    run(PracticeBankState.set_filter, state, "topic", str(geometry))
    assert state.total == 5 and {r["topic"] for r in state.rows} == {"Geometry"}
    run(PracticeBankState.set_filter, state, "level", "3")
    assert state.total == 1 and state.rows[0]["level"] == 3
    run(PracticeBankState.set_filter, state, "topic", "all")
    assert state.total == 6
    run(PracticeBankState.set_filter, state, "kind", "free")
    assert state.total == 0  # level 3 is the third question of a topic: multiple choice
    run(PracticeBankState.set_filter, state, "kind", "mcq")
    assert state.total == 6 and {r["kind"] for r in state.rows} == {"mcq"}

    run(PracticeBankState.set_filter, state, "level", "7")  # not a choice: ignored
    run(PracticeBankState.set_filter, state, "offset", "0")
    assert state.level_filter == "3"

    run(PracticeBankState.clear_filters, state)
    run(PracticeBankState.find, state, {"search": f"#{ids[7]}"})
    assert [r["question_id"] for r in state.rows] == [ids[7]]
    run(PracticeBankState.find, state, {"search": "calculus question"})
    assert state.total == 5 and all("calculus" in r["first_line"] for r in state.rows)


def test_deactivate_hides_from_active_counts_and_filters(admin):
    ids = _bank(per_topic=1)
    state = _bank_state(admin.token)

    run(PracticeBankState.set_active, state, ids[0], False)

    assert state.error == "" and "inactive" in state.notice
    assert state.total_active == 5 and state.total_questions == 6
    assert not next(r for r in state.rows if r["question_id"] == ids[0])["active"]
    run(PracticeBankState.set_filter, state, "status", "inactive")
    assert [r["question_id"] for r in state.rows] == [ids[0]]
    assert _audit("practice.question.deactivate")[0].admin_id == admin.admin_id

    run(PracticeBankState.set_active, state, ids[0], True)
    assert state.total == 0 and state.total_active == 6


def test_delete_is_refused_for_a_question_students_were_given(admin):
    ids = _bank(per_topic=1)
    with session_scope() as db:
        student_id = make_student(db).id
    start_practice(student_id=student_id, mode="light")  # one per topic: all six are used
    with session_scope() as db:
        extra = make_practice_bank(db, per_topic=1, topics=("algebra",))[0]
    state = _bank_state(admin.token)
    given = next(r for r in state.rows if r["question_id"] == ids[0])["times_given"]
    assert given == 1

    run(PracticeBankState.delete_question, state, ids[0])
    assert "was given in 1 practice session," in state.error
    assert "deactivate it instead" in state.error
    assert len(_questions()) == 7

    run(PracticeBankState.delete_question, state, extra)
    assert state.error == "" and f"#{extra} deleted" in state.notice
    assert extra not in {q.id for q in _questions()}
    assert _audit("practice.question.delete")[0].admin_id == admin.admin_id

    run(PracticeBankState.delete_question, state, extra)
    assert "does not exist" in state.error


def test_first_line_keeps_formulas_whole():
    assert first_line("\n  Solve $x$.\nSecond line") == "Solve $x$."
    long = "word " * 20 + "$\\frac{a}{b} + \\sqrt{c}$ and more " * 5
    cut = first_line(long, limit=110)
    assert cut.endswith(" …") and cut.count("$") % 2 == 0 and len(cut) <= 112


# --- the import ------------------------------------------------------------------------
def _import_state(token: str) -> QuestionImportState:
    state = make_state(QuestionImportState, path=PATH, token=token)
    run(QuestionImportState.load, state)
    return state


BAD_CSV = (
    b"topic,difficulty,kind,text,option_a,option_b,answer\n"
    b"algebra,2,mcq,Fine $x$,1,2,A\n"
    b"astrology,2,mcq,Bad topic,1,2,A\n"
    b"algebra,8,free,Bad level and no answer,,,\n"
)


def test_import_dry_run_lists_every_problem_and_changes_nothing(admin):
    _bank(per_topic=1)
    before = len(_questions())
    state = _import_state(admin.token)

    run(QuestionImportState.check_import, state, _upload(BAD_CSV, "bad.csv"))

    assert not state.checked and state.file_name == "bad.csv"
    assert "Nothing was imported: 3 problems in bad.csv" in state.error
    assert state.problems == [
        "line 3 · topic: 'astrology' is not a topic; use one of algebra, calculus, geometry, "
        "number_theory, probability, trigonometry",
        "line 4 · difficulty: must be a whole number from 1 to 5, not '8'",
        "line 4 · answer: missing: give at least one accepted answer",
    ]
    assert state.problem_total == 3
    assert len(_questions()) == before and _audit("practice.question.import") == []

    # The import button is not offered, and forcing it does nothing.
    run(QuestionImportState.run_import, state, _upload(BAD_CSV, "bad.csv"))
    assert "press Check first" in state.error and len(_questions()) == before


def test_import_of_a_malformed_file_names_the_problem(admin):
    state = _import_state(admin.token)
    run(QuestionImportState.check_import, state, _upload(b"{not json", "q.json"))
    assert state.problems and state.problems[0].startswith("q.json: not valid JSON")
    run(QuestionImportState.check_import, state, _upload(b"x", "q.pdf"))
    assert "choose a .json or .csv file" in state.problems[0]
    run(QuestionImportState.check_import, state, [])
    assert "Choose one" in state.error


def test_good_import_checks_then_adds_the_rows(admin):
    _default_topics()
    state = _import_state(admin.token)
    data = EXAMPLE_CSV.encode()

    run(QuestionImportState.check_import, state, _upload(data, "example.csv"))
    assert state.error == "" and state.checked
    assert (state.would_add, state.duplicates) == (3, 0)
    assert _questions() == []

    result = run(QuestionImportState.run_import, state, _upload(data, "example.csv"))
    assert state.error == "" and "Imported 3 questions from example.csv" in state.notice
    assert PracticeBankState.refresh in result
    questions = _questions()
    assert len(questions) == 3
    assert questions[2].accepted_answers == ["1/2", "0.5"]
    (entry,) = _audit("practice.question.import")
    assert entry.admin_id == admin.admin_id and entry.details["added"] == 3

    # The JSON example overlaps: one new, one in the bank already.
    run(QuestionImportState.check_import, state, _upload(EXAMPLE_JSON.encode(), "ex.json"))
    assert (state.would_add, state.duplicates) == (0, 2) and not state.checked


def test_import_refuses_a_file_other_than_the_checked_one(admin):
    _default_topics()
    state = _import_state(admin.token)
    run(QuestionImportState.check_import, state, _upload(EXAMPLE_CSV.encode(), "a.csv"))
    assert state.checked

    other = json.dumps(json.loads(EXAMPLE_JSON)["questions"][:1]).encode()
    run(QuestionImportState.run_import, state, _upload(other, "a.json"))

    assert "not the file that was checked" in state.error and not state.checked
    assert _questions() == []


def test_zip_import_with_an_image(admin):
    import zipfile

    _default_topics()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "bank/questions.csv",
            "topic,difficulty,kind,text,answer,image\n"
            "geometry,2,free,Area of the figure?,12,images/fig.png\n",
        )
        archive.writestr("bank/images/fig.png", PNG)
    data = buffer.getvalue()
    state = _import_state(admin.token)

    run(QuestionImportState.check_import, state, _upload(data, "bank.zip"))
    assert state.checked and state.would_add == 1
    run(QuestionImportState.run_import, state, _upload(data, "bank.zip"))

    (question,) = _questions()
    assert question.image_path and question.image_path.endswith(".png")
    assert bank.image_file(question.image_path).read_bytes() == PNG


# --- topics ----------------------------------------------------------------------------
def _topics_state(token: str) -> PracticeTopicsState:
    state = make_state(PracticeTopicsState, path=PATH, token=token)
    run(PracticeTopicsState.load, state)
    return state


def test_topics_add_rename_move_and_delete(admin):
    _default_topics()
    state = _topics_state(admin.token)

    run(
        PracticeTopicsState.add_topic,
        state,
        {"code": "Bad Code", "name": "X", "name_uz": "", "name_ru": "", "name_en": ""},
    )
    assert "lower-case letters" in state.error and "bad code" not in _topics()

    form = {"code": "combinatorics", "name": "Combinatorics", "name_uz": "Kombinatorika"}
    result = run(PracticeTopicsState.add_topic, state, form)
    assert state.error == "" and "'combinatorics' added" in state.notice
    assert result == PracticeBankState.refresh
    topic = _topics()["combinatorics"]
    assert topic.names == {"uz": "Kombinatorika"} and topic.sort_order == 7
    run(PracticeTopicsState.add_topic, state, form)
    assert "exists already" in state.error

    run(PracticeTopicsState.start_rename, state, topic.id)
    assert state.rename_id == topic.id and state.rename_name == "Combinatorics"
    assert state.rename_names == {"uz": "Kombinatorika", "ru": "", "en": ""}
    names = {"name": "Counting", "name_uz": "Sanash", "name_ru": "Комбинаторика", "name_en": ""}
    run(PracticeTopicsState.rename_topic, state, topic.id, names)
    assert state.error == "" and state.rename_id == 0
    renamed = _topics()["combinatorics"]
    assert renamed.name == "Counting"
    assert renamed.names == {"uz": "Sanash", "ru": "Комбинаторика"}
    run(PracticeTopicsState.rename_topic, state, topic.id, {**names, "name": " "})
    assert "needs a name" in state.error and _topics()["combinatorics"].name == "Counting"

    run(PracticeTopicsState.move_topic, state, topic.id, -1)
    topics = _topics()
    assert topics["combinatorics"].sort_order == 6 and topics["number_theory"].sort_order == 7
    run(PracticeTopicsState.move_topic, state, topic.id, 5)  # not a step: ignored
    assert _topics()["combinatorics"].sort_order == 6

    run(PracticeTopicsState.delete_topic, state, topic.id)
    assert state.error == "" and "combinatorics" not in _topics()
    run(PracticeTopicsState.delete_topic, state, topic.id)
    assert "does not exist" in state.error
    actions = {"practice.topic.create", "practice.topic.update", "practice.topic.move"}
    for action in (*actions, "practice.topic.delete"):
        assert {e.admin_id for e in _audit(action)} == {admin.admin_id}


def test_delete_of_a_topic_with_questions_is_refused(admin):
    _bank(per_topic=2, topics=("algebra",))
    state = _topics_state(admin.token)
    algebra = _topics()["algebra"]

    run(PracticeTopicsState.delete_topic, state, algebra.id)

    assert "The topic 'Algebra' has 2 questions: move or delete them first." in state.error
    assert "algebra" in _topics()
    bank_state = _bank_state(admin.token)
    row = next(t for t in bank_state.topics if t["code"] == "algebra")
    assert (row["questions"], row["active_questions"]) == (2, 2)


@pytest.mark.parametrize("handler", ["set_active", "delete_question"])
def test_list_actions_ignore_ids_that_are_not_ids(admin, handler):
    _bank(per_topic=1, topics=("algebra",))
    state = _bank_state(admin.token)
    args = ("1", False) if handler == "set_active" else ("1",)
    run(getattr(PracticeBankState, handler), state, *args)
    assert state.error == "" and state.notice == ""
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(PracticeQuestion)).one() == 1


# --- bad input at the page (issue 20, items 8-10) ----------------------------------------


def _zip_of(*files: tuple[str, bytes], method: int = 8) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


SMALL_HEADER = b"topic,difficulty,kind,text,answer\n"


def test_the_upload_handler_names_a_million_row_zip_after_its_first_rows(admin):
    _default_topics()
    data = _zip_of(("bank.csv", SMALL_HEADER + b"x,1,m,t,A\n" * 1_000_000))
    state = _import_state(admin.token)
    run(QuestionImportState.check_import, state, _upload(data, "bank.zip"))
    assert "Nothing was imported: 1 problem in bank.zip" in state.error
    assert state.problems == ["bank.csv: more than 5000 questions; at most 5000 a file: split it"]
    assert not state.checked and _questions() == []


def test_the_upload_handler_names_damaged_and_bomb_archives(admin):
    _default_topics()
    stored = bytearray(_zip_of(("bank.csv", SMALL_HEADER + b"algebra,1,free,Fine?,2\n"), method=0))
    at = stored.index(b"Fine?")
    stored[at : at + 5] = b"Fune?"  # the CRC-32 no longer matches
    state = _import_state(admin.token)
    run(QuestionImportState.check_import, state, _upload(bytes(stored), "bank.zip"))
    assert state.problems == [
        "bank.csv: damaged: its checksum (CRC-32) does not match; make the archive again"
    ]

    sheet = b"topic,difficulty,kind,text,answer,image\nalgebra,1,free,Area?,2,fig.png\n"
    bomb = PNG + b"\x00" * (2 * 1024 * 1024 - len(PNG) - 1)
    run(
        QuestionImportState.check_import,
        state,
        _upload(_zip_of(("bank.csv", sheet), ("fig.png", bomb)), "bank.zip"),
    )
    assert state.problems == ["fig.png: compressed more than 100:1 (a ZIP bomb?); not accepted"]
    assert _questions() == [] and not state.checked


def test_the_upload_handler_names_rows_with_numbers_that_are_not_ascii(admin):
    _default_topics()
    data = (
        SMALL_HEADER + "algebra,²,free,One?,1\nalgebra,{},free,Two?,2\n".format("9" * 5000).encode()
    )
    state = _import_state(admin.token)
    run(QuestionImportState.check_import, state, _upload(data, "bad.csv"))
    assert state.problems == [
        "line 2 · difficulty: must be a whole number from 1 to 5, not '²'",
        "line 3 · difficulty: must be a whole number from 1 to 5, not '9999999999999999999999…",
    ]
    as_json = b'[{"topic": "algebra", "difficulty": ' + b"9" * 5000 + b', "kind": "free", '
    as_json += b'"text": "Big?", "answer": "1"}]'
    run(QuestionImportState.check_import, state, _upload(as_json, "bad.json"))
    assert state.problems == [
        "question 1 · difficulty: must be a whole number from 1 to 5, not a 5000-digit number"
    ]


def test_the_upload_handler_keeps_bidi_controls_out_of_the_file_name(admin):
    _default_topics()
    state = _import_state(admin.token)
    run(QuestionImportState.check_import, state, _upload(b"x", "\u202egpj.csv"))
    assert state.file_name == "gpj.csv"


@pytest.mark.parametrize(
    ("name", "value"),
    [("topic", "²"), ("topic", "99999999999999999999"), ("topic", "0"), ("topic", "-1")],
)
def test_filters_refuse_ids_that_are_not_ascii_ids(admin, name, value):
    _bank(per_topic=1)
    state = _bank_state(admin.token)
    run(PracticeBankState.set_filter, state, name, value)
    assert state.topic_filter == "all" and state.total == 6 and state.error == ""


@pytest.mark.parametrize("search", ["#99999999999999999999", "#²", "²", "#" + "9" * 90])
def test_the_search_takes_ascii_ids_only(admin, search):
    _bank(per_topic=1)
    state = _bank_state(admin.token)
    run(PracticeBankState.find, state, {"search": search})
    assert state.rows == [] and state.total == 0 and state.error == ""


def test_a_filter_value_set_behind_the_handlers_back_reads_as_all(admin):
    # Whatever ends up in the var (an older state, a generated setter), the read parses it.
    _bank(per_topic=1)
    state = _bank_state(admin.token)
    state.topic_filter, state.level_filter = "²", "٣"
    run(PracticeBankState.refresh, state)
    assert state.total == 6 and state.error == ""


def test_the_form_stores_texts_without_bidi_controls_and_refuses_a_superscript_level(admin):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)
    rlo = "\u202e"
    run(QuestionFormState.save, state, _mcq_form(difficulty="²"))
    assert state.errors.get("difficulty") and _questions() == []

    run(
        QuestionFormState.save,
        state,
        _mcq_form(text=f"{rlo}Solve $x$.", option_a=f"$1${rlo}", explanation=f"\u2066Why{rlo}"),
    )
    (question,) = _questions()
    assert (question.text, question.options[0], question.explanation) == (
        "Solve $x$.",
        "$1$",
        "Why",
    )


def test_the_image_upload_name_is_cleaned_for_its_messages(admin):
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)
    run(QuestionFormState.upload_image, state, _upload(b"not an image", "\u202egnp.exe\x07"))
    assert state.image_error == "gnp.exe: not a PNG, JPEG, GIF, WebP or SVG image."


@pytest.mark.parametrize("value", [2**70, None, [], {"a": 1}, True, 1.5])
def test_topic_forms_refuse_fields_that_are_not_text_and_change_nothing(admin, value):
    _default_topics()
    algebra = _topics()["algebra"]
    names_before = dict(algebra.names)
    state = _topics_state(admin.token)
    form = {"name": "Algebra", "name_uz": "Algebra", "name_ru": "Алгебра", "name_en": value}
    run(PracticeTopicsState.rename_topic, state, algebra.id, form)
    assert state.error == "Not renamed: the field name_en is not text."
    run(PracticeTopicsState.add_topic, state, {**form, "code": "logic"})
    assert state.error == "Not added: the field name_en is not text."
    assert _topics()["algebra"].names == names_before and "logic" not in _topics()
    assert _audit("practice.topic.update") == [] and _audit("practice.topic.create") == []


def test_a_rename_that_changes_nothing_writes_no_audit_entry(admin):
    _default_topics()
    algebra = _topics()["algebra"]
    state = _topics_state(admin.token)
    form = {"name": algebra.name, **{f"name_{k}": v for k, v in algebra.names.items()}}
    run(PracticeTopicsState.rename_topic, state, algebra.id, form)
    assert state.error == "" and _audit("practice.topic.update") == []


@pytest.mark.parametrize("value", [2**70, None, ["x"], 1.5])
def test_the_question_form_refuses_fields_that_are_not_text(admin, value):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)
    run(QuestionFormState.save, state, _mcq_form(option_d=value))
    assert state.error == "Not saved: the field option_d is not text."
    assert _questions() == [] and state.dialog_open


def test_upload_handlers_refuse_what_is_not_an_uploaded_file(admin):
    state = _import_state(admin.token)
    for files in ([[[]]], [None], ["bank.csv"], [{"name": "bank.csv"}]):
        run(QuestionImportState.check_import, state, files)
        assert state.error == "Choose one .json, .csv or .zip file."
        run(QuestionImportState.run_import, state, files)
        assert state.error == "Choose one .json, .csv or .zip file."


@pytest.mark.parametrize("step", [1.0, True, -1.0, 2])
def test_steps_that_are_not_the_ints_plus_or_minus_one_are_ignored(admin, step):
    _bank(per_topic=9)
    state = _bank_state(admin.token)
    run(PracticeBankState.page, state, step)
    assert state.offset == 0 and type(state.offset) is int
    topics = _topics_state(admin.token)
    order = {code: t.sort_order for code, t in _topics().items()}
    run(PracticeTopicsState.move_topic, topics, _topics()["algebra"].id, step)
    assert {code: t.sort_order for code, t in _topics().items()} == order
    assert topics.error == ""


def test_a_topic_has_a_subject_and_the_messages_follow_the_admins_language(admin):
    _bank(per_topic=1, topics=("algebra",))
    state = _topics_state(admin.token)
    form = {"code": "mechanics", "name": "Mechanics", "subject": "physics"}
    run(PracticeTopicsState.add_topic, state, form)
    assert state.error == "" and _topics()["mechanics"].subject == "physics"
    topic = _topics()["mechanics"]
    run(PracticeTopicsState.start_rename, state, topic.id)
    assert state.rename_subject == "physics"
    run(PracticeTopicsState.rename_topic, state, topic.id, {"name": "Motion", "subject": "math"})
    assert (_topics()["mechanics"].name, _topics()["mechanics"].subject) == ("Motion", "math")
    bank_state = _bank_state(admin.token)
    assert {t["code"]: t["subject"] for t in bank_state.topics}["mechanics"] == "math"
    assert [(r["topic"], r["subject"]) for r in bank_state.rows] == [("Algebra", "math")]

    run(PracticeTopicsState.set_language, state, "ru")
    run(PracticeTopicsState.add_topic, state, {**form, "code": "optics", "subject": "alchemy"})
    assert state.error.startswith("'alchemy' — не предмет; выберите один из: math, ")
    run(PracticeTopicsState.delete_topic, state, _topics()["algebra"].id)
    assert state.error == "В теме 'Algebra' вопросов: 1. Сначала перенесите или удалите их."
    run(PracticeTopicsState.delete_topic, state, topic.id)
    assert state.notice == "Тема удалена." and "mechanics" not in _topics()

    importer = make_state(QuestionImportState, path=PATH, token=admin.token)
    run(QuestionImportState.load, importer)
    bad = b"topic,difficulty,kind,text,answer\nalgebra,9,free,x,1\n"
    run(QuestionImportState.check_import, importer, _upload(bad, "bad.csv"))
    assert importer.error == "Ничего не импортировано: в bad.csv 1 ошибка (см. ниже)."
    assert importer.problems == [
        "строка 2 · difficulty: должна быть целым числом от 1 до 5, а не '9'"
    ]


# --- languages and bank codes (issues 24 and 23) --------------------------------------------
def test_the_form_sets_a_questions_language_and_bank_code(admin):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)
    assert state.values["language"] == "uz" and state.values["bank_code"] == ""
    run(QuestionFormState.save, state, _mcq_form(language="ru", bank_code=" geo-004 "))
    assert state.error == "" and not state.dialog_open
    (question,) = _questions()
    assert (question.language, question.bank_code) == ("ru", "GEO-004")
    (entry,) = _audit("practice.question.create")
    assert entry.details["language"] == "ru" and entry.details["bank_code"] == "GEO-004"

    run(QuestionFormState.open_edit, state, question.id)
    assert state.values["language"] == "ru" and state.values["bank_code"] == "GEO-004"
    run(QuestionFormState.save, state, _mcq_form(language="en", bank_code=""))
    (question,) = _questions()
    assert (question.language, question.bank_code) == ("en", None)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"language": "fr"}, "language", "'fr' is not a language; use one of uz, ru, en"),
        ({"language": "ru²"}, "language", "is not a language"),
        ({"bank_code": "ALG 017"}, "bank_code", "'ALG 017' is not a bank code"),
        ({"bank_code": "A" * 40}, "bank_code", "is not a bank code: up to 32 letters"),
        ({"bank_code": "-X1"}, "bank_code", "starting with a letter or digit"),
    ],
)
def test_a_bad_language_or_code_is_named_under_its_field_and_saves_nothing(
    admin, fields, field, message
):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)
    run(QuestionFormState.save, state, _mcq_form(**fields))
    assert message in state.errors[field] and state.error.startswith(f"Not saved: {field}:")
    assert state.dialog_open and _questions() == []


@pytest.mark.parametrize("field", ["language", "bank_code"])
def test_a_language_or_code_that_is_not_text_is_refused(admin, field):
    _default_topics()
    state = _form_state(admin.token)
    run(QuestionFormState.open_new, state)
    run(QuestionFormState.save, state, _mcq_form(**{field: 2**70}))
    assert state.error == f"Not saved: the field {field} is not text."
    assert _questions() == []


def test_the_page_shows_coverage_per_language_and_filters_by_language(admin):
    _bank(per_topic=2)
    with session_scope() as db:
        for text, language, code in (
            ("Какое число простое?", "ru", "ALG-017"),
            ("Which is prime?", "en", "ALG-017"),
        ):
            bank.create_question(
                db,
                bank.QuestionDraft(
                    topic="algebra",
                    difficulty=2,
                    kind="free",
                    text=text,
                    answers=("7",),
                    language=language,
                    bank_code=code,
                ),
            )
    state = _bank_state(admin.token)
    algebra, geometry = state.summary[0], state.summary[1]
    assert algebra["languages"] == [2, 1, 1] and geometry["languages"] == [2, 0, 0]
    assert state.language_totals == [12, 1, 1]
    newest = state.rows[0]
    assert (newest["language"], newest["bank_code"]) == ("en", "ALG-017")
    assert state.rows[-1]["bank_code"] == ""

    run(PracticeBankState.set_filter, state, "language", "ru")
    assert state.total == 1 and state.rows[0]["language"] == "ru"
    run(PracticeBankState.set_filter, state, "language", "fr")  # not a choice: ignored
    assert state.language_filter == "ru"
    run(PracticeBankState.clear_filters, state)
    assert state.language_filter == "all" and state.total == 14
    run(PracticeBankState.find, state, {"search": "alg-017"})
    assert state.total == 2 and {r["language"] for r in state.rows} == {"ru", "en"}


def test_the_example_files_carry_a_language_and_codes_and_import(admin):
    _default_topics()
    state = _import_state(admin.token)
    data = EXAMPLE_CSV.encode()
    run(QuestionImportState.check_import, state, _upload(data, "example.csv"))
    run(QuestionImportState.run_import, state, _upload(data, "example.csv"))
    assert state.error == ""
    assert [(q.language, q.bank_code) for q in _questions()] == [
        ("en", "ALG-001"),
        ("en", "GEO-001"),
        ("en", None),
    ]


def test_an_import_with_an_unknown_language_names_the_line_and_adds_nothing(admin):
    _default_topics()
    state = _import_state(admin.token)
    data = (
        b"topic,difficulty,kind,text,answer,language,bank_code\n"
        b"algebra,1,free,Fine?,2,ru,ALG-1\n"
        b"algebra,1,free,French?,2,fr,\n"
        b"algebra,1,free,Bad code?,2,uz,A B\n"
    )
    run(QuestionImportState.check_import, state, _upload(data, "bank.csv"))
    assert not state.checked and state.problem_total == 2
    assert state.problems[0].startswith("line 3 · language: 'fr' is not a language")
    assert state.problems[1].startswith("line 4 · bank_code: 'A B' is not a bank code")
    assert _questions() == []
