"""Exam lifecycle rules (spec §3), each refusal with its message, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from mockexam.db import utcnow
from mockexam.errors import (
    AnswerKeyError,
    ExamLockedError,
    NotFoundError,
    ScheduleConflictError,
    ValidationError,
)
from mockexam.models import AuditLog, Exam, ExamItem, ExamPhase, ExamStatus
from mockexam.services import exams
from mockexam.services.sessions import start_session
from tests.factories import make_exam, make_student


def test_create_exam_builds_default_layout(db):
    now = utcnow()
    exam = exams.create_exam(
        db,
        title=" Week 1 ",
        window_start=now + timedelta(days=1),
        window_end=now + timedelta(days=1, hours=3),
    )
    items = exams.get_items(db, exam.id)
    assert exam.title == "Week 1"
    assert exam.duration_minutes == 150
    assert len(items) == 55
    assert [i.label for i in items[:2]] == ["1", "2"]
    assert [i.label for i in items[35:37]] == ["36a", "36b"]
    assert items[0].options == ["A", "B", "C", "D"]
    assert sum(i.points for i in items) == 55
    assert exams.exam_phase(exam) == ExamPhase.DRAFT
    assert db.exec(select(AuditLog).where(AuditLog.action == "exam.create")).one()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "  "}, "needs a title"),
        ({"window_end_offset": -1}, "must end after it starts"),
        ({"duration_minutes": 0}, "Duration must be between"),
        ({"grading_scheme": "curve"}, "Unknown grading scheme"),
    ],
)
def test_create_exam_refuses_bad_fields(db, kwargs, message):
    now = utcnow()
    kwargs = dict(kwargs)
    end_offset = kwargs.pop("window_end_offset", 3)
    args = {"title": "Exam", "window_start": now, "window_end": now + timedelta(hours=end_offset)}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        exams.create_exam(db, **args)
    assert db.exec(select(Exam)).all() == []


def test_publish_refuses_overlapping_windows(db):
    start = utcnow() + timedelta(days=2)
    make_exam(db, title="First", start=start, hours=4)
    second = make_exam(db, title="Second", start=start + timedelta(hours=3), publish=False)
    with pytest.raises(ScheduleConflictError, match="overlaps the published exam “First”"):
        exams.publish_exam(db, second.id)
    assert db.get(Exam, second.id).status == ExamStatus.DRAFT
    # Back-to-back windows are fine.
    exams.update_exam(
        db,
        second.id,
        window_start=start + timedelta(hours=4),
        window_end=start + timedelta(hours=7),
    )
    assert exams.publish_exam(db, second.id).status == ExamStatus.PUBLISHED


def test_publish_refuses_incomplete_key(db):
    exam = make_exam(db, start=utcnow() + timedelta(days=1), publish=False, key=False)
    exams.import_answer_key(db, exam.id, "A" * 35)
    with pytest.raises(ValidationError, match=r"incomplete: 20 items have no answer \(36a"):
        exams.publish_exam(db, exam.id)


def test_publish_refuses_window_in_the_past(db):
    past = utcnow() - timedelta(days=3)
    exam = make_exam(db, start=past, publish=False)
    with pytest.raises(ValidationError, match="already ended"):
        exams.publish_exam(db, exam.id)


def test_edit_of_published_window_refuses_overlap(db):
    start = utcnow() + timedelta(days=2)
    make_exam(db, title="First", start=start, hours=2)
    second = make_exam(db, title="Second", start=start + timedelta(days=1), hours=2)
    with pytest.raises(ScheduleConflictError):
        exams.update_exam(db, second.id, window_start=start + timedelta(hours=1))


def test_window_and_duration_locked_once_a_student_started(db):
    exam = make_exam(db)
    student = make_student(db)
    start_session(db, student_id=student.id, exam_id=exam.id)
    for change in (
        {"duration_minutes": 100},
        {"window_end": exam.window_end + timedelta(hours=1)},
        {"window_start": exam.window_start - timedelta(hours=1)},
    ):
        with pytest.raises(ExamLockedError, match="window and duration are locked"):
            exams.update_exam(db, exam.id, **change)
    # Other fields stay editable; the same values are not a change.
    exams.update_exam(db, exam.id, title="Renamed", duration_minutes=exam.duration_minutes)
    assert db.get(Exam, exam.id).title == "Renamed"


def test_delete_refused_with_sessions_allowed_without(db):
    exam = make_exam(db)
    start_session(db, student_id=make_student(db).id, exam_id=exam.id)
    with pytest.raises(ExamLockedError, match=r"cannot be deleted: 1 student session\(s\) exist"):
        exams.delete_exam(db, exam.id)
    other = make_exam(db, start=utcnow() + timedelta(days=5), publish=False)
    exams.delete_exam(db, other.id)
    assert db.get(Exam, other.id) is None
    assert db.exec(select(ExamItem).where(ExamItem.exam_id == other.id)).all() == []


def test_import_key_bad_paste_changes_nothing(db):
    exam = make_exam(db, start=utcnow() + timedelta(days=1), publish=False, key=False)
    exams.import_answer_key(db, exam.id, "1 B")
    with pytest.raises(AnswerKeyError) as info:
        exams.import_answer_key(db, exam.id, "1 C\n2 E\n99 A")
    message = str(info.value)
    assert "line 2" in message and "line 3" in message
    items = {i.label: i for i in exams.get_items(db, exam.id)}
    assert items["1"].accepted_answers == ["B"]
    assert items["2"].accepted_answers == []


def test_set_item_key_validates_and_audits(db):
    exam = make_exam(db, start=utcnow() + timedelta(days=1), publish=False, key=False)
    exams.set_item_key(db, exam.id, "36A", ["1/2", "0.5"])
    with pytest.raises(ValidationError, match="36b"):
        exams.set_item_key(db, exam.id, "36b", ["  "])
    with pytest.raises(ValidationError):
        exams.set_item_key(db, exam.id, "7", ["E"])
    with pytest.raises(ValidationError, match="not on this exam"):
        exams.set_item_key(db, exam.id, "46a", ["1"])
    items = {i.label: i for i in exams.get_items(db, exam.id)}
    assert items["36a"].accepted_answers == ["1/2", "0.5"]
    assert items["7"].accepted_answers == []
    assert (
        db.exec(select(AuditLog).where(AuditLog.action == "key.edit")).one().details["item"]
        == "36a"
    )


def test_unpublish_only_without_sessions(db):
    exam = make_exam(db)
    start_session(db, student_id=make_student(db).id, exam_id=exam.id)
    with pytest.raises(ExamLockedError, match="cannot be unpublished"):
        exams.unpublish_exam(db, exam.id)


def test_exam_phase_follows_the_clock(db):
    start = utcnow() + timedelta(hours=1)
    exam = make_exam(db, start=start, hours=2)
    assert exams.exam_phase(exam, start - timedelta(seconds=1)) == ExamPhase.SCHEDULED
    assert exams.exam_phase(exam, start) == ExamPhase.OPEN
    assert exams.exam_phase(exam, start + timedelta(hours=2)) == ExamPhase.CLOSED
    assert exams.upcoming_or_open_exam(db).id == exam.id


# --- The exam list -------------------------------------------------------------------
def _statements(db) -> list[str]:
    """Every query the session's engine runs from now on (a live list; BEGIN left out)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement: str, *_args) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", note)
    return seen


