"""The results on a group's page and the groups list as a teacher's dashboard, through their
handlers: a teacher sees their class against everyone, and nothing of another class."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from mockexam.admin.group_results import GroupResultsState
from mockexam.admin.groups import GroupsState
from mockexam.db import session_scope, utcnow
from mockexam.models import AdminRole, ExamSession
from mockexam.services import groups
from mockexam.services.release import release_exam
from tests.admin.helpers import admin_token, make_admin, make_state, run
from tests.factories import make_cohort, make_exam, make_student


def _centre(db_url: str) -> dict[str, int]:
    """Two classes over a released exam of 12: A (5 takers + 1 absent, taught by tess),
    B (3 takers, taught by tom); and today's exam, open, nobody has taken yet."""
    now = utcnow()
    tess = make_admin("tess", AdminRole.TEACHER)
    tom = make_admin("tom", AdminRole.TEACHER)
    with session_scope() as db:
        today = make_exam(db, title="December", start=now - timedelta(hours=1), hours=3)
        make_exam(db, title="January", start=now + timedelta(days=30), hours=3)
        exam = make_exam(db, title="October", start=now - timedelta(days=3), hours=3)
        make_cohort(db, exam, n=12, graded=True)
        takers = list(
            db.exec(
                select(ExamSession.student_id)
                .where(ExamSession.exam_id == exam.id)
                .order_by(col(ExamSession.id))
            )
        )
        a = groups.create_group(db, name="Matematika 9-A", actor_id=None)
        b = groups.create_group(db, name="Fizika 10", actor_id=None)
        for sid in takers[:5]:
            groups.add_member(db, a.id, sid, actor_id=None)
        absent = make_student(db, first_name="Bekzod", last_name="Yo'q")
        groups.add_member(db, a.id, absent.id, actor_id=None)
        for sid in takers[5:8]:
            groups.add_member(db, b.id, sid, actor_id=None)
        groups.set_teachers(db, a.id, [tess], actor_id=None)
        groups.set_teachers(db, b.id, [tom], actor_id=None)
        ids = {"a": a.id, "b": b.id, "exam": exam.id, "today": today.id}
    assert release_exam(ids["exam"]) is not None
    return ids


def test_a_teacher_sees_their_class_against_everyone(db_url):
    ids = _centre(db_url)
    state = make_state(
        GroupResultsState,
        path=f"/admin/groups/{ids['a']}",
        token=admin_token("tess", AdminRole.TEACHER),
    )
    run(GroupResultsState.load, state)

    assert state.loaded and state.error == ""
    assert [e["value"] for e in state.exams] == [str(ids["today"]), str(ids["exam"])]
    assert state.exam_id == str(ids["today"])  # the newest first: open, nobody took it yet
    assert (state.took, state.results, len(state.missed)) == (0, [], 6)
    assert [u["title"] for u in state.upcoming] == ["January"]

    run(GroupResultsState.choose_exam, state, str(ids["exam"]))
    assert state.exam_id == str(ids["exam"])
    assert (state.took, state.members, state.everyone_took) == (5, 6, 12)
    assert len(state.results) == 5 and [r["rank"] for r in state.results] == [1, 2, 3, 4, 5]
    assert state.missed == ["Bekzod Yo'q"]
    assert state.group_mean != "—" and state.everyone_mean != "—"
    assert state.difference.startswith(("+", "-"))
    assert len(state.items) == 55
    assert state.behind_count == sum(1 for i in state.items if i["behind"])
    # Not one of the group's exams: the newest; not an id: nothing changes.
    run(GroupResultsState.choose_exam, state, "x")
    assert state.exam_id == str(ids["exam"])
    run(GroupResultsState.choose_exam, state, "99999")
    assert state.exam_id == str(ids["today"])


def test_a_teacher_gets_nothing_of_another_class(db_url):
    ids = _centre(db_url)
    state = make_state(
        GroupResultsState,
        path=f"/admin/groups/{ids['b']}",
        token=admin_token("tess", AdminRole.TEACHER),
    )
    run(GroupResultsState.load, state)
    run(GroupResultsState.choose_exam, state, str(ids["exam"]))

    assert "no such group" in state.error
    assert (state.loaded, state.exams, state.results, state.missed, state.items) == (
        False,
        [],
        [],
        [],
        [],
    )
    assert state.took == 0 and state.group_mean == "—" and state.upcoming == []


def test_the_groups_list_is_the_teachers_dashboard(db_url):
    ids = _centre(db_url)
    tess = make_state(
        GroupsState, path="/admin/groups", token=admin_token("tess", AdminRole.TEACHER)
    )
    run(GroupsState.load, tess)
    owner = make_state(GroupsState, path="/admin/groups", token=admin_token("olga"))
    run(GroupsState.load, owner)

    [row] = tess.rows
    assert (row["name"], row["last_exam"], row["took"]) == ("Matematika 9-A", "December", "0 / 6")
    assert (row["group_mean"], row["ahead"]) == ("—", False)
    assert [(r["name"], r["took"]) for r in owner.rows] == [
        ("Fizika 10", "0 / 3"),
        ("Matematika 9-A", "0 / 6"),
    ]
    assert ids["a"] in {r["group_id"] for r in owner.rows}
