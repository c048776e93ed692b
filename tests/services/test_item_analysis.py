"""Item analysis: the item table (hand-checked small case), flags, the Wright map histogram,
item characteristic curves, and a query count that does not grow with the data."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import event
from sqlmodel import select

from mockexam.config import settings
from mockexam.db import get_engine, session_scope, utcnow
from mockexam.errors import NotFoundError, ValidationError
from mockexam.models import Answer, Exam, ExamSession, ItemKind
from mockexam.scoring.grading import ItemSpec
from mockexam.scoring.layout import Layout, Section
from mockexam.scoring.layout_templates import CUSTOM_START, DTM_BLOCK
from mockexam.services import exams as exam_service
from mockexam.services import item_analysis as ia
from mockexam.services import release
from mockexam.services.exams import get_items
from mockexam.services.grading import grade_pending
from mockexam.services.item_analysis import ItemFlag
from tests.factories import make_cohort, make_exam, make_student

MCQ = ("A", "B", "C", "D")
LAYOUT = [
    ItemSpec(1, "", ItemKind.MULTIPLE_CHOICE, MCQ),
    ItemSpec(2, "", ItemKind.MULTIPLE_CHOICE, MCQ),
    ItemSpec(3, "", ItemKind.MULTIPLE_CHOICE, MCQ),
    ItemSpec(4, "", ItemKind.FREE_RESPONSE, ()),
]
KEY = {"1": "A", "2": "B", "3": "C", "4": "7"}
# Answers by student (None: no answer row at all). Students 1–3 submit; 4 is still working.
ANSWERS = [
    {"1": "A", "2": "B", "3": "A", "4": "7"},
    {"1": "A", "2": "C", "3": None, "4": "5"},
    {"1": "B", "2": "B", "3": "", "4": None},
    {"1": "D", "2": "D", "3": "D", "4": "1"},
]


@contextmanager
def count_queries():
    """Count the SQL statements sent to the current database."""
    engine = get_engine()
    seen: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _small_exam(*, unsubmitted: bool = True) -> int:
    """A closed 4-item exam (3 MCQ + 1 free response), three graded submissions and,
    if `unsubmitted`, one session not submitted (a release would auto-submit it)."""
    start = utcnow() - timedelta(days=1)
    with session_scope() as db:
        exam = exam_service.create_exam(
            db,
            title="Small",
            window_start=start,
            window_end=start + timedelta(hours=3),
            layout=LAYOUT,
        )
        for label, answer in KEY.items():
            exam_service.set_item_key(db, exam.id, label, [answer])
        exam_service.publish_exam(db, exam.id, now=start - timedelta(hours=1))
        items = {i.label: i for i in get_items(db, exam.id)}
        for k, answers in enumerate(ANSWERS if unsubmitted else ANSWERS[:3]):
            student = make_student(db, first_name=f"S{k + 1}")
            session = ExamSession(
                student_id=student.id,
                exam_id=exam.id,
                started_at=start,
                deadline=start + timedelta(minutes=150),
                submitted_at=start + timedelta(minutes=60) if k < 3 else None,
                status="submitted" if k < 3 else "in_progress",
            )
            db.add(session)
            db.flush()
            for label, value in answers.items():
                if value is not None:
                    db.add(
                        Answer(
                            session_id=session.id,
                            exam_id=exam.id,
                            item_id=items[label].id,
                            value=value,
                        )
                    )
        db.flush()
        grade_pending(db, exam.id)
        return exam.id


def _counts(row: ia.ItemRow) -> dict[str, int]:
    return {c.option: c.count for c in row.option_counts}


def _check_small_case(analysis: ia.ItemAnalysis) -> None:
    assert analysis.participants == 3
    one, two, three, four = analysis.items
    assert [r.label for r in analysis.items] == ["1", "2", "3", "4"]
    # Facility = right / participants (unanswered = wrong).
    assert one.facility == pytest.approx(2 / 3)
    assert two.facility == pytest.approx(2 / 3)
    assert three.facility == 0.0
    assert four.facility == pytest.approx(1 / 3)
    # Option choices (the in-progress student does not count); '' = left blank.
    assert _counts(one) == {"A": 2, "B": 1, "C": 0, "D": 0, "": 0}
    assert _counts(two) == {"A": 0, "B": 2, "C": 1, "D": 0, "": 0}
    assert _counts(three) == {"A": 1, "B": 0, "C": 0, "D": 0, "": 2}
    assert [c.option for c in one.option_counts if c.is_key] == ["A"]
    assert [c.option for c in three.option_counts if c.is_key] == ["C"]
    assert four.option_counts == ()
    assert ItemFlag.TOO_HARD in three.flags
    assert ItemFlag.TOO_HARD not in one.flags


def test_item_analysis_before_release_counts_live_answers(db_url):
    exam_id = _small_exam()
    analysis = ia.item_analysis(exam_id)
    assert analysis.is_released is False
    _check_small_case(analysis)
    assert all(r.beta is None for r in analysis.items)
    assert analysis.persons.n == 0


def test_item_analysis_after_release_reads_the_stored_statistics(db_url):
    exam_id = _small_exam(unsubmitted=False)
    release.release_exam(exam_id)
    analysis = ia.item_analysis(exam_id)
    assert analysis.is_released is True
    assert analysis.is_provisional is True  # 3 < 10 participants: not calibrated
    _check_small_case(analysis)
    assert all(r.beta is None for r in analysis.items)
    assert analysis.items[0].n_responses == 3
    # Item–rest discrimination of item 1: right = (1, 1, 0), rest scores = (2, 0, 1).
    x, rest = np.array([1.0, 1.0, 0.0]), np.array([2.0, 0.0, 1.0])
    assert analysis.items[0].discrimination == pytest.approx(np.corrcoef(x, rest)[0, 1])


def test_item_analysis_unknown_exam(db_url):
    with pytest.raises(NotFoundError) as refused:
        ia.item_analysis(404)
    assert str(refused.value) == "Exam 404 does not exist."
    assert refused.value.text("ru") == "Экзамена 404 нет."
    assert refused.value.text("uz") == "404-imtihon mavjud emas."


def test_item_analysis_sections_of_a_dtm_exam(db_url):
    with session_scope() as db:
        exam_id = make_exam(db, layout=DTM_BLOCK).id
    analysis = ia.item_analysis(exam_id)

    assert [s.key for s in analysis.sections] == ["s1", "s2", "s3", "s4", "s5"]
    assert [s.index for s in analysis.sections] == [0, 1, 2, 3, 4]
    assert [s.item_count for s in analysis.sections] == [10, 10, 10, 30, 30]
    assert analysis.sections[4].subject == "physics"
    assert analysis.section_title(0, "ru") == "Родной язык"
    assert analysis.section_title(4, "en") == "Specialty subject 2: Physics"
    assert analysis.section_title(9, "ru") == ""
    assert [r.label for r in analysis.section_items(3)] == [str(n) for n in range(31, 61)]
    assert len(analysis.section_items(None)) == 90
    by_label = {r.label: r for r in analysis.items}
    assert [(by_label[x].section, by_label[x].points) for x in ("10", "11", "31", "61")] == [
        (0, 1.1),
        (1, 1.1),
        (3, 3.1),
        (4, 2.1),
    ]


def test_item_analysis_counts_every_option_of_a_five_option_section(db_url):
    """Options come from each item (A–E here), not a fixed A–D."""
    letters = ("A", "B", "C", "D", "E")
    five = Layout(
        "custom",
        (Section("s1", {"uz": "Test", "ru": "Тест", "en": "Test"}, "math", "mcq", 5, letters),),
    )
    with session_scope() as db:
        exam = make_exam(db, layout=five)
        make_cohort(db, exam, n=12, graded=True)
        exam_id = exam.id
    analysis = ia.item_analysis(exam_id)
    assert analysis.sections[0].options == letters
    fifth = analysis.items[4]  # keyed E
    assert [c.option for c in fifth.option_counts] == [*letters, ""]
    assert [c.option for c in fifth.option_counts if c.is_key] == ["E"]
    chose_e = next(c.count for c in fifth.option_counts if c.option == "E")
    assert chose_e == round(fifth.facility * 12) and sum(_counts(fifth).values()) == 12


@pytest.mark.parametrize("stored", [{"version": 99}, CUSTOM_START.to_json()])
def test_item_analysis_groups_the_items_when_the_stored_layout_is_wrong(db_url, stored):
    """A layout that fails the checks, or does not hold the exam's items (30 vs 55), is
    replaced by one grouped from the items: the certificate's 35 + 10 × (a, b)."""
    with session_scope() as db:
        exam = make_exam(db)
        exam.layout = stored
        db.add(exam)
        exam_id = exam.id
    with session_scope(readonly=True) as db:
        assert db.get(Exam, exam_id).layout == stored
    analysis = ia.item_analysis(exam_id)
    assert [s.item_count for s in analysis.sections] == [35, 20]
    assert [s.kind for s in analysis.sections] == ["mcq", "free"]
    assert {r.section for r in analysis.items if r.label == "36a"} == {1}
    assert analysis.sections[0].options == MCQ