def _list_scenario(db) -> dict[str, int]:
    """One exam in each phase (and a half-keyed draft); sessions on the open one."""
    now = utcnow()
    ids = {
        "released": make_exam(db, title="Released", start=now - timedelta(days=14)).id,
        "closed": make_exam(db, title="Closed", start=now - timedelta(days=7)).id,
        "open": make_exam(db, title="Open", start=now - timedelta(hours=1)).id,
        "scheduled": make_exam(db, title="Scheduled", start=now + timedelta(days=7)).id,
        "draft": make_exam(
            db, title="Draft", start=now + timedelta(days=14), publish=False, key=False
        ).id,
        "half": make_exam(
            db, title="Half keyed", start=now + timedelta(days=15), publish=False, key=False
        ).id,
    }
    released = exams.get_exam(db, ids["released"])
    released.status = ExamStatus.RELEASED
    db.add(released)
    exams.import_answer_key(db, ids["half"], "A" * 35)  # the 20 free-response parts stay empty
    items = exams.get_items(db, ids["half"])
    items[40].is_excluded = True  # an excluded item needs no key
    db.add(items[40])
    for n in range(3):
        row = start_session(db, student_id=make_student(db).id, exam_id=ids["open"])
        if n < 2:
            row.submitted_at = now
            row.is_auto_submitted = n == 1
            db.add(row)
    closed = exams.get_exam(db, ids["closed"])
    start_session(db, student_id=make_student(db).id, exam_id=closed.id, now=closed.window_start)
    db.commit()
    return ids


