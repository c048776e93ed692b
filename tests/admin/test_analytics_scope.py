"""The analytics page by role: a teacher sees their own groups' students only, a group out of
their reach is refused, an owner filters to any group; a teacher without a group gets an
explained, empty page."""

from __future__ import annotations

from datetime import timedelta

from mockexam.admin.analytics import (
    ALL_GROUPS,
    AnalyticsChartsState,
    AnalyticsState,
    ScoreChartState,
)
from mockexam.admin.auth import AdminState, AuthStatus
from mockexam.db import session_scope, utcnow
from mockexam.models import AdminRole, ExamSession
from mockexam.services import groups
from mockexam.services.admins import set_admin_language
from tests.admin.helpers import admin_token, event_args, make_admin, make_state, run, sibling
from tests.factories import make_exam, make_student

SECRET = "B secret"


def _world() -> dict[str, int]:
    """Group A (tess teaches it): two students; group "B secret": one with full marks; one
    student in no group; an archived group; one exam everybody submitted."""
    tess = make_admin("tess", AdminRole.TEACHER)
    start = utcnow() - timedelta(days=3)
    with session_scope() as db:
        exam = make_exam(db, title="Weekly", start=start, hours=4)
        a = groups.create_group(db, name="A", actor_id=None)
        b = groups.create_group(db, name=SECRET, actor_id=None)
        old = groups.create_group(db, name="Old", actor_id=None)
        groups.set_teachers(db, a.id, [tess], actor_id=None)
        members = {"a1": a.id, "a2": a.id, "b1": b.id, "loner": None}
        scores = {"a1": 40.0, "a2": 60.0, "b1": 100.0, "loner": 0.0}
        for name, group_id in members.items():
            student = make_student(db, first_name=name)
            if group_id is not None:
                groups.add_member(db, group_id, student.id, actor_id=None)
            db.add(
                ExamSession(
                    student_id=student.id,
                    exam_id=exam.id,
                    started_at=start,
                    deadline=start + timedelta(hours=2),
                    submitted_at=start + timedelta(hours=1),
                    status="submitted",
                    scaled_score=scores[name],
                    points=scores[name] * 0.55,
                    max_points=55,
                )
            )
        groups.set_archived(db, old.id, archived=True, actor_id=None)
        return {"a": a.id, "b": b.id, "old": old.id, "exam": exam.id, "tess": tess}


def _load(token: str) -> tuple[AnalyticsState, ScoreChartState]:
    """The page loaded, and its score chart drawn as the page's follow-up event asks."""
    state = make_state(AnalyticsState, path="/admin/analytics", token=token)
    score = sibling(state, ScoreChartState)
    _follow(score, run(AnalyticsState.load, state))
    return state, score


def _follow(score: ScoreChartState, result: object) -> None:
    args = event_args(result, "ScoreChartState.choose")
    if args is not None:
        run(ScoreChartState.choose, score, args["exam_id"])


def _root_repr(state: AdminState) -> str:
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    return repr(root.dict())


def _submitted(score: ScoreChartState) -> int:
    return int(sum(score.figure.data[0].y))


def test_a_teacher_sees_only_the_students_of_their_groups(db_url):
    world = _world()
    state, score = _load(admin_token("tess", AdminRole.TEACHER))

    assert state.parent_state.auth_status == AuthStatus.OK and state.loaded
    assert not state.no_groups and state.error == ""
    assert state.group_options == [
        {"value": ALL_GROUPS, "label": "All my groups"},
        {"value": str(world["a"]), "label": "A"},
    ]
    assert state.group_choice == ALL_GROUPS
    assert (state.students, state.sessions, state.submitted_sessions) == (2, 2, 2)
    assert state.exams == 1  # exams are not students' data
    assert [c["exam_id"] for c in state.exam_choices] == [str(world["exam"])]
    assert "2 submitted" in state.exam_choices[0]["label"]
    figures = sibling(state, AnalyticsChartsState)
    assert [list(t.y) for t in figures.participation.data] == [[2], [2]]
    assert score.exam_id == str(world["exam"]) and _submitted(score) == 2
    assert score.summary.startswith("2 submitted")
    assert SECRET not in _root_repr(state)

    run(AnalyticsState.choose_group, state, str(world["a"]))  # their own group: allowed
    assert state.group_choice == str(world["a"]) and state.students == 2


