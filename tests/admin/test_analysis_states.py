"""Item analysis (table, charts, exclusion with recalibration), analytics and students pages."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from mockexam.admin.analysis import (
    AnalysisChartsState,
    AnalysisState,
    ItemChartsState,
)
from mockexam.admin.analytics import AnalyticsChartsState, AnalyticsState, ScoreChartState
from mockexam.admin.students import StudentsState
from mockexam.db import session_scope, utcnow
from mockexam.models import AuditLog, ExamItem
from mockexam.scoring.layout_templates import DTM_BLOCK
from mockexam.services.admins import set_admin_language
from mockexam.services.release import release_exam
from tests.admin.helpers import make_state, route, run, sibling
from tests.factories import make_cohort, make_exam, make_student


def _released(n: int = 40, *, days_ago: int = 2, title: str = "Released", layout=None) -> int:
    with session_scope() as db:
        exam = make_exam(
            db, title=title, start=utcnow() - timedelta(days=days_ago), hours=4, layout=layout
        )
        make_cohort(db, exam, n=n, graded=True, seed=n)
        exam_id = exam.id
    assert release_exam(exam_id) is not None
    return exam_id


def _path(exam_id: int) -> str:
    return f"/admin/exams/{exam_id}/analysis"


def _loaded(admin, exam_id: int) -> tuple[AnalysisState, AnalysisChartsState, ItemChartsState]:
    state = make_state(AnalysisState, path=_path(exam_id), token=admin.token)
    follow_up = run(AnalysisState.load, state)
    charts_state = sibling(state, AnalysisChartsState)
    item_state = sibling(state, ItemChartsState)
    # The page's follow-up event: the first item's curve.
    assert follow_up.handler.fn.__qualname__.endswith("ItemChartsState.choose")
    run(ItemChartsState.choose, item_state, follow_up.args[0][1]._var_value)
    return state, charts_state, item_state


def test_analysis_shows_the_item_table_test_statistics_and_charts(admin):
    exam_id = _released()
    state, figures, item = _loaded(admin, exam_id)

    assert state.loaded and not state.not_found and state.released
    assert state.participants == 40 and state.alpha != "—"
    assert len(state.rows) == 55
    first = state.rows[0]
    assert first["label"] == "1" and first["kind"] == "mcq" and "±" in first["beta"]
    assert first["section"] == 0 and state.rows[-1]["section"] == 1  # 1–35, then 36a–45b
    assert [s["en"] for s in state.sections] == ["Multiple choice", "Free response"]
    assert "A*" in first["options"] and first["facility"].endswith("%")
    assert state.flagged_count == sum(1 for r in state.rows if r["flagged"])
    # Charts: Wright map (bars + items), difficulty/facility, fit band.
    assert figures.drawn
    assert [t.type for t in figures.wright.data] == ["bar", "scatter"]
    assert sum(figures.wright.data[0].x) == 40
    assert len(figures.scatter.data[0].x) == 55
    assert figures.fit.layout.shapes[0].y0 == 0.7
    # The first item's curve and its option bars.
    assert item.label == "1"
    assert [t.name for t in item.icc.data] == ["Rasch model", "observed"]
    assert list(item.options.data[0].x)[:4] == ["A", "B", "C", "D"]


def test_moving_to_another_exams_analysis_keeps_nothing_of_the_first(admin):
    """Issue 21: from exam A's analysis to B's (not calibrated) in the same tab, A's item
    curve and option bars stayed on B's page; a fresh load did not show them."""
    first = _released(title="Exam A")
    state, figures, item = _loaded(admin, first)
    run(ItemChartsState.choose, item, "7")
    assert item.label == "7" and len(item.icc.data) == 2 and item.has_options
    with session_scope() as db:
        unreleased = make_exam(db, title="Exam B", start=utcnow() - timedelta(hours=1), hours=3)
        second = unreleased.id

    route(state, _path(second))
    assert run(AnalysisState.load, state) is None  # no calibrated item: no curve to draw

    fresh = make_state(AnalysisState, path=_path(second), token=admin.token)
    run(AnalysisState.load, fresh)
    fresh_item = sibling(fresh, ItemChartsState)
    assert state.title == "Exam B" and state.exam_id == second
    assert (item.label, item.has_options, item.error) == ("", False, "")
    assert item.icc.to_dict() == fresh_item.icc.to_dict()
    assert item.options.to_dict() == fresh_item.options.to_dict()
    assert figures.wright.to_dict() == sibling(fresh, AnalysisChartsState).wright.to_dict()


def test_moving_to_an_exam_that_does_not_exist_forgets_the_previous_one(admin):
    state, figures, item = _loaded(admin, _released(title="Exam A"))
    route(state, _path(999_999))
    run(AnalysisState.load, state)
    assert state.not_found and state.title == "" and state.rows == []
    assert item.label == "" and not figures.drawn