def test_list_exams_newest_window_first_with_counts_in_one_statement(db):
    ids = _list_scenario(db)
    statements = _statements(db)

    listing = exams.list_exams(db)

    assert len(statements) == 1
    by_title = {e.title: e for e in listing.entries}
    assert [e.title for e in listing.entries] == [
        "Half keyed",
        "Draft",
        "Scheduled",
        "Open",
        "Closed",
        "Released",
    ]
    assert {e.title: e.phase for e in listing.entries} == {
        "Half keyed": ExamPhase.DRAFT,
        "Draft": ExamPhase.DRAFT,
        "Scheduled": ExamPhase.SCHEDULED,
        "Open": ExamPhase.OPEN,
        "Closed": ExamPhase.CLOSED,
        "Released": ExamPhase.RELEASED,
    }
    opened = by_title["Open"]
    assert (opened.exam_id, opened.sessions, opened.submitted, opened.auto_submitted) == (
        ids["open"],
        3,
        2,
        1,
    )
    assert (by_title["Closed"].sessions, by_title["Closed"].submitted) == (1, 0)
    assert by_title["Released"].sessions == 0
    assert by_title["Draft"].missing_key == 55
    assert by_title["Half keyed"].missing_key == 19
    assert by_title["Scheduled"].missing_key == 0
    assert not any(e.has_pdf for e in listing.entries)
    assert by_title["Open"].duration_minutes == 150
    assert listing.counts == exams.PhaseCounts(draft=2, scheduled=1, open=1, closed=1, released=1)
    assert listing.total == 6


def test_list_exams_pages_keep_the_counts_of_all_exams(db):
    _list_scenario(db)

    second = exams.list_exams(db, limit=2, offset=2)
    past_the_end = exams.list_exams(db, limit=2, offset=10)

    assert [e.title for e in second.entries] == ["Scheduled", "Open"]
    assert second.total == past_the_end.total == 6
    assert past_the_end.entries == []
    assert past_the_end.counts.draft == 2


def test_list_exams_phase_agrees_with_exam_phase_at_the_window_edges(db):
    start = utcnow() + timedelta(hours=1)
    exam = make_exam(db, start=start, hours=2)
    exam.pdf_path = "papers/1.pdf"
    db.add(exam)
    db.commit()
    for moment in (start - timedelta(microseconds=1), start, start + timedelta(hours=2)):
        (entry,) = exams.list_exams(db, now=moment).entries
        assert entry.phase == exams.exam_phase(exam, moment)
        assert entry.has_pdf


def test_list_exams_of_an_empty_database(db):
    listing = exams.list_exams(db)
    assert listing.entries == []
    assert listing.counts == exams.PhaseCounts()
    assert listing.total == 0


def test_exam_details_and_answer_sheet(db):
    exam = make_exam(db, publish=False, key=False)
    exams.import_answer_key(db, exam.id, "A" * 35)
    details = exams.exam_details(db, exam.id)
    assert (details.title, details.phase, details.items, details.sessions) == (
        "Mock exam",
        ExamPhase.DRAFT,
        55,
        0,
    )
    assert details.missing[:2] == ("36a", "36b") and len(details.missing) == 20
    assert [i.label for i in exams.answer_sheet(db, exam.id)][:2] == ["1", "2"]
    with pytest.raises(NotFoundError):
        exams.answer_sheet(db, 999_999)
    with pytest.raises(NotFoundError):
        exams.exam_details(db, 999_999)


# --- layouts (issue 21) -------------------------------------------------------------------


def _draft(db, layout=None, title="Layout"):
    now = utcnow()
    return exams.create_exam(
        db,
        title=title,
        window_start=now + timedelta(days=1),
        window_end=now + timedelta(days=1, hours=3),
        layout=layout,
    )


