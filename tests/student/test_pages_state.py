"""Results, history, achievements and leaderboard pages: their handlers against the real database.

Every page shows the caller's own data after a valid initData, nothing after
a forged one; the results page shows another student's session as "not
found" (without a trace of it in the state) and an unreleased one as "not
released"; unknown filter and board names change nothing. The leaderboard's
"My group" tab is there only for a student in a live group, and shows only
the student's own groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.gamification.leaderboard import Board
from mockexam.models import AchievementAward, GroupMember, StudentGroup
from mockexam.services import sessions as session_service
from mockexam.services.grading import grade_pending
from mockexam.services.sessions import AnswerChange
from mockexam.student.achievements import AchievementsState
from mockexam.student.auth import AuthStatus
from mockexam.student.history import HistoryState
from mockexam.student.leaderboard import GROUP_BOARD, LeaderboardState
from mockexam.student.results import ResultsState, ResultsView
from tests.factories import make_exam, make_student
from tests.gamification.support import release
from tests.student.helpers import init_data_for, make_state, run

ALICE, BOBUR = 555_101, 555_102


@dataclass(frozen=True)
class World:
    alice_id: int
    bobur_id: int
    released_exam_id: int
    alice_released: int  # Alice's session of the released exam
    bobur_released: int
    alice_open: int  # Alice's session of the exam open now (in progress)


def _world() -> World:
    """Two students who took a released exam; Alice also has one in progress now."""
    now = utcnow()
    with session_scope() as db:
        alice = make_student(db, telegram_id=ALICE, first_name="Alice", last_name="Karimova")
        bobur = make_student(db, telegram_id=BOBUR, first_name="Bobur", last_name="Aliyev")
        past = make_exam(db, title="Weekly #1", start=now - timedelta(days=2), hours=3)
        taken = {}
        for student, answers in (
            (
                alice,
                {
                    "1": AnswerChange(value="A"),  # right (key A)
                    "2": AnswerChange(value="A"),  # wrong (key B)
                    "4": AnswerChange(value="D", flagged=True),  # right, flagged
                    "36a": AnswerChange(value="36"),  # right
                },
            ),
            (bobur, {"1": AnswerChange(value="B")}),
        ):
            started = session_service.start_session(
                db, student_id=student.id, exam_id=past.id, now=past.window_start
            )
            session_service.save_answers(
                db,
                student_id=student.id,
                session_id=started.id,
                changes=answers,
                now=past.window_start + timedelta(minutes=5),
            )
            session_service.submit_session(
                db,
                student_id=student.id,
                session_id=started.id,
                now=past.window_start + timedelta(minutes=30),
            )
            taken[student.id] = started.id
        grade_pending(db, past.id, limit=10)
        release(db, past, {alice.id: 64.5, bobur.id: 40.0})
        current = make_exam(db, title="Weekly #2", start=now - timedelta(minutes=10), hours=3)
        open_session = session_service.start_session(
            db, student_id=alice.id, exam_id=current.id, now=now
        )
        return World(
            alice_id=alice.id,
            bobur_id=bobur.id,
            released_exam_id=past.id,
            alice_released=taken[alice.id],
            bobur_released=taken[bobur.id],
            alice_open=open_session.id,
        )


def _results(session_id: int | str, telegram_id: int = ALICE) -> tuple[ResultsState, object]:
    state = make_state(ResultsState, path=f"/app/results/{session_id}")
    events = run(ResultsState.load, state, init_data_for(telegram_id))
    return state, events


# --- results ------------------------------------------------------------------------------


def test_results_load_shows_the_callers_released_session(db_url):
    world = _world()
    state, events = _results(world.alice_released)

    assert state.auth_status == AuthStatus.OK
    assert state.view == ResultsView.READY
    assert state.title == "Weekly #1"
    assert state.points == 3 and state.max_points == 55
    assert state.exercises == 2
    assert state.max_exercises == 45
    assert state.has_scaled and state.scaled == 64.5
    assert state.has_se and state.scaled_se == 3.0
    assert state.grade == "B"
    assert state.has_elo and state.elo_before == 1200 and state.elo_change == 7
    assert state.elo_change_text == "+7"
    assert not state.is_provisional and not state.is_auto_submitted
    assert len(state.items) == 55
    by_label = {item["label"]: item for item in state.items}
    assert by_label["1"] == {
        "label": "1",
        "answer": "A",
        "correct": ["A"],
        "status": "right",
        "flagged": False,
        "section": 0,
        "first": True,  # the certificate's two sections: heading over 1 and over 36a
    }
    assert [i["label"] for i in state.items if i["first"]] == ["1", "36a"]
    assert [(s["numbers"], s["max_points"]) for s in state.sections] == [
        ("1–35", 35),
        ("36–45", 20),
    ]
    assert [s["points"] for s in state.sections] == [2, 1]
    assert not state.official_points and state.points_digits == 0
    assert by_label["2"]["status"] == "wrong" and by_label["2"]["correct"] == ["B"]
    assert by_label["3"]["status"] == "blank" and by_label["3"]["answer"] == ""
    assert by_label["4"]["flagged"] and by_label["4"]["status"] == "right"
    assert by_label["36a"]["status"] == "right"
    assert (state.n_right, state.n_wrong, state.n_flagged) == (3, 1, 1)
    assert state.n_blank == 51
    # The new awards are toasted once, and then seen.
    assert events
    with session_scope(readonly=True) as db:
        unseen = db.exec(
            select(AchievementAward).where(
                AchievementAward.student_id == world.alice_id,
                AchievementAward.seen_at.is_(None),  # type: ignore[union-attr]
            )
        ).all()
    assert unseen == []
    assert _results(world.alice_released)[1] is None


def test_results_of_another_students_session_are_not_found_and_not_leaked(db_url):
    world = _world()
    state, events = _results(world.bobur_released)

    assert state.view == ResultsView.NOT_FOUND
    assert events is None
    assert state.items == [] and state.title == "" and state.points == 0
    assert state.grade == "" and not state.has_elo and not state.has_scaled
    # Same answer for a session that does not exist, or a path without an id.
    assert _results(999_999)[0].view == ResultsView.NOT_FOUND
    assert _results("abc")[0].view == ResultsView.NOT_FOUND


def test_results_state_is_cleared_when_the_tab_moves_to_a_foreign_session(db_url):
    world = _world()
    state, _ = _results(world.alice_released)
    assert state.view == ResultsView.READY and state.items

    state.router = make_state(ResultsState, path=f"/app/results/{world.bobur_released}").router
    run(ResultsState.load, state, "")  # the tab is signed in already

    assert state.view == ResultsView.NOT_FOUND
    assert state.items == [] and state.title == "" and state.points == 0
    assert state.scaled == 0 and state.elo_after == 0 and state.n_right == 0


def test_results_of_an_exam_not_released_yet_say_so(db_url):
    world = _world()
    state, events = _results(world.alice_open)

    assert state.view == ResultsView.NOT_RELEASED
    assert events is None
    assert state.title == "Weekly #2"
    assert state.items == [] and state.points == 0 and state.grade == ""


def test_results_item_filter_accepts_only_known_filters(db_url):
    world = _world()
    state, _ = _results(world.alice_released)
    run(ResultsState.set_item_filter, state, "wrong")
    assert state.item_filter == "wrong"
    for bad in ("everything", "", None, 3):
        run(ResultsState.set_item_filter, state, bad)
        assert state.item_filter == "wrong"


# --- history ------------------------------------------------------------------------------


def test_history_load_lists_the_callers_exams_and_elo_trend(db_url):
    world = _world()
    state = make_state(HistoryState, path="/app/history")
    run(HistoryState.load, state, init_data_for(ALICE))

    assert state.loaded and not state.failed
    assert [row["session_id"] for row in state.rows] == [world.alice_open, world.alice_released]
    current, past = state.rows
    assert current["status"] == "in_progress" and current["points"] == ""
    assert not current["has_scaled"] and current["grade"] == "" and not current["has_elo"]
    assert current["href"].startswith("/app/exam/")
    assert past["status"] == "released" and past["points"] == "3/55" and past["exercises"] == "2/45"
    assert past["scaled"] == 64.5 and past["grade"] == "B"
    assert past["has_elo"] and past["elo_change_text"] == "+7"
    assert past["href"] == f"/app/results/{world.alice_released}"
    assert state.has_chart and state.elo_now == 1207
    line, latest = state.elo_figure.data
    assert list(line.y) == [1200.0, 1207.2] and list(latest.y) == [1207.2]


def test_history_of_a_new_student_is_empty_without_chart(db_url):
    _world()
    state = make_state(HistoryState, path="/app/history")
    run(HistoryState.load, state, init_data_for(777_201, first_name="New"))
    assert state.loaded and state.rows == [] and not state.has_chart


# --- achievements -------------------------------------------------------------------------


def test_achievements_load_shows_earned_and_locked_with_progress(db_url):
    world = _world()
    state = make_state(AchievementsState, path="/app/achievements")
    events = run(AchievementsState.load, state, init_data_for(ALICE))

    assert state.loaded and not state.failed
    earned = {a["code"] for a in state.earned}
    assert {"exams_1", "score_25", "score_50", "score_60"} <= earned
    assert all(a["exam_title"] == "Weekly #1" for a in state.earned)
    assert state.total == 16 and len(state.earned) + len(state.locked) == 16
    locked = {a["code"]: a for a in state.locked}
    assert "score_70" in locked
    assert locked["score_70"]["value"] == 64 and locked["score_70"]["threshold"] == 70
    assert 0 < locked["score_70"]["percent"] < 100
    assert locked["exams_5"]["value"] == 1 and locked["exams_5"]["percent"] == 20
    assert set(locked["score_70"]["name"]) == {"uz", "ru", "en"}
    assert events  # new awards toasted here when this page is opened first
    assert world.alice_id


# --- leaderboard --------------------------------------------------------------------------


def test_leaderboard_load_and_tab_switch_show_the_chosen_board(db_url):
    _world()
    state = make_state(LeaderboardState, path="/app/leaderboard")
    # Telegram's initData carries no last name here; the sign-in syncs the name.
    run(LeaderboardState.load, state, init_data_for(ALICE, first_name="Alice"))

    assert state.loaded and state.board == Board.TOP_RATED.value
    assert [(r["rank"], r["name"], r["is_you"]) for r in state.rows] == [
        (1, "Alice", True),
        (2, "Bobur A.", False),
    ]
    assert state.rows[0]["value"] == 1207
    assert state.has_you and state.you_rank == 1 and state.total == 2 and state.you_in_top

    run(LeaderboardState.select_board, state, Board.MOST_ACTIVE.value)
    assert state.board == Board.MOST_ACTIVE.value
    assert [r["value"] for r in state.rows] == [1, 1]

    before = (state.board, list(state.rows), state.you_rank, state.total)
    for bad in ("best_dressed", "", None, {"board": "top_rated"}):
        run(LeaderboardState.select_board, state, bad)
        assert (state.board, state.rows, state.you_rank, state.total) == before


def test_leaderboard_without_results_shows_own_row_missing(db_url):
    _world()
    state = make_state(LeaderboardState, path="/app/leaderboard")
    run(LeaderboardState.load, state, init_data_for(777_202, first_name="Newcomer"))
    assert state.loaded and not state.has_you and not state.you_in_top
    assert [r["name"] for r in state.rows] == ["Alice K.", "Bobur A."]
    assert not any(r["is_you"] for r in state.rows)


def test_leaderboard_tab_switch_before_sign_in_reads_nothing(db_url):
    _world()
    state = make_state(LeaderboardState, path="/app/leaderboard")
    run(LeaderboardState.select_board, state, Board.MOST_ACTIVE.value)
    assert not state.loaded and state.rows == [] and state.board == Board.TOP_RATED.value


def _groups(members: dict[str, list[int]], archived: tuple[str, ...] = ()) -> dict[str, int]:
    """Study groups by name, with their members; `archived` ones are archived."""
    ids = {}
    with session_scope() as db:
        for k, (name, student_ids) in enumerate(members.items()):
            group = StudentGroup(
                name=name,
                invite_code=f"grpcode{k:03d}",
                archived_at=utcnow() if name in archived else None,
            )
            db.add(group)
            db.flush()
            db.add_all(GroupMember(group_id=group.id, student_id=sid) for sid in student_ids)
            ids[name] = group.id
    return ids


def _leaderboard(telegram_id: int, first_name: str) -> LeaderboardState:
    """The leaderboard as the student opens it (the sign-in keeps only Telegram's first name)."""
    state = make_state(LeaderboardState, path="/app/leaderboard")
    run(LeaderboardState.load, state, init_data_for(telegram_id, first_name=first_name))
    return state


def test_leaderboard_group_tab_is_hidden_for_a_student_in_no_live_group(db_url):
    world = _world()
    groups = _groups({"Old class": [world.alice_id]}, archived=("Old class",))
    state = _leaderboard(ALICE, "Alice")
    assert state.loaded and state.groups == [] and state.group_id == ""

    before = (state.board, list(state.rows), state.total)
    run(LeaderboardState.select_board, state, GROUP_BOARD)
    run(LeaderboardState.select_group, state, str(groups["Old class"]))
    assert (state.board, state.rows, state.total) == before
    assert state.group_name == ""


def test_leaderboard_group_tab_ranks_the_members_of_the_students_group(db_url):
    world = _world()
    with session_scope() as db:
        carol = make_student(db, first_name="Carol", last_name="Lee").id
    groups = _groups({"Physics 10-A": [world.bobur_id, carol], "Chess": [world.alice_id]})
    state = _leaderboard(BOBUR, "Bobur")
    assert state.board == Board.TOP_RATED.value and state.total == 2
    assert state.groups == [{"id": str(groups["Physics 10-A"]), "name": "Physics 10-A"}]

    run(LeaderboardState.select_board, state, GROUP_BOARD)
    assert state.board == GROUP_BOARD and not state.failed
    assert (state.group_id, state.group_name) == (str(groups["Physics 10-A"]), "Physics 10-A")
    assert [(r["rank"], r["name"], r["is_you"]) for r in state.rows] == [(1, "Bobur", True)]
    assert state.has_you and state.you_rank == 1 and state.total == 1  # Carol has no rating yet

    # The page is opened again: the group board is read again, with the groups.
    run(LeaderboardState.load, state, "")
    assert state.board == GROUP_BOARD and state.group_name == "Physics 10-A"

    run(LeaderboardState.select_board, state, Board.MOST_ACTIVE.value)
    assert state.board == Board.MOST_ACTIVE.value and state.total == 2

    # Taken out of the group while on its board: the next read shows the overall board.
    run(LeaderboardState.select_board, state, GROUP_BOARD)
    with session_scope() as db:
        db.delete(db.get(GroupMember, (groups["Physics 10-A"], world.bobur_id)))
    run(LeaderboardState.load, state, "")
    assert state.board == Board.TOP_RATED.value and not state.failed
    assert (state.groups, state.group_id, state.group_name) == ([], "", "")
    assert state.total == 2


def test_leaderboard_group_choice_refuses_another_students_group(db_url):
    world = _world()
    groups = _groups(
        {
            "Algebra": [world.alice_id, world.bobur_id],
            "Biology": [world.alice_id],
            "Bobur's own": [world.bobur_id],
            "Closed": [world.alice_id, world.bobur_id],
        },
        archived=("Closed",),
    )
    state = _leaderboard(ALICE, "Alice")
    assert [g["name"] for g in state.groups] == ["Algebra", "Biology"]

    run(LeaderboardState.select_board, state, GROUP_BOARD)
    assert state.group_name == "Algebra"
    assert [r["name"] for r in state.rows] == ["Alice", "Bobur A."]
    run(LeaderboardState.select_group, state, str(groups["Biology"]))
    assert state.group_name == "Biology" and [r["name"] for r in state.rows] == ["Alice"]

    before = (state.board, state.group_id, state.group_name, list(state.rows), state.total)
    for bad in (str(groups["Bobur's own"]), str(groups["Closed"]), "999999", "", None, 3):
        run(LeaderboardState.select_group, state, bad)
        assert (state.board, state.group_id, state.group_name, state.rows, state.total) == before
    assert not state.failed


# --- every page refuses a forged sign-in -----------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "path"),
    [
        (ResultsState, "/app/results/{sid}"),
        (HistoryState, "/app/history"),
        (AchievementsState, "/app/achievements"),
        (LeaderboardState, "/app/leaderboard"),
    ],
)
def test_pages_refuse_forged_init_data_and_show_nothing(db_url, cls, path):
    world = _world()
    forged = init_data_for(ALICE, bot_token="123:another-bot")
    state = make_state(cls, path=path.format(sid=world.alice_released))
    events = run(cls.load, state, forged)

    assert events is None
    assert state.auth_status == AuthStatus.DENIED and state._student_id is None
    for name in ("items", "rows", "earned", "locked"):
        if hasattr(state, name):
            assert getattr(state, name) == []
    if isinstance(state, ResultsState):
        assert state.view == ResultsView.LOADING and state.title == ""
    else:
        assert not state.loaded
