"""The window-close pipeline: calibration, scaled scores, grades, Elo, item statistics, recalibration."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.errors import ExamLockedError, NotFoundError, ValidationError
from mockexam.models import (
    EloHistory,
    Exam,
    ExamSession,
    ExamStatus,
    ItemStatistic,
    SessionStatus,
    StudentRating,
)
from mockexam.services import release
from mockexam.services.exams import get_items
from tests.factories import make_cohort, make_exam, make_student


def _closed_exam(db, *, days_ago: float = 1, n: int = 300, seed: int = 7, **kwargs):
    start = utcnow() - timedelta(days=days_ago, hours=5)
    exam = make_exam(db, start=start, hours=4, **kwargs)
    ids, theta, beta = make_cohort(db, exam, n=n, seed=seed)
    return exam, ids, theta, beta


def _snapshot(exam_id: int):
    with session_scope(readonly=True) as db:
        sessions = [
            (s.id, s.points, s.theta, s.scaled_score, s.grade, s.status)
            for s in db.exec(
                select(ExamSession).where(ExamSession.exam_id == exam_id).order_by(ExamSession.id)
            )
        ]
        elo = [
            (h.session_id, h.elo_before, h.elo_after)
            for h in db.exec(select(EloHistory).order_by(EloHistory.session_id))
        ]
        ratings = [
            (r.student_id, r.elo, r.exams_rated)
            for r in db.exec(select(StudentRating).order_by(StudentRating.student_id))
        ]
        stats = [
            (s.item_id, s.beta, s.infit, s.facility)
            for s in db.exec(select(ItemStatistic).order_by(ItemStatistic.item_id))
        ]
    return sessions, elo, ratings, stats


def test_release_scores_every_session_once(db_url):
    with session_scope() as db:
        exam, _ids, theta, _ = _closed_exam(db)
    summary = release.release_exam(exam.id)
    assert summary is not None and summary.calibrated and summary.participants == 300
    assert summary.elo_rows == 300
    before = _snapshot(exam.id)
    assert release.release_exam(exam.id) is None
    assert release.release_exam(exam.id, now=utcnow() + timedelta(days=3)) is None
    assert _snapshot(exam.id) == before

    with session_scope(readonly=True) as db:
        released = db.get(Exam, exam.id)
        assert released.status == ExamStatus.RELEASED and not released.is_provisional
        assert 0.8 < released.cronbach_alpha < 1 and released.sem > 0
        rows = db.exec(
            select(ExamSession).where(ExamSession.exam_id == exam.id).order_by(ExamSession.id)
        ).all()
        assert all(r.status == SessionStatus.RELEASED and r.grade for r in rows)
        assert all(0 <= r.scaled_score <= 100 and r.scaled_score_se > 0 for r in rows)
        estimated = np.array([r.theta for r in rows])
        assert np.corrcoef(estimated, theta)[0, 1] > 0.9
        grades = [r.grade for r in rows]
        assert grades.count("A+") <= 0.1 * 300 + 5 and "D" in grades
        stats = db.exec(select(ItemStatistic).where(ItemStatistic.exam_id == exam.id)).all()
        assert len(stats) == 55
        mcq = next(s for s in stats if s.option_counts)
        assert sum(mcq.option_counts.values()) == 300
        assert all(s.beta is not None and s.infit is not None for s in stats)
        history = db.exec(select(EloHistory)).all()
        assert len(history) == 300
        assert all(h.elo_before == 1200 and h.k_factor == 40 for h in history)
        # higher raw score → larger Elo gain
        by_session = {h.session_id: h.elo_after - h.elo_before for h in history}
        best = max(rows, key=lambda r: r.points)
        worst = min(rows, key=lambda r: r.points)
        assert by_session[best.id] > 0 > by_session[worst.id]


def test_not_released_while_window_or_grace_open(db_url):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(hours=1), hours=1)
    assert release.release_exam(exam.id, now=exam.window_end + timedelta(seconds=10)) is None
    assert exam.id not in release.exams_due_for_release(exam.window_end + timedelta(seconds=10))
    assert exam.id in release.exams_due_for_release(exam.window_end + timedelta(seconds=31))


def test_fewer_than_ten_participants_get_provisional_raw_percentage(db_url):
    with session_scope() as db:
        exam, _ids, _, _ = _closed_exam(db, n=6)
        # one straggler who never submitted is auto-submitted at release
        straggler = make_student(db)
        from mockexam.services.sessions import start_session

        late = start_session(
            db,
            student_id=straggler.id,
            exam_id=exam.id,
            now=exam.window_start + timedelta(minutes=1),
        )
    summary = release.release_exam(exam.id)
    assert not summary.calibrated and summary.participants == 7
    with session_scope(readonly=True) as db:
        assert db.get(Exam, exam.id).is_provisional
        for row in db.exec(select(ExamSession).where(ExamSession.exam_id == exam.id)):
            assert row.is_provisional and row.theta is None
            assert row.scaled_score == pytest.approx(round(100 * row.points / 55, 2))
        auto = db.get(ExamSession, late.id)
        assert auto.is_auto_submitted and auto.points == 0 and auto.grade


def test_exclude_item_recalibrates_and_redoes_elo_from_pre_exam_ratings(db_url):
    with session_scope() as db:
        exam, _ids, _, _ = _closed_exam(db, n=120)
    release.release_exam(exam.id)
    with session_scope(readonly=True) as db:
        before_points = {s.id: s.points for s in db.exec(select(ExamSession))}
        item = get_items(db, exam.id)[0]
    summary = release.exclude_item(exam.id, item.label, admin_id=None)
    assert summary is not None and summary.recalibrated
    with session_scope(readonly=True) as db:
        stat = db.exec(select(ItemStatistic).where(ItemStatistic.item_id == item.id)).one()
        assert stat.flags == ["excluded"] and stat.beta is None
        for s in db.exec(select(ExamSession)):
            assert s.max_points == 54
            assert s.points in (before_points[s.id], before_points[s.id] - 1)
        history = {h.student_id: h for h in db.exec(select(EloHistory))}
        assert len(history) == 120
        for rating in db.exec(select(StudentRating)):
            assert rating.exams_rated == 1
            assert rating.elo == pytest.approx(history[rating.student_id].elo_after)
            assert history[rating.student_id].elo_before == 1200


def test_recalibration_refused_after_a_later_release(db_url):
    with session_scope() as db:
        first, _, _, _ = _closed_exam(db, days_ago=8, n=20)
        second, _, _, _ = _closed_exam(db, days_ago=1, n=20, seed=9)
    release.release_exam(first.id)
    release.release_exam(second.id)
    with pytest.raises(ExamLockedError, match="can no longer be recalibrated") as err:
        release.exclude_item(first.id, "3")
    assert err.value.text("ru").startswith("Результаты «Mock exam» опубликованы после")
    assert "qayta kalibrlab bo‘lmaydi" in err.value.text("uz")
    with session_scope(readonly=True) as db:
        assert not any(i.is_excluded for i in get_items(db, first.id))


def test_exclude_item_refusals_read_in_the_admins_language(db_url):
    with session_scope() as db:
        exam = make_exam(db)
    with pytest.raises(NotFoundError) as missing:
        release.exclude_item(exam.id + 1, "3")
    assert missing.value.text("ru") == f"Экзамена {exam.id + 1} не существует."
    with pytest.raises(ValidationError) as label:
        release.exclude_item(exam.id, "99")
    assert str(label.value) == "Item '99' is not on this exam's answer sheet."
    assert label.value.text("ru") == "Задания '99' нет в бланке ответов этого экзамена."
    assert label.value.text("uz") == "'99' savoli bu imtihonning javoblar varaqasida yo‘q."
    with pytest.raises(ValidationError) as not_released:
        release.release_exam(exam.id, force_recalibrate=True)
    assert str(not_released.value) == "Only a released exam can be recalibrated."
    assert not_released.value.text("ru") == (
        "Перекалибровать можно только экзамен с опубликованными результатами."
    )


def test_second_exam_uses_ratings_from_the_first(db_url):
    with session_scope() as db:
        first, _, _, _ = _closed_exam(db, days_ago=8, n=30)
    release.release_exam(first.id)
    with session_scope() as db:
        second = make_exam(db, start=utcnow() - timedelta(days=1, hours=5), hours=4)
        from mockexam.models import Answer
        from mockexam.services.grading import grade_session

        students = db.exec(
            select(ExamSession.student_id).where(ExamSession.exam_id == first.id)
        ).all()[:5]
        for k, sid in enumerate(students):
            es = ExamSession(
                student_id=sid,
                exam_id=second.id,
                started_at=second.window_start,
                deadline=second.window_end,
                submitted_at=second.window_start,
                status="submitted",
            )
            db.add(es)
            db.flush()
            for item in get_items(db, second.id)[: 10 * (k + 1)]:
                db.add(
                    Answer(
                        session_id=es.id,
                        exam_id=second.id,
                        item_id=item.id,
                        value=item.accepted_answers[0],
                    )
                )
            db.flush()
            grade_session(db, es.id)
    release.release_exam(second.id)
    with session_scope(readonly=True) as db:
        for sid in students:
            rows = db.exec(
                select(EloHistory)
                .where(EloHistory.student_id == sid)
                .order_by(EloHistory.created_at)
            ).all()
            assert len(rows) == 2
            assert rows[1].elo_before == pytest.approx(rows[0].elo_after)
            rating = db.get(StudentRating, sid)
            assert rating.exams_rated == 2 and rating.elo == pytest.approx(rows[1].elo_after)


def test_exams_are_released_in_window_order(db_url):
    with session_scope() as db:
        first, _, _, _ = _closed_exam(db, days_ago=8, n=12)
        second, _, _, _ = _closed_exam(db, days_ago=1, n=12, seed=9)
    with pytest.raises(ExamLockedError, match=f"exam {first.id}\\) first"):
        release.release_exam(second.id)
    with session_scope(readonly=True) as db:
        assert db.get(Exam, second.id).status == ExamStatus.PUBLISHED
    assert release.exams_due_for_release() == [first.id, second.id]
    release.release_exam(first.id)
    assert release.release_exam(second.id) is not None


def _sheets(db, exam, right: list[set[int]]) -> list[int]:
    """One submitted session per entry of `right` (the item positions answered right; every
    other item answered wrong). Returns the session ids in order."""
    from mockexam.models import Answer

    items = get_items(db, exam.id)
    ids = []
    for positions in right:
        student = make_student(db)
        es = ExamSession(
            student_id=student.id,
            exam_id=exam.id,
            started_at=exam.window_start,
            deadline=exam.window_end,
            submitted_at=exam.window_start + timedelta(minutes=30),
            status="submitted",
        )
        db.add(es)
        db.flush()
        for c, item in enumerate(items):
            key = item.accepted_answers[0]
            value = key if c in positions else next(o for o in item.options if o != key)
            db.add(Answer(session_id=es.id, exam_id=exam.id, item_id=item.id, value=value))
        ids.append(es.id)
    db.flush()
    return ids


def test_release_dtm_weighted(db_url):
    """Two students with 30 right each: all of block 4 (3.1 points) vs all of block 5 (2.1).
    Same θ (Rasch is unweighted), different points, and the letters follow the points."""
    from mockexam.scoring.layout_templates import DTM_BLOCK

    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(days=1, hours=5), hours=4, layout=DTM_BLOCK)
        fillers = [2, 5, 8, 12, 16, 20, 25, 28, 35, 40]  # the first k items right
        a, b, *others = _sheets(
            db,
            exam,
            [set(range(30, 60)), set(range(60, 90)), *(set(range(k)) for k in fillers)],
        )
    summary = release.release_exam(exam.id)
    assert summary.calibrated and summary.participants == 12
    with session_scope(readonly=True) as db:
        rows = {s.id: s for s in db.exec(select(ExamSession).where(ExamSession.exam_id == exam.id))}
    first, second = rows[a], rows[b]
    assert (first.points, second.points, first.max_points) == (93, 63, 189)
    assert first.exercises == second.exercises == 30
    assert first.theta == pytest.approx(second.theta, abs=1e-6)
    assert first.scaled_score == second.scaled_score
    # 93 is the top score (A+); 64 (40 right: 33 + 10 × 3.1) is above 63, so block 5 gets A.
    assert (first.grade, second.grade) == ("A+", "A")
    order = ["A+", "A", "B+", "B", "C+", "C", "D"]
    ranked = sorted(rows.values(), key=lambda s: -s.points)
    assert [order.index(s.grade) for s in ranked] == sorted(order.index(s.grade) for s in ranked)
    assert rows[others[-1]].points == 64 and rows[others[-2]].points == 48.5
    # Per block: points and exercises as graded, and each block's own Rasch measure.
    s4 = first.section_scores[3]
    assert (s4["points"], s4["max_points"], s4["exercises"], s4["max_exercises"]) == (
        93,
        93,
        30,
        30,
    )
    assert [e["points"] for e in second.section_scores] == [0, 0, 0, 0, 63]
    assert [e["points"] for e in rows[others[-1]].section_scores] == [11, 11, 11, 31, 0]
    assert all("theta" in e and "scaled" in e for e in first.section_scores)
    assert first.section_scores[3]["scaled"] > second.section_scores[3]["scaled"]
    assert second.section_scores[4]["scaled"] > first.section_scores[4]["scaled"]


def test_block_measures_are_extra_a_failure_does_not_stop_the_release(db_url, monkeypatch):
    from mockexam.errors import ValidationError
    from mockexam.scoring import blocks

    def broken(*args, **kwargs):
        raise ValidationError("no block today")

    with session_scope() as db:
        exam, _ids, _, _ = _closed_exam(db, n=12)
    monkeypatch.setattr(blocks, "calibrate_blocks", broken)
    summary = release.release_exam(exam.id)
    assert summary.calibrated and summary.participants == 12
    with session_scope(readonly=True) as db:
        rows = db.exec(select(ExamSession).where(ExamSession.exam_id == exam.id)).all()
    assert all(r.grade and r.theta is not None for r in rows)
    for r in rows:  # the certificate's two sections, their points and no block measure
        assert len(r.section_scores) == 2 and "theta" not in r.section_scores[0]
        assert r.section_scores[0]["points"] + r.section_scores[1]["points"] == r.points


def test_certificate_blocks_get_their_own_measure(db_url):
    with session_scope() as db:
        exam, _ids, _, _ = _closed_exam(db, n=12)
    release.release_exam(exam.id)
    with session_scope(readonly=True) as db:
        rows = db.exec(select(ExamSession).where(ExamSession.exam_id == exam.id)).all()
    for r in rows:
        first, second = r.section_scores
        assert (first["max_points"], second["max_points"]) == (35, 20)
        assert 0 <= first["scaled"] <= 100 and 0 <= second["scaled"] <= 100
        assert first["theta_se"] > 0
