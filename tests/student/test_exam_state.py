"""The exam page's handlers: every one checks who calls, which exam, and the server clock."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from reflex.istate.data import RouterData
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from mockexam.db import session_scope, utcnow
from mockexam.models import Exam, ExamSession, ExamStatus, SessionStatus, Student
from mockexam.services import sessions as session_service
from mockexam.services.exam_room import RoomPhase
from mockexam.student import exam as exam_module
from mockexam.student.auth import AuthStatus
from mockexam.student.exam import ExamState, View, parse_batch
from tests.factories import make_exam, make_student
from tests.student.helpers import init_data_for, make_state, run

OWNER_TG, OTHER_TG = 700_001, 700_002


def _setup(*, start_in: timedelta = -timedelta(minutes=10), hours: float = 3) -> int:
    """An exam (open now by default) and two students; returns the exam id."""
    with session_scope() as db:
        make_student(db, telegram_id=OWNER_TG, first_name="Owner")
        make_student(db, telegram_id=OTHER_TG, first_name="Other")
        exam = make_exam(db, title="Weekly #7", start=utcnow() + start_in, hours=hours)
        return exam.id


def _signed_in(exam_id: int, telegram_id: int = OWNER_TG) -> ExamState:
    state = make_state(ExamState, path=f"/app/exam/{exam_id}")
    run(ExamState.load, state, init_data_for(telegram_id))
    assert state.auth_status == AuthStatus.OK
    return state


def _started(exam_id: int, telegram_id: int = OWNER_TG) -> ExamState:
    state = _signed_in(exam_id, telegram_id)
    run(ExamState.start, state)
    assert state.phase == RoomPhase.IN_PROGRESS
    return state


def _stored(exam_id: int, telegram_id: int = OWNER_TG) -> dict[str, tuple[str, bool]]:
    """label → (value, flagged) stored for the student's session of the exam."""
    with session_scope(readonly=True) as db:
        session_id = db.exec(
            select(ExamSession.id)
            .join(Student, col(Student.id) == ExamSession.student_id)
            .where(ExamSession.exam_id == exam_id, Student.telegram_id == telegram_id)
        ).first()
        if session_id is None:
            return {}
        answers = session_service.session_answers(db, session_id)
        return {label: (a.value, a.is_flagged) for label, a in answers.items()}


def _batch(seq: int, **changes: tuple[str | None, bool | None]) -> dict:
    return {
        "seq": seq,
        "changes": {
            label.removeprefix("q"): {"value": value, "flagged": flagged}
            for label, (value, flagged) in changes.items()
        },
    }


def _session_count() -> int:
    with session_scope(readonly=True) as db:
        return len(db.exec(select(ExamSession)).all())


# --- loading and the lobby ------------------------------------------------------------------


def test_exam_lobby_turns_into_the_start_button_on_refresh(db_url):
    exam_id = _setup(start_in=timedelta(minutes=5))
    state = _signed_in(exam_id)
    assert state.phase == RoomPhase.LOBBY
    assert 290 <= state.seconds_until_start <= 300
    assert state.title == "Weekly #7" and state.items == [] and state.sheet_key == ""

    # The window opens (here: moved to now); the lobby countdown's on_done re-reads.
    with session_scope() as db:
        db.execute(
            update(Exam)
            .where(Exam.id == exam_id)
            .values(window_start=utcnow() - timedelta(seconds=1))
        )
    run(ExamState.refresh, state)
    assert state.phase == RoomPhase.OPEN and state.seconds_until_end > 0


def test_exam_lobby_opens_on_the_countdown_by_the_server_clock_without_reading(db_url, monkeypatch):
    exam_id = _setup(start_in=timedelta(seconds=2))
    state = _signed_in(exam_id)
    assert state.phase == RoomPhase.LOBBY

    run(ExamState.opened, state)  # a phone clock ahead of the server's: not yet
    assert state.phase == RoomPhase.LOBBY and state.seconds_until_start > 0

    def no_reads(**_kwargs: object) -> None:
        raise AssertionError("opened read the database")

    later = utcnow() + timedelta(seconds=3)
    monkeypatch.setattr(exam_module, "get_exam_room", no_reads)
    monkeypatch.setattr("mockexam.services.exam_room.utcnow", lambda: later)
    run(ExamState.opened, state)  # every lobby sends this in the same second
    assert state.phase == RoomPhase.OPEN
    assert 3 * 3600 - 10 <= state.seconds_until_end <= 3 * 3600  # `start` still checks


