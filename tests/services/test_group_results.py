"""A group's results: its exams, the group against everyone, who missed it, items by group."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError
from mockexam.models import Answer, ExamItem, ExamSession, Student
from mockexam.services import group_results, groups
from mockexam.services.access import Scope
from mockexam.services.release import release_exam
from tests.factories import make_cohort, make_exam, make_student

EVERYTHING = Scope.everything()


@pytest.fixture
def world(db_url):
    """A released exam for everyone taken by 20 students, 6 of them in group A (which also
    has 2 members who did not take it); an exam for group B only; a draft; a future exam."""
    now = utcnow()
    with session_scope() as db:
        exam = make_exam(db, title="October mock", start=now - timedelta(days=3), hours=3)
        make_cohort(db, exam, n=20, graded=True)
        for_b = make_exam(db, title="B only", start=now - timedelta(days=1), hours=3)
        make_exam(db, title="Draft", start=now - timedelta(hours=1), publish=False)
        make_exam(db, title="Next week", start=now + timedelta(days=4))
        a = groups.create_group(db, name="Matematika 9-A", actor_id=None)
        b = groups.create_group(db, name="Fizika 10", actor_id=None)
        takers = list(
            db.exec(
                select(ExamSession.student_id)
                .where(ExamSession.exam_id == exam.id)
                .order_by(col(ExamSession.id))
            )
        )
        for sid in takers[:6]:
            groups.add_member(db, a.id, sid, actor_id=None)
        absent = [
            make_student(db, first_name="Zafar", last_name="Absent"),
            make_student(db, first_name="Yulduz", last_name="Absent"),
        ]
        absent[1].full_name = "Aliyeva Yulduz"
        db.add(absent[1])
        for s in absent:
            groups.add_member(db, a.id, s.id, actor_id=None)
        groups.set_exam_audience(db, for_b.id, [b.id], actor_id=None)
        ids = {"exam": exam.id, "for_b": for_b.id, "a": a.id, "b": b.id}
        ids["absent"] = [s.id for s in absent]
        group_a = set(takers[:6])
    assert release_exam(ids["exam"]) is not None
    return ids, group_a


def test_a_groups_exams_are_the_started_ones_for_everyone_or_for_it(world):
    ids, _ = world
    with session_scope(readonly=True) as db:
        a = group_results.group_exams(db, ids["a"], scope=EVERYTHING)
        b = group_results.group_exams(db, ids["b"], scope=EVERYTHING)
    assert [(e.title, e.released) for e in a] == [("October mock", True)]
    assert [e.title for e in b] == ["B only", "October mock"]  # newest first


def test_upcoming_exams_are_the_groups_published_ones_not_started_yet(world):
    ids, _ = world
    with session_scope() as db:
        soon = make_exam(db, title="For B, soon", start=utcnow() + timedelta(days=1))
        groups.set_exam_audience(db, soon.id, [ids["b"]], actor_id=None)
    with session_scope(readonly=True) as db:
        a = group_results.upcoming_exams(db, ids["a"], scope=EVERYTHING)
        b = group_results.upcoming_exams(db, ids["b"], scope=EVERYTHING)
        with pytest.raises(NotFoundError):
            group_results.upcoming_exams(db, ids["a"], scope=Scope(frozenset({ids["b"]})))
    assert [e.title for e in a] == ["Next week"]  # not the draft, not B's
    assert [e.title for e in b] == ["For B, soon", "Next week"]


def test_the_report_compares_the_group_with_everyone_and_names_who_missed_it(world):
    ids, group_a = world
    with session_scope(readonly=True) as db:
        report = group_results.group_exam_report(db, ids["a"], ids["exam"], scope=EVERYTHING)
        scaled = dict(
            db.exec(
                select(ExamSession.student_id, ExamSession.scaled_score).where(
                    ExamSession.exam_id == ids["exam"]
                )
            ).all()
        )
    mine = [scaled[sid] for sid in group_a]
    assert report.uses_points is False  # released, scored on the scaled score
    assert (report.members, report.took, report.everyone_took) == (8, 6, 20)
    assert report.group_mean == pytest.approx(sum(mine) / 6, abs=0.01)
    assert report.everyone_mean == pytest.approx(sum(scaled.values()) / 20, abs=0.01)
    assert {r.student_id for r in report.results} == group_a
    scores = [r.score for r in report.results]
    assert scores == sorted(scores, reverse=True)
    assert report.missed == [
        (ids["absent"][1], "Aliyeva Yulduz"),  # the centre's name when there is one
        (ids["absent"][0], "Zafar Absent"),
    ]


def test_items_give_the_share_right_in_the_group_and_among_everyone(world):
    ids, group_a = world
    with session_scope(readonly=True) as db:
        report = group_results.group_exam_report(db, ids["a"], ids["exam"], scope=EVERYTHING)
        items = list(
            db.exec(
                select(ExamItem)
                .where(ExamItem.exam_id == ids["exam"], col(ExamItem.is_excluded).is_(False))
                .order_by(ExamItem.position)
            )
        )
        right = list(
            db.exec(
                select(Answer.item_id, ExamSession.student_id)
                .join(ExamSession, col(ExamSession.id) == Answer.session_id)
                .where(Answer.exam_id == ids["exam"], col(Answer.is_correct).is_(True))
            )
        )
    assert [i.label for i in report.items] == [i.label for i in items]
    for item, line in zip(items, report.items, strict=True):
        everyone = sum(1 for item_id, _ in right if item_id == item.id)
        group = sum(1 for item_id, sid in right if item_id == item.id and sid in group_a)
        assert line.everyone_correct == pytest.approx(everyone / 20, abs=0.001), item.label
        assert line.group_correct == pytest.approx(group / 6, abs=0.001), item.label


def test_an_exam_that_is_not_the_groups_or_a_group_out_of_scope_reads_as_missing(world):
    ids, _ = world
    with session_scope(readonly=True) as db:
        with pytest.raises(NotFoundError) as err:
            group_results.group_exam_report(db, ids["a"], ids["for_b"], scope=EVERYTHING)
        assert err.value.text("en") == "This exam is not one of this group's."
        with pytest.raises(NotFoundError):
            group_results.group_exam_report(db, ids["a"], 99999, scope=EVERYTHING)
        only_b = Scope(frozenset({ids["b"]}))
        with pytest.raises(NotFoundError):
            group_results.group_exam_report(db, ids["a"], ids["exam"], scope=only_b)
        with pytest.raises(NotFoundError):
            group_results.group_exams(db, ids["a"], scope=only_b)


def test_last_exam_summaries_pick_each_groups_latest_exam(world):
    ids, group_a = world
    with session_scope() as db:
        # One of B's members took the B-only exam (not graded yet: points are its score).
        sid = min(group_a)
        groups.add_member(db, ids["b"], sid, actor_id=None)
        db.add(
            ExamSession(
                student_id=sid,
                exam_id=ids["for_b"],
                started_at=utcnow() - timedelta(hours=20),
                deadline=utcnow() - timedelta(hours=18),
                submitted_at=utcnow() - timedelta(hours=19),
                status="submitted",
                points=31.5,
            )
        )
    with session_scope(readonly=True) as db:
        summary = group_results.last_exam_summaries(db, [ids["a"], ids["b"]])
        full = group_results.group_exam_report(db, ids["a"], ids["exam"], scope=EVERYTHING)
        n_students = len(db.exec(select(Student.id)).all())
    a, b = summary[ids["a"]], summary[ids["b"]]
    assert (a.title, a.took, a.members, a.uses_points) == ("October mock", 6, 8, False)
    assert a.group_mean == pytest.approx(full.group_mean, abs=0.01)
    assert a.everyone_mean == pytest.approx(full.everyone_mean, abs=0.01)
    assert (b.title, b.took, b.members, b.uses_points) == ("B only", 1, 1, True)
    assert (b.group_mean, b.everyone_mean) == (31.5, 31.5)
    assert n_students == 22
    assert group_results.last_exam_summaries(db, []) == {}