def _chosen(follow_up) -> str:
    """The label of a returned `ItemChartsState.choose` event."""
    assert follow_up.handler.fn.__qualname__.endswith("ItemChartsState.choose")
    return follow_up.args[0][1]._var_value


def test_section_filter_on_a_dtm_exam_in_russian(admin):
    """Issue 21: a DTM exam's five blocks as a Section column and filter (titles in the
    admin's language) that narrows the table and the figures; another exam starts from
    every section again."""
    dtm = _released(n=20, title="DTM", layout=DTM_BLOCK)
    with session_scope() as db:
        certificate = make_exam(db, title="Certificate").id  # open now: nothing to release
    with session_scope() as db:
        set_admin_language(db, admin.admin_id, "ru")
    state, figures, item = _loaded(admin, dtm)

    assert [s["key"] for s in state.sections] == ["s1", "s2", "s3", "s4", "s5"]
    assert [s["items"] for s in state.sections] == [10, 10, 10, 30, 30]
    assert state.sections[0]["ru"] == "Родной язык"
    assert state.sections[3]["ru"] == "Профильный предмет 1: Математика"
    assert state.section == "all" and len(state.rows) == 90
    assert [r["section"] for r in state.rows[::10]] == [0, 1, 2, 3, 3, 3, 4, 4, 4]
    assert all(r["options"].startswith("A") for r in state.rows)
    assert [t.name for t in item.icc.data] == ["модель Раша", "наблюдаемые"]

    follow_up = run(AnalysisState.set_section, state, "3")  # specialty subject 1: 31–60
    assert state.section == "3"
    assert [r["label"] for r in state.rows] == [str(n) for n in range(31, 61)]
    assert state.flagged_count == sum(1 for r in state.rows if r["flagged"])
    assert list(figures.scatter.data[0].text) == [str(n) for n in range(31, 61)]
    assert list(figures.fit.data[0].x) == [str(n) for n in range(31, 61)]
    calibrated = [r["label"] for r in state.rows if r["has_curve"]]
    assert calibrated and list(figures.wright.data[1].text) == calibrated
    assert sum(figures.wright.data[0].x) == 20  # the persons stay the whole exam's
    assert _chosen(follow_up) == "31"  # item 1 is not in this block: its first item
    run(ItemChartsState.choose, item, "99z")
    assert item.error == "Вопроса 99z нет в бланке ответов этого экзамена."
    for crafted in ("5", "-1", "s4", "all; DROP", 3):
        assert run(AnalysisState.set_section, state, crafted) is None
        assert state.section == "3" and len(state.rows) == 30

    route(state, _path(certificate))
    run(AnalysisState.load, state)
    assert state.section == "all" and len(state.rows) == 55
    assert [s["ru"] for s in state.sections] == ["Тестовые задания", "Задания с открытым ответом"]
    assert len(figures.scatter.data[0].x) == 55


def test_choosing_a_free_response_item_draws_its_curve_without_options(admin):
    exam_id = _released()
    _state, _figures, item = _loaded(admin, exam_id)

    run(ItemChartsState.choose, item, "36a")

    assert item.label == "36a" and item.has_options is False
    assert len(item.icc.data) == 2
    run(ItemChartsState.choose, item, "99z")
    assert "not on this exam's answer sheet" in item.error


def test_excluding_an_item_recalibrates_and_is_audited_then_restoring_it(admin):
    exam_id = _released()
    state, figures, _item = _loaded(admin, exam_id)

    steps = run(AnalysisState.set_excluded, state, "5", True)

    assert state.busy is False and state.error == ""
    assert "Excluded item 5" in state.notice and "Recalibrated" in state.notice
    row = next(r for r in state.rows if r["label"] == "5")
    assert row["excluded"] and row["flags"] == ["excluded"] and not row["flagged"]
    assert len(figures.scatter.data[0].x) == 54  # excluded items leave the charts
    assert any(getattr(s, "handler", None) for s in steps if s is not None)
    with session_scope() as db:
        actions = [a.action for a in db.exec(select(AuditLog).order_by(AuditLog.id))]
        assert actions[-2:] == ["item.exclude", "exam.recalibrate"]
        audited = db.exec(select(AuditLog).where(AuditLog.action == "item.exclude")).one()
        assert audited.admin_id == admin.admin_id and audited.details == {"item": "5"}

    run(AnalysisState.set_excluded, state, "5", False)
    assert "Restored item 5" in state.notice
    with session_scope() as db:
        item = db.exec(
            select(ExamItem).where(ExamItem.exam_id == exam_id, ExamItem.number == 5)
        ).one()
        assert item.is_excluded is False