@pytest.mark.parametrize("name", ["certificate_math", "dtm_block", "custom"])
def test_create_exam_on_each_template(db, name):
    from mockexam.scoring.layout_templates import TEMPLATES

    layout = TEMPLATES[name].layout
    exam = _draft(db, layout)
    db.commit()
    db.refresh(exam)
    items = exams.get_items(db, exam.id)
    assert exam.layout == layout.to_json()
    assert exams.exam_layout(exam) == layout
    assert [(i.label, i.section, i.points, tuple(i.options)) for i in items] == [
        (s.label, s.section, s.points, s.options) for s in layout.items()
    ]
    assert [i.position for i in items] == list(range(len(items)))
    details = exams.exam_details(db, exam.id)
    assert details.layout == layout and details.items == layout.item_count()
    entry = db.exec(select(AuditLog).where(AuditLog.action == "exam.create")).one()
    assert entry.details["template"] == name


def test_create_exam_on_the_dtm_block_sums_to_189(db):
    from mockexam.scoring.layout_templates import DTM_BLOCK

    items = exams.get_items(db, _draft(db, DTM_BLOCK).id)
    assert len(items) == 90
    assert [sum(1 for i in items if i.section == k) for k in range(5)] == [10, 10, 10, 30, 30]
    assert round(sum(i.points for i in items) * 100) == 18900
    assert {i.points for i in items if i.section == 3} == {3.1}


def test_create_exam_refuses_a_bad_layout_and_writes_nothing(db):
    from mockexam.scoring.layout import Layout, LayoutError, Section

    bad = Layout(
        template="custom",
        sections=(
            Section("s1", {"uz": "A"}, "math", "mcq", 3, ("A", "A"), points=0.0, first=1),
            Section("s2", {"uz": "B"}, "math", "free", 400, (), ("a",), points=1.0, first=2),
        ),
    )
    with pytest.raises(LayoutError) as caught:
        _draft(db, bad)
    assert {"duplicate_option", "points_not_positive", "duplicate_labels"} <= set(
        caught.value.codes
    )
    assert db.exec(select(Exam)).all() == []


def test_exam_layout_of_an_old_exam_is_the_certificate(db):
    from mockexam.scoring.layout_templates import CERTIFICATE_MATH

    exam = _draft(db)
    exam.layout = {}
    assert exams.exam_layout(exam) == CERTIFICATE_MATH


def test_create_exam_groups_item_specs_into_a_custom_layout(db):
    from mockexam.scoring.grading import ItemSpec

    specs = [
        ItemSpec(1, "", "mcq", ("A", "B", "C")),
        ItemSpec(2, "", "mcq", ("A", "B", "C")),
        ItemSpec(3, "", "mcq", ("A", "B", "C", "D", "E"), points=2.5),
        ItemSpec(4, "a", "free", ()),
        ItemSpec(4, "b", "free", ()),
    ]
    exam = _draft(db, specs)
    layout = exams.exam_layout(exam)
    assert [(s.kind, s.count, s.options, s.parts, s.points, s.first) for s in layout.sections] == [
        ("mcq", 2, ("A", "B", "C"), (), 1.0, 1),
        ("mcq", 1, ("A", "B", "C", "D", "E"), (), 2.5, 3),
        ("free", 1, (), ("a", "b"), 1.0, 4),
    ]
    items = exams.get_items(db, exam.id)
    assert [(i.label, i.section) for i in items] == [
        ("1", 0), ("2", 0), ("3", 1), ("4a", 2), ("4b", 2)
    ]  # fmt: skip