def test_exam_start_refused_before_the_window_opens(db_url):
    exam_id = _setup(start_in=timedelta(hours=1))
    state = _signed_in(exam_id)

    run(ExamState.start, state)

    assert state.phase == RoomPhase.LOBBY
    assert state.start_error and not state.starting
    assert _session_count() == 0


def test_exam_start_shows_the_sheet_with_a_paper_link_and_the_clock(db_url):
    exam_id = _setup()
    state = _started(exam_id)

    assert len(state.items) == 55 and state.items[0]["label"] == "1"
    assert state.items[35] == {
        "label": "36a",
        "number": 36,
        "sub_part": "a",
        "kind": "free",
        "options": [],
    }
    assert state.saved == {} and state.ack_seq == 0 and state.sheet_key.startswith("s")
    assert 150 * 60 - 5 <= state.seconds_left <= 150 * 60
    assert state.load_id


def test_exam_load_without_a_number_or_of_a_draft_is_not_found(db_url):
    exam_id = _setup()
    with session_scope() as db:
        db.execute(update(Exam).where(Exam.id == exam_id).values(status=ExamStatus.DRAFT))
    assert _signed_in(exam_id).phase == View.NOT_FOUND
    state = make_state(ExamState, path="/app/exam/abc")
    run(ExamState.load, state, init_data_for(OWNER_TG))
    assert state.phase == View.NOT_FOUND