def _released_cohort(n: int = 300, seed: int = 11, days_ago: int = 1) -> int:
    start = utcnow() - timedelta(days=days_ago, hours=5)
    with session_scope() as db:
        exam = make_exam(db, start=start, hours=4)
        make_cohort(db, exam, n=n, seed=seed)
    release.release_exam(exam.id)
    return exam.id


def test_item_analysis_of_a_calibrated_exam(db_url):
    exam_id = _released_cohort()
    analysis = ia.item_analysis(exam_id)
    assert analysis.is_released and not analysis.is_provisional
    assert analysis.participants == 300
    assert len(analysis.items) == 55
    assert analysis.cronbach_alpha is not None and 0.5 < analysis.cronbach_alpha < 1
    betas = np.array([r.beta for r in analysis.items if not r.is_extreme])
    assert abs(betas.mean()) < 1e-6  # centred at 0
    for row in analysis.items:
        assert row.beta_se is not None and row.beta_se > 0
        assert row.n_responses == 300
        misfit = not settings.fit_low <= row.infit <= settings.fit_high
        assert (ItemFlag.INFIT_MISFIT in row.flags) == misfit
        if row.kind == ItemKind.MULTIPLE_CHOICE:
            assert sum(c.count for c in row.option_counts) == 300
            key = next(c for c in row.option_counts if c.is_key)
            assert key.count == round(row.facility * 300)
    # Person histogram = numpy over the stored thetas.
    with session_scope(readonly=True) as db:
        theta = np.array(
            db.exec(select(ExamSession.theta).where(ExamSession.exam_id == exam_id)).all()
        )
    persons = analysis.persons
    assert persons.n == 300 == sum(persons.histogram.counts)
    edges = np.array(persons.histogram.edges)
    assert np.allclose(np.diff(edges), ia.ABILITY_BIN_WIDTH)
    expected, _ = np.histogram(theta, bins=edges)
    assert tuple(int(c) for c in expected) == persons.histogram.counts
    assert persons.mean == pytest.approx(theta.mean())
    assert persons.sd == pytest.approx(theta.std(ddof=1))