def test_set_layout_keeps_keys_of_unchanged_items(db):
    from mockexam.scoring.layout import Layout, Section

    def layout(options_of_2: tuple[str, ...], points: float) -> Layout:
        return Layout(
            template="custom",
            sections=(
                Section("s1", {"uz": "A"}, "math", "mcq", 1, ("A", "B", "C", "D"), points=points,
                        first=1),
                Section("s2", {"uz": "B"}, "math", "mcq", 2, options_of_2, points=1.0, first=2),
                Section("s3", {"uz": "C"}, "math", "free", 1, (), ("a", "b"), points=0.5,
                        first=4),
            ),
        )  # fmt: skip

    exam = _draft(db, layout(("A", "B", "C", "D"), 1.0))
    exams.import_answer_key(db, exam.id, "1 B\n2 C\n3 D\n4a 7\n4b 8")
    # 1: points change only → key kept; 2, 3: options change → key wiped; 4b gone, 5 new.
    new = Layout(
        template="custom",
        sections=(
            *layout(("A", "B", "C", "D", "E"), 2.5).sections[:2],
            Section("s3", {"uz": "C"}, "math", "free", 1, (), ("a",), points=0.5, first=4),
            Section("s4", {"uz": "D"}, "math", "mcq", 1, ("A", "B"), points=1.0, first=5),
        ),
    )
    change = exams.set_layout(db, exam.id, new, admin_id=None)
    assert change == exams.LayoutChange(
        kept=("1", "4a"), cleared=("2", "3"), removed=("4b",), added=("5",)
    )
    items = exams.get_items(db, exam.id)
    assert [(i.label, i.position, i.section, i.points, i.accepted_answers) for i in items] == [
        ("1", 0, 0, 2.5, ["B"]),
        ("2", 1, 1, 1.0, []),
        ("3", 2, 1, 1.0, []),
        ("4a", 3, 2, 0.5, ["7"]),
        ("5", 4, 3, 1.0, []),
    ]
    assert items[1].options == ["A", "B", "C", "D", "E"]
    db.refresh(exam)
    assert exams.exam_layout(exam) == new
    assert exams.missing_key_items(db, exam.id) == ["2", "3", "5"]
    entry = db.exec(select(AuditLog).where(AuditLog.action == "exam.layout")).one()
    assert entry.details["kept_keys"] == 2 and entry.details["removed_items"] == 1


def test_set_layout_only_on_a_draft(db):
    from mockexam.scoring.layout_templates import CERTIFICATE_MATH, DTM_BLOCK

    exam = make_exam(db)  # published
    with pytest.raises(ExamLockedError, match="only while the exam is a draft"):
        exams.set_layout(db, exam.id, DTM_BLOCK)
    db.refresh(exam)
    assert exams.exam_layout(exam) == CERTIFICATE_MATH
    assert len(exams.get_items(db, exam.id)) == 55


def test_set_layout_refuses_a_bad_layout_and_changes_nothing(db):
    from mockexam.scoring.layout import Layout, LayoutError
    from mockexam.scoring.layout_templates import CERTIFICATE_MATH

    exam = _draft(db)
    with pytest.raises(LayoutError):
        exams.set_layout(db, exam.id, Layout(template="custom", sections=()))
    assert len(exams.get_items(db, exam.id)) == 55
    assert exams.exam_layout(exam) == CERTIFICATE_MATH


def test_exam_messages_read_in_the_admins_language(db):
    exam = make_exam(db)
    with pytest.raises(ExamLockedError) as caught:
        exams.publish_exam(db, exam.id)
    assert str(caught.value) == "This exam is already published."
    assert caught.value.text("ru") == "Этот экзамен уже опубликован."
    assert caught.value.text("uz") == "Bu imtihon allaqachon e’lon qilingan."
    draft = make_exam(db, title="Draft", start=utcnow() + timedelta(days=3), publish=False)
    exams.set_item_key(db, draft.id, "1", ["A"])
    with pytest.raises(ValidationError) as refused:
        exams.set_item_key(db, draft.id, "99", ["A"])
    assert refused.value.text("ru") == "Задания '99' нет в бланке ответов этого экзамена."


def test_exam_details_of_a_broken_stored_layout_groups_the_items(db):
    exam = _draft(db)
    exam.layout = {"version": 1, "template": "custom", "sections": [{"kind": "mcq"}]}
    db.add(exam)
    db.flush()
    layout = exams.exam_details(db, exam.id).layout
    assert [(s.kind, s.count, s.first) for s in layout.sections] == [
        ("mcq", 35, 1),
        ("free", 10, 36),
    ]


def test_list_exams_names_each_exams_template_and_subjects(db):
    from mockexam.scoring.layout_templates import DTM_BLOCK

    make_exam(db, title="Certificate", start=utcnow() + timedelta(days=2))
    make_exam(db, title="DTM", start=utcnow() + timedelta(days=4), layout=DTM_BLOCK)
    legacy = make_exam(db, title="Legacy", publish=False)
    legacy.layout = {}
    db.add(legacy)
    db.flush()
    statements = _statements(db)
    by_title = {e.title: e for e in exams.list_exams(db).entries}
    assert len(statements) == 1
    assert (by_title["DTM"].template, by_title["DTM"].subjects) == (
        "dtm_block",
        ("native_language", "math", "history_uz", "physics"),
    )
    assert (by_title["Certificate"].template, by_title["Certificate"].subjects) == (
        "certificate_math",
        ("math",),
    )
    assert by_title["Legacy"].template == "certificate_math"