def test_exam_released_redirects_to_the_results(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    with session_scope() as db:
        db.execute(update(Exam).where(Exam.id == exam_id).values(status=ExamStatus.RELEASED))
        db.execute(
            update(ExamSession)
            .where(ExamSession.exam_id == exam_id)
            .values(status=SessionStatus.RELEASED, submitted_at=utcnow())
        )
    events = run(ExamState.load, state, "")
    assert state.phase == RoomPhase.RELEASED
    assert state.results_href.startswith("/app/results/")
    assert events and state.results_href in str(events[0])
    assert state.items == [] and state.saved == {}


def test_exam_closed_for_a_student_who_never_started(db_url):
    exam_id = _setup(start_in=-timedelta(hours=5), hours=2)
    state = _signed_in(exam_id)
    assert state.phase == RoomPhase.CLOSED
    run(ExamState.start, state)
    assert state.phase == RoomPhase.CLOSED and state.start_error
    assert _session_count() == 0


# --- saving -------------------------------------------------------------------------------


def test_exam_save_stores_a_valid_batch_and_acks_it(db_url):
    exam_id = _setup()
    state = _started(exam_id)

    result = run(
        ExamState.save, state, _batch(3, q1=("b", None), q36a=(" −1/2 ", True), q2=(None, True))
    )

    assert result is None
    assert state.ack_seq == 3 and state.rejected == {} and state.save_error == ""
    assert _stored(exam_id) == {"1": ("B", False), "36a": ("−1/2", True), "2": ("", True)}
    # The ack is all that changes: the sheet's answers are not sent back.
    assert state.saved == {}
    # A reload shows them.
    run(ExamState.load, state, "")
    assert state.saved["36a"] == {"value": "−1/2", "flagged": True}


@pytest.mark.parametrize(
    "batch",
    [
        None,
        "1=A",
        [1, 2],
        {"seq": "3", "changes": {}},
        {"seq": True, "changes": {}},
        {"seq": -1, "changes": {}},
        {"seq": 2**60, "changes": {}},
        {"seq": 3, "changes": [["1", "A"]]},
        {"seq": 3, "changes": {str(n): {"value": "A"} for n in range(1, 122)}},
        {"seq": 3, "changes": {"1": {"value": "A"}}, "session_id": 1},
        {"seq": 3, "changes": {"1": {"value": "A"}}, "auto": True},
        {"seq": 3, "changes": {"1" * 40: {"value": "A"}}},
    ],
    ids=repr,
)
def test_exam_save_refuses_a_malformed_batch_whole(db_url, batch):
    exam_id = _setup()
    state = _started(exam_id)

    run(ExamState.save, state, batch)

    assert state.ack_seq == 0 and state.save_error
    assert _stored(exam_id) == {}


def test_exam_save_refuses_each_bad_answer_with_a_reason_and_keeps_the_good(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    batch = {
        "seq": 9,
        "changes": {
            "1": {"value": "A", "flagged": None},
            "7": {"value": "E", "flagged": None},
            "46": {"value": "A", "flagged": None},
            "36a": {"value": "9" * 65, "flagged": None},
            "36b": {"value": 12, "flagged": None},
            "37a": {"value": "1", "flagged": "yes"},
            "37b": {"value": "1\n2", "flagged": None},
            "38a": "A",
            "38b": {"value": "1", "evil": True},
        },
    }

    run(ExamState.save, state, batch)

    assert state.ack_seq == 9
    assert set(state.rejected) == {"7", "46", "36a", "36b", "37a", "37b", "38a", "38b"}
    assert "A, B, C, D" in state.rejected["7"] and "64" in state.rejected["36a"]
    assert _stored(exam_id) == {"1": ("A", False)}
    # A later good value clears the refusal of that answer only (refusals of labels
    # that are not on the sheet last one ack: `rejected` stays as small as the sheet).
    run(ExamState.save, state, _batch(10, q7=("D", None)))
    assert set(state.rejected) == {"36a", "36b", "37a", "37b", "38a", "38b"}
    assert state.ack_seq == 10


def test_exam_save_after_the_deadline_is_refused_and_shows_the_waiting_view(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    with session_scope() as db:
        db.execute(
            update(ExamSession)
            .where(ExamSession.exam_id == exam_id)
            .values(deadline=utcnow() - timedelta(seconds=1))
        )

    events = run(ExamState.save, state, _batch(4, q1=("A", None)))

    assert state.ack_seq == 0
    assert state.phase == RoomPhase.SUBMITTED and state.is_auto_submitted
    assert "Vaqt tugadi" in state.notice
    assert state.items == [] and state.saved == {}
    assert events  # the localStorage copy is dropped, the phone buzzes
    assert _stored(exam_id) == {}


def test_exam_save_and_submit_refused_for_an_exam_the_caller_has_not_started(db_url):
    exam_id = _setup()
    owner = _started(exam_id)
    run(ExamState.save, owner, _batch(1, q1=("A", None)))
    other = _signed_in(exam_id, OTHER_TG)  # same exam in the route, no session of theirs
    assert other.phase == RoomPhase.OPEN and other.items == [] and other.saved == {}

    run(ExamState.save, other, _batch(5, q1=("D", None), q2=("C", None)))
    assert other.ack_seq == 0 and other.save_error
    run(ExamState.submit, other, _batch(6, q1=("D", None)))
    assert other.ack_seq == 0 and other.save_error

    assert _stored(exam_id) == {"1": ("A", False)}
    assert _stored(exam_id, OTHER_TG) == {}
    with session_scope(readonly=True) as db:
        owner_session = db.exec(select(ExamSession).where(ExamSession.exam_id == exam_id)).one()
    assert owner_session.submitted_at is None and _session_count() == 1


def test_exam_route_decides_the_exam_not_the_tab_history(db_url):
    first = _setup()
    with session_scope() as db:
        second = make_exam(db, title="Other exam", start=utcnow() + timedelta(days=3)).id
    state = _started(first)
    run(ExamState.save, state, _batch(1, q1=("A", None)))
    # The same tab now on the other exam's route: nothing of the first is shown or written.
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    path = f"/app/exam/{second}"
    root.router = RouterData.from_router_data(
        {"pathname": path, "asPath": path, "query": {}, "token": "test-token", "headers": {}}
    )
    run(ExamState.load, state, "")
    assert state.phase == RoomPhase.LOBBY and state.items == [] and state.sheet_key == ""
    run(ExamState.save, state, _batch(2, q1=("B", None)))
    assert state.ack_seq == 0
    assert _stored(first) == {"1": ("A", False)}


def test_exam_database_error_sends_no_ack_and_says_not_saved(db_url, monkeypatch):
    exam_id = _setup()
    state = _started(exam_id)

    def broken(**_kwargs: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(exam_module, "save_sheet", broken)
    run(ExamState.save, state, _batch(2, q1=("A", None)))
    assert state.ack_seq == 0 and "saqlanmadi" in state.save_error
    monkeypatch.undo()
    run(ExamState.save, state, _batch(3, q1=("A", None)))
    assert state.ack_seq == 3 and state.save_error == ""
    assert _stored(exam_id) == {"1": ("A", False)}


def test_exam_save_of_an_older_batch_after_a_newer_one_keeps_the_newer_answer(db_url):
    """Under load the state lock runs a tab's events in any order: seq 5 before seq 3."""
    exam_id = _setup()
    state = _started(exam_id)

    run(ExamState.save, state, _batch(5, q1=("B", None), q2=("C", None)))
    run(ExamState.save, state, _batch(3, q1=("A", None)))  # sent earlier, processed later

    assert _stored(exam_id) == {"1": ("B", False), "2": ("C", False)}
    assert state.ack_seq == 5 and state.save_error == ""
    # A new page load starts over (the sheet re-sends what is pending with its seq).
    run(ExamState.load, state, init_data_for(OWNER_TG))
    run(ExamState.save, state, _batch(3, q1=("A", None)))
    assert state.ack_seq == 3 and _stored(exam_id)["1"] == ("A", False)
    run(ExamState.submit, state, {**_batch(2, q1=("D", None)), "auto": False})
    assert state.phase == RoomPhase.SUBMITTED
    assert _stored(exam_id)["1"] == ("A", False)  # the stale submit batch stored nothing


def test_exam_save_sent_before_the_page_loaded_again_stores_nothing(db_url):
    """Queued from the last page load, processed after this one acked newer answers."""
    exam_id = _setup()
    state = _started(exam_id)
    before = state.load_id
    run(ExamState.save, state, {**_batch(4, q1=("A", None)), "load": before})
    queued_late = {**_batch(6, q1=("B", None)), "load": before}

    run(ExamState.load, state, init_data_for(OWNER_TG))  # a reconnect: a new page load
    assert state.load_id != before
    run(ExamState.save, state, {**_batch(7, q1=("C", None)), "load": state.load_id})
    run(ExamState.save, state, queued_late)

    assert _stored(exam_id)["1"] == ("C", False)
    assert state.ack_seq == 7
    run(ExamState.submit, state, {**_batch(8, q2=("D", None)), "load": before, "auto": False})
    assert state.phase == RoomPhase.IN_PROGRESS  # an earlier load's submit: sent again
    run(ExamState.submit, state, {**_batch(8, q2=("D", None)), "load": state.load_id})
    assert state.phase == RoomPhase.SUBMITTED and _stored(exam_id)["2"] == ("D", False)


def test_exam_tab_that_lost_its_state_signs_in_again_before_saving(db_url):
    exam_id = _setup()
    _started(exam_id)
    fresh = make_state(ExamState, path=f"/app/exam/{exam_id}")  # after a backend restart

    assert run(ExamState.save, fresh, _batch(7, q5=("C", None))) is None
    assert fresh.ack_seq == 0 and _stored(exam_id) == {}
    assert run(ExamState.refresh, fresh) is exam_module.EXAM_ON_LOAD

    run(ExamState.load, fresh, init_data_for(OWNER_TG))  # the on_load reruns on reconnect
    assert fresh.phase == RoomPhase.IN_PROGRESS
    run(ExamState.save, fresh, _batch(7, q5=("C", None)))  # the sheet re-sends
    assert fresh.ack_seq == 7 and _stored(exam_id) == {"5": ("C", False)}


# --- submitting ----------------------------------------------------------------------------


def test_exam_submit_stores_the_pending_changes_and_shows_the_waiting_view(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    key = state.sheet_key

    events = run(ExamState.submit, state, {**_batch(12, q3=("C", True)), "auto": True})

    assert state.phase == RoomPhase.SUBMITTED
    assert not state.is_auto_submitted  # too early for the clock: a normal submit
    assert state.ack_seq == 12 and state.notice == ""
    assert _stored(exam_id) == {"3": ("C", True)}
    assert any(f"mockexam:sheet:{key}" in str(event) for event in events)
    # Nothing changes after submit.
    run(ExamState.save, state, _batch(13, q3=("A", None)))
    assert state.ack_seq == 12 and _stored(exam_id) == {"3": ("C", True)}


def test_exam_submit_after_the_deadline_counts_as_auto_and_drops_the_changes(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    with session_scope() as db:
        db.execute(
            update(ExamSession)
            .where(ExamSession.exam_id == exam_id)
            .values(deadline=utcnow() - timedelta(seconds=2))
        )

    run(ExamState.submit, state, {**_batch(3, q1=("A", None)), "auto": True})

    assert state.phase == RoomPhase.SUBMITTED and state.is_auto_submitted
    assert state.notice and _stored(exam_id) == {}


def test_exam_submit_refuses_a_malformed_batch(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    run(ExamState.submit, state, {"seq": 1, "changes": {}, "auto": "yes"})
    assert state.phase == RoomPhase.IN_PROGRESS and state.save_error
    with session_scope(readonly=True) as db:
        assert db.exec(select(ExamSession)).one().submitted_at is None


# --- identity -------------------------------------------------------------------------------


def test_exam_forged_stale_and_foreign_init_data_see_and_change_nothing(db_url):
    exam_id = _setup()
    owner = _started(exam_id)
    run(ExamState.save, owner, _batch(1, q1=("A", None)))
    forged = init_data_for(OWNER_TG, bot_token="123:another-bot")
    stale = init_data_for(OWNER_TG, auth_date=int(time.time()) - 3 * 24 * 3600)
    tampered = init_data_for(OTHER_TG).replace("Test", "Evil")
    for bad in (forged, stale, tampered, "", "x" * 10_000, None, 42):
        state = make_state(ExamState, path=f"/app/exam/{exam_id}")
        run(ExamState.load, state, bad)
        assert state.auth_status == AuthStatus.DENIED and state._student_id is None
        assert state.phase == View.LOADING and state.title == "" and state.items == []
        assert state.saved == {} and state.sheet_key == ""
        for handler, args in (
            (ExamState.save, (_batch(2, q1=("D", None)),)),
            (ExamState.submit, (_batch(2, q1=("D", None)),)),
            (ExamState.start, ()),
            (ExamState.resync, ()),
        ):
            run(handler, state, *args)
            assert state.ack_seq == 0 and state.items == []
    assert _stored(exam_id) == {"1": ("A", False)}
    assert _session_count() == 1


def test_exam_resync_sends_the_true_seconds_left(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    state.seconds_left = 5  # as if the phone slept
    run(ExamState.resync, state)
    assert state.seconds_left > 140 * 60


def test_parse_batch_keeps_labels_as_sent():
    seq, changes, refused, auto = parse_batch(
        {"seq": 4, "changes": {"36a": {"value": "x", "flagged": None}, "1": {"flagged": True}}}
    )
    assert (seq, auto, refused) == (4, False, {})
    assert changes["36a"].value == "x" and changes["1"].flagged is True


def test_exam_refusals_stay_as_small_as_the_sheet(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    for round_ in range(3):
        fake = {f"{900 + round_}x{k}": {"value": "A", "flagged": None} for k in range(120)}
        run(ExamState.save, state, {"seq": round_ + 1, "changes": fake})
        assert len(state.rejected) == 120 and state.ack_seq == round_ + 1
    assert _stored(exam_id) == {}