def test_exclusion_is_refused_once_a_later_exam_is_released(admin):
    earlier = _released(n=12, days_ago=9, title="Earlier")
    _released(n=12, days_ago=2, title="Later")
    state, _figures, _item = _loaded(admin, earlier)

    run(AnalysisState.set_excluded, state, "3", True)

    assert state.error and "Later" in state.error
    with session_scope() as db:
        item = db.exec(
            select(ExamItem).where(ExamItem.exam_id == earlier, ExamItem.number == 3)
        ).one()
        assert item.is_excluded is False


def test_exclusion_ignores_labels_not_in_the_table(admin):
    exam_id = _released(n=12)
    state, _figures, _item = _loaded(admin, exam_id)
    run(AnalysisState.set_excluded, state, "1; DROP", True)
    assert state.notice == "" and state.error == ""


def test_analysis_of_an_unknown_exam_says_not_found(admin):
    state = make_state(AnalysisState, path=_path(424242), token=admin.token)
    assert run(AnalysisState.load, state) is None
    assert state.not_found and state.rows == []


def test_analysis_before_release_shows_live_counts_and_no_measures(admin):
    with session_scope() as db:
        exam = make_exam(db, title="Open")
        make_cohort(db, exam, n=5, graded=True)
        exam_id = exam.id
    state = make_state(AnalysisState, path=_path(exam_id), token=admin.token)
    run(AnalysisState.load, state)
    assert not state.released and state.participants == 5
    assert state.rows[0]["beta"] == "—" and state.rows[0]["facility"].endswith("%")


# --- analytics --------------------------------------------------------------------
def test_analytics_totals_and_every_chart(admin):
    exam_id = _released(n=20)
    with session_scope() as db:
        make_student(db)
    state = make_state(AnalyticsState, path="/admin/analytics", token=admin.token)

    follow_up = run(AnalyticsState.load, state)

    assert state.loaded
    assert state.students == 21 and state.sessions == 20 and state.submitted_sessions == 20
    assert state.exams == 1 and state.released_exams == 1
    assert [c["exam_id"] for c in state.exam_choices] == [str(exam_id)]
    figures = sibling(state, AnalyticsChartsState)
    assert [t.type for t in figures.growth.data] == ["bar", "scatter"]
    assert figures.retention.data[0].type == "heatmap"
    assert sum(figures.elo.data[0].y) == 20 and "20 rated" in figures.elo_summary
    assert [list(t.y) for t in figures.participation.data] == [[20], [20]]

    score = sibling(state, ScoreChartState)
    run(ScoreChartState.choose, score, follow_up.args[0][1]._var_value)
    assert score.exam_id == str(exam_id)
    assert sum(score.figure.data[0].y) == 20 and "scaled" in score.summary
    run(ScoreChartState.set_metric, score, "points")
    assert sum(score.figure.data[0].y) == 20 and "raw points" in score.summary
    assert score.figure.layout.xaxis.title.text == "points (of 55)"
    run(ScoreChartState.set_metric, score, "median")
    assert score.metric == "points"


def test_analytics_of_an_empty_database_draws_empty_charts(admin):
    state = make_state(AnalyticsState, path="/admin/analytics", token=admin.token)
    assert run(AnalyticsState.load, state) is None
    assert state.students == 0 and state.exam_choices == []
    figures = sibling(state, AnalyticsChartsState)
    assert figures.retention.data == () and figures.elo.data == ()


# --- students ---------------------------------------------------------------------
def test_students_list_searches_sorts_filters_and_pages(admin):
    with session_scope() as db:
        make_student(db, first_name="Zarina", username="zarina_m")
        gone = make_student(db, first_name="Akmal")
        gone.is_reachable = False
        gone.unreachable_reason = "blocked"
        db.add(gone)
        for k in range(55):
            make_student(db, first_name=f"Bulk{k:02d}")
    state = make_state(StudentsState, path="/admin/students", token=admin.token)

    run(StudentsState.load, state)
    assert state.total == 57 and len(state.rows) == 50
    run(StudentsState.page, state, 1)
    assert len(state.rows) == 7

    run(StudentsState.find, state, {"search": "zarina"})
    assert [r["name"] for r in state.rows] == ["Zarina"] and state.rows[0][
        "username"
    ] == "@zarina_m"

    run(StudentsState.find, state, {"search": ""})
    run(StudentsState.set_reachable, state, "unreachable")
    assert [r["name"] for r in state.rows] == ["Akmal"] and state.rows[0]["reason"] == "blocked"

    run(StudentsState.set_reachable, state, "all")
    run(StudentsState.sort_by, state, "name")
    names = [r["name"] for r in state.rows]
    assert names[0] == "Akmal" and state.descending is False
    run(StudentsState.sort_by, state, "drop table")
    assert state.sort == "name"