def test_a_teachers_request_for_another_group_is_refused_and_changes_nothing(db_url):
    world = _world()
    token = admin_token("tess", AdminRole.TEACHER)
    state, score = _load(token)
    shown = (state.students, state.group_choice, state.group_options, state.exam_choices)

    for other in (world["b"], world["old"], 424242):
        assert run(AnalyticsState.choose_group, state, str(other)) is None
        assert state.error == "Choose a group from the list."
        assert (state.students, state.group_choice, state.group_options, state.exam_choices) == (
            shown
        )
        assert state._group_id is None
    for junk in ("", "abc", None, ["1"], "-1"):
        run(AnalyticsState.choose_group, state, junk)
        assert state.error == "Choose a group from the list." and state._group_id is None
    run(ScoreChartState.choose, score, str(world["exam"]))
    assert _submitted(score) == 2
    assert SECRET not in _root_repr(state)

    # A group id that got into the state some other way is checked again on the server:
    # the score chart draws nothing of it, and the next load falls back to the teacher's own.
    state._group_id = world["b"]
    run(ScoreChartState.choose, score, str(world["exam"]))
    assert score.figure.data == () and score.summary == ""
    _follow(score, run(AnalyticsState.load, state))
    assert state._group_id is None and state.group_choice == ALL_GROUPS and state.students == 2
    assert _submitted(score) == 2


def test_a_teacher_who_leaves_their_group_stops_seeing_it(db_url):
    world = _world()
    token = admin_token("tess", AdminRole.TEACHER)
    state, score = _load(token)
    run(AnalyticsState.choose_group, state, str(world["a"]))
    assert state.students == 2
    with session_scope() as db:
        groups.set_teachers(db, world["a"], [], actor_id=None)
    run(AnalyticsState.load, state)
    assert state.no_groups and state.students == 0 and state.group_options == []
    assert state._group_id is None
    assert sibling(state, AnalyticsChartsState).participation.data == ()
    assert score.exam_id == "" and score.figure.data == ()


def test_an_owner_picks_any_group_and_the_charts_follow(db_url):
    world = _world()
    state, score = _load(admin_token("olga"))

    assert [o["label"] for o in state.group_options] == ["All students", "A", SECRET]
    assert (state.students, state.submitted_sessions) == (4, 4)
    assert _submitted(score) == 4

    _follow(score, run(AnalyticsState.choose_group, state, str(world["b"])))
    assert state.error == "" and state.group_choice == str(world["b"])
    assert (state.students, state.submitted_sessions) == (1, 1)
    assert _submitted(score) == 1 and score.summary.startswith("1 submitted")
    figures = sibling(state, AnalyticsChartsState)
    assert [list(t.y) for t in figures.participation.data] == [[1], [1]]
    run(ScoreChartState.set_metric, score, "points")
    assert _submitted(score) == 1 and "raw points" in score.summary

    _follow(score, run(AnalyticsState.choose_group, state, str(world["a"])))
    assert state.students == 2 and _submitted(score) == 2

    for refused in (world["old"], 424242):  # archived, missing: not on the list
        run(AnalyticsState.choose_group, state, str(refused))
        assert state.error == "Choose a group from the list."
        assert state.group_choice == str(world["a"]) and state.students == 2

    _follow(score, run(AnalyticsState.choose_group, state, ALL_GROUPS))
    assert state.group_choice == ALL_GROUPS and state.students == 4 and _submitted(score) == 4


def test_a_group_without_submissions_shows_an_empty_score_chart(db_url):
    _world()
    with session_scope() as db:
        empty = groups.create_group(db, name="Empty", actor_id=None).id
    state, score = _load(admin_token("olga"))
    assert _submitted(score) == 4
    assert run(AnalyticsState.choose_group, state, str(empty)) is None
    assert state.students == 0 and state.exam_choices == []
    assert score.exam_id == "" and score.figure.data == ()
    assert score.figure.layout.annotations[0].text == "No submitted sessions."


def test_a_teacher_without_a_group_gets_an_explained_empty_page(db_url):
    world = _world()
    state, score = _load(admin_token("tina", AdminRole.TEACHER))

    assert state.parent_state.auth_status == AuthStatus.OK  # not refused: the page is theirs
    assert state.loaded and state.no_groups and state.error == ""
    assert (state.students, state.exams, state.exam_choices, state.group_options) == (0, 0, [], [])
    run(ScoreChartState.choose, score, str(world["exam"]))
    assert score.figure.data == () and score.summary == ""
    run(AnalyticsState.choose_group, state, str(world["a"]))
    assert state.error == "Choose a group from the list." and state._group_id is None
    assert SECRET not in _root_repr(state) and '"A"' not in _root_repr(state)


def test_the_group_filter_speaks_the_admins_language(db_url):
    world = _world()
    with session_scope() as db:
        set_admin_language(db, world["tess"], "ru")
    state, _score = _load(admin_token("tess", AdminRole.TEACHER))
    assert state.group_options[0]["label"] == "Все мои группы"
    run(AnalyticsState.choose_group, state, "424242")
    assert state.error == "Выберите группу из списка."