def test_item_analysis_flags_follow_the_current_fit_band(db_url, monkeypatch):
    exam_id = _released_cohort()
    monkeypatch.setattr(settings, "fit_high", 0.5)  # everything now underfits
    analysis = ia.item_analysis(exam_id)
    assert all(ItemFlag.OUTFIT_MISFIT in r.flags for r in analysis.items if not r.is_extreme)
    assert analysis.fit_high == 0.5


def test_item_analysis_marks_an_excluded_item(db_url):
    exam_id = _released_cohort()
    release.exclude_item(exam_id, "2")
    analysis = ia.item_analysis(exam_id)
    two = analysis.items[1]
    assert two.is_excluded and two.flags == (ItemFlag.EXCLUDED,) and two.beta is None
    assert sum(c.count for c in two.option_counts) == 300  # choices are still shown
    with pytest.raises(ValidationError, match="excluded"):
        ia.item_characteristic_curve(exam_id, "2")


def test_item_analysis_query_count_does_not_grow_with_the_data(db_url):
    counts = []
    for n, days_ago in ((20, 3), (300, 1)):
        exam_id = _released_cohort(n=n, seed=n, days_ago=days_ago)
        with count_queries() as seen:
            ia.item_analysis(exam_id)
            ia.item_characteristic_curve(exam_id, "1")
        counts.append(len(seen))
    assert counts[0] == counts[1] <= 6


def test_item_characteristic_curve_matches_the_model(db_url):
    exam_id = _released_cohort(n=400, seed=5)
    with session_scope(readonly=True) as db:
        items = get_items(db, exam_id)
        stats = ia.item_analysis(exam_id).items
    curve = ia.item_characteristic_curve(exam_id, "7", groups=6)
    beta = next(r.beta for r in stats if r.label == "7")
    assert curve.beta == beta
    grid = np.array(curve.theta)
    assert np.allclose(curve.probability, 1 / (1 + np.exp(beta - grid)))
    assert grid.min() <= -4 and grid.max() >= 4
    assert sum(g.n for g in curve.groups) == 400
    assert 3 <= len(curve.groups) <= 6
    means = [g.theta_mean for g in curve.groups]
    assert means == sorted(means)
    assert all(g.theta_low <= g.theta_mean <= g.theta_high for g in curve.groups)
    # Simulated from the model: observed proportions sit near the expected ones.
    assert all(abs(g.z) < 3.5 for g in curve.groups if g.z is not None)
    assert curve.groups[-1].observed > curve.groups[0].observed
    assert len(items) == 55


def test_item_characteristic_curve_observed_proportion_by_hand(db_url):
    exam_id = _released_cohort(n=40, seed=3)
    curve = ia.item_characteristic_curve(exam_id, "36a", groups=2)
    with session_scope(readonly=True) as db:
        item = next(i for i in get_items(db, exam_id) if i.label == "36a")
        rows = db.exec(
            select(ExamSession.theta, ExamSession.id).where(ExamSession.exam_id == exam_id)
        ).all()
        right = set(
            db.exec(
                select(Answer.session_id).where(
                    Answer.item_id == item.id, Answer.is_correct.is_(True)
                )
            ).all()
        )
    theta = np.array([t for t, _ in rows])
    hit = np.array([sid in right for _, sid in rows], dtype=float)
    group = ia.quantile_groups(theta, 2)
    for g, out in enumerate(curve.groups):
        assert out.n == int((group == g).sum())
        assert out.observed == pytest.approx(hit[group == g].mean())


def test_item_characteristic_curve_refuses_unknown_items_and_uncalibrated_exams(db_url):
    exam_id = _small_exam()
    with pytest.raises(ValidationError, match="not on this exam") as unknown:
        ia.item_characteristic_curve(exam_id, "99")
    assert unknown.value.text("ru") == "Вопроса '99' нет в бланке ответов этого экзамена."
    release.release_exam(exam_id)  # provisional: no difficulties
    with pytest.raises(ValidationError, match="not calibrated") as uncalibrated:
        ia.item_characteristic_curve(exam_id, "1")
    assert uncalibrated.value.text("ru") == (
        "У вопроса 1 нет трудности: экзамен ещё не откалиброван."
    )
    with pytest.raises(ValidationError, match="between 2 and 20"):
        ia.item_characteristic_curve(exam_id, "1", groups=1)


def test_quantile_groups_keep_ties_together():
    theta = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 3.0, 3.0])
    group = ia.quantile_groups(theta, 4)
    for value in np.unique(theta):
        assert len(set(group[theta == value])) == 1
    assert list(group) == sorted(group)
    assert group.max() < 4
    assert list(ia.quantile_groups(np.arange(6.0), 3)) == [0, 0, 1, 1, 2, 2]
