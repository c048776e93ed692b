"""The exam page's handlers: every one checks who calls, which exam, and the server clock."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx
import pytest
from reflex.istate.data import RouterData
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from mockexam import api as api_module
from mockexam.api import SheetSaves, create_api
from mockexam.db import session_scope, utcnow
from mockexam.errors import AlreadySubmittedError, DeadlinePassedError
from mockexam.models import Exam, ExamSession, ExamStatus, SessionStatus, Student
from mockexam.services import exam_room
from mockexam.services import sessions as session_service
from mockexam.services.exam_room import RoomPhase
from mockexam.services.paper import paper_token
from mockexam.student import exam as exam_module
from mockexam.student.auth import AuthStatus
from mockexam.student.exam import ExamState, View
from mockexam.student.sheet_protocol import parse_batch
from tests.factories import make_exam, make_student
from tests.student.helpers import init_data_for, make_state, run
from tests.student.sheet_http import post_json

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


def test_exam_lobby_sends_the_counts_its_gate_opens_by_and_start_needs_no_event_before(
    db_url, monkeypatch
):
    """At the opening the lobby turns into the start button in the browser (a clock gate on
    `seconds_until_start`); the open view's countdown then starts from the window's length.
    No handler runs for it: `start` checks the window on the server clock."""
    exam_id = _setup(start_in=timedelta(seconds=2))
    state = _signed_in(exam_id)
    assert state.phase == RoomPhase.LOBBY and 0 < state.seconds_until_start <= 2
    window = state.seconds_until_end - state.seconds_until_start
    assert 3 * 3600 - 1 <= window <= 3 * 3600
    assert "opened" not in ExamState.event_handlers

    later = utcnow() + timedelta(seconds=3)  # the gate has opened: the student taps Start
    monkeypatch.setattr("mockexam.services.exam_room.utcnow", lambda: later)
    run(ExamState.start, state)
    assert state.phase == RoomPhase.IN_PROGRESS and state.items
    assert 150 * 60 - 5 <= state.seconds_left <= 150 * 60  # the duration, from the start


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
        "section": 1,
    }
    assert [s["rules"]["en"] for s in state.sections] == [
        "1–35: one option (A–D).",
        "36–45: type the a) and b) answers.",
    ]
    assert state.saved == {} and state.sheet_key.startswith("s")
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


# --- saving (HTTP: mockexam/api.py, as the sheet posts) --------------------------------------

DEVICE = "tab-one-device"


def _save(state: ExamState, batch: object, *, device: str | None = DEVICE, **extra: object):
    """POST `batch` as the sheet does (its device, the page's token); (status, JSON answer)."""
    body: object = batch
    if isinstance(batch, dict):
        body = {**batch, "t": state.save_token, "lang": state.lang, **extra}
        if device is not None:
            body.setdefault("device", device)
    response = _post(state.save_url or f"/api/sheet/{state._path_id()}", body)
    return response.status_code, response.json()


def _not_reached(scope, receive, send):
    raise AssertionError(f"{scope['method']} {scope['path']} went past the sheet's saves")


# What answers a save: `create_api()`'s route (as under Reflex's own runner), or
# `SheetSaves` in front of the whole app (as under make run-scale): see `front`.
_FRONT = {"app": create_api}


@pytest.fixture(params=["api route", "in front of reflex"])
def front(request, monkeypatch):
    """Run the test's saves through each way in: the same answers either way."""
    if request.param == "in front of reflex":
        monkeypatch.setitem(_FRONT, "app", lambda: SheetSaves(_not_reached))
    return request.param


def _post(path: str, body: object, **headers: str) -> httpx.Response:
    """POST `body` as JSON text to a fresh api (the real route, in process)."""
    return post_json(_FRONT["app"](), path, body, **headers)


def test_exam_save_stores_a_valid_batch_and_acks_it(db_url, front):
    exam_id = _setup()
    state = _started(exam_id)
    assert state.save_url == f"/api/sheet/{exam_id}" and state.save_token

    status, answer = _save(state, _batch(3, q1=("b", None), q36a=(" −1/2 ", True), q2=(None, True)))

    assert (status, answer) == (200, {"ack": 3, "rejected": {}})
    assert _stored(exam_id) == {"1": ("B", False), "36a": ("−1/2", True), "2": ("", True)}
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
        {"seq": 3, "changes": {"1": {"value": "A"}}, "device": "no spaces allowed"},
        {"seq": 3, "changes": {"1": {"value": "A"}}, "device": None},
    ],
    ids=repr,
)
def test_exam_save_refuses_a_malformed_batch_whole(db_url, batch, front):
    exam_id = _setup()
    state = _started(exam_id)

    status, answer = _save(state, batch)

    assert status == 400 and "ack" not in answer and answer["error"]
    assert _stored(exam_id) == {}


def test_exam_save_answers_deeply_nested_json_with_400_not_a_traceback(db_url, front):
    exam_id = _setup()
    _started(exam_id)
    response = _post_raw(f"/api/sheet/{exam_id}", b"[" * 30_000)
    assert response.status_code == 400 and response.json()["error"]
    assert _stored(exam_id) == {}


def _post_raw(path: str, content: bytes) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=_FRONT["app"]())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.post(path, content=content, headers={"content-type": "text/plain"})

    return asyncio.run(send())


def test_exam_save_from_the_dev_page_needs_no_preflight_and_may_read_the_answer(db_url, front):
    exam_id = _setup()
    state = _started(exam_id)
    body = {**_batch(1, q1=("A", None)), "t": state.save_token, "device": DEVICE}
    response = _post(state.save_url, body, origin="http://localhost:3000")
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cache-control"] == "private, no-store"


def test_exam_save_refuses_a_body_over_the_limit(db_url, front):
    exam_id = _setup()
    state = _started(exam_id)
    status, answer = _save(state, _batch(1, q1=("A", None)), padding="x" * 70_000)
    assert status == 413 and answer["error"] and _stored(exam_id) == {}


def test_exam_save_refuses_a_streamed_body_over_the_limit_without_reading_on(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    chunk = json.dumps({**_batch(1, q1=("A", None)), "t": state.save_token}).encode()
    received: list[int] = []
    sent: list[dict] = []

    async def receive():  # no content-length: the body comes in 10 KiB pieces, forever
        received.append(1)
        return {"type": "http.request", "body": chunk + b" " * 10_240, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": f"/api/sheet/{exam_id}", "headers": []}
    asyncio.run(SheetSaves(_not_reached)(scope, receive, send))
    assert sent[0]["status"] == 413 and json.loads(sent[1]["body"])["error"]
    assert len(received) <= 8 and _stored(exam_id) == {}  # stopped past 64 KiB


def test_sheet_saves_in_front_answer_only_posts_to_a_sheet_and_pass_the_rest_on():
    passed: list[tuple[str, str]] = []

    async def inner(scope, receive, send):
        passed.append((scope["type"], scope.get("method", ""), scope.get("path", "")))

    front = SheetSaves(inner)
    for method, path in [
        ("GET", "/api/sheet/7"),
        ("OPTIONS", "/api/sheet/7"),
        ("POST", "/api/sheet/"),
        ("POST", "/api/sheet/7/x"),
        ("POST", "/api/sheet/seven"),
        ("POST", "/api/sheet/١"),  # a digit, but not an ASCII one
        ("POST", "/api/sheets/7"),
        ("POST", "/api/sheet/practice/seven"),
        ("POST", "/_event/"),
    ]:
        asyncio.run(front({"type": "http", "method": method, "path": path}, None, None))
    asyncio.run(front({"type": "lifespan"}, None, None))
    asyncio.run(front({"type": "websocket", "path": "/_event/"}, None, None))
    assert len(passed) == 11 and passed[-2][0] == "lifespan"
    targets = [
        api_module.sheet_target(p)
        for p in ("/api/sheet/7", "/api/sheet/0012", "/api/sheet/practice/3/submit")
    ]
    assert [(sheet.name, owner, what) for sheet, owner, what in targets] == [
        ("exam", 7, "save"),
        ("exam", 12, "save"),
        ("practice", 3, "submit"),
    ]
    for path in ("/api/sheet/practice/", "/api/sheet/practice/x", "/api/sheet/practice/3/x"):
        assert api_module.sheet_target(path) is None


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

    status, answer = _save(state, batch)

    assert status == 200 and answer["ack"] == 9
    rejected = answer["rejected"]
    assert set(rejected) == {"7", "46", "36a", "36b", "37a", "37b", "38a", "38b"}
    assert "A, B, C, D" in rejected["7"] and "64" in rejected["36a"]
    assert _stored(exam_id) == {"1": ("A", False)}
    status, answer = _save(state, _batch(10, q7=("D", None)))
    assert (status, answer) == (200, {"ack": 10, "rejected": {}})


def test_exam_save_after_the_deadline_is_refused_and_the_page_shows_the_waiting_view(db_url, front):
    exam_id = _setup()
    state = _started(exam_id)
    with session_scope() as db:
        db.execute(
            update(ExamSession)
            .where(ExamSession.exam_id == exam_id)
            .values(deadline=utcnow() - timedelta(seconds=1))
        )

    status, answer = _save(state, _batch(4, q1=("A", None)))
    assert status == 409 and answer["closed"] is True and "Vaqt tugadi" in answer["error"]
    assert _stored(exam_id) == {}

    events = run(ExamState.sheet_closed, state)  # the sheet asks the page to read itself

    assert state.phase == RoomPhase.SUBMITTED and state.is_auto_submitted
    assert "Vaqt tugadi" in state.notice
    assert state.items == [] and state.saved == {} and state.save_token == ""
    assert events  # the localStorage copy is dropped, the phone buzzes


def test_exam_sheet_closed_while_still_running_hands_over_a_new_credential(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    before = state.load_id
    state.save_token = "1.2.forged"  # as if the page held a credential no longer good

    status, answer = _save(state, _batch(1, q1=("A", None)))
    assert status == 401 and answer["reload"] is True
    run(ExamState.sheet_closed, state)

    assert state.phase == RoomPhase.IN_PROGRESS and state.notice == ""
    assert state.load_id != before  # the sheet re-sends its pending changes with the new one
    assert _save(state, _batch(1, q1=("A", None)))[0] == 200
    assert _stored(exam_id) == {"1": ("A", False)}


def test_exam_save_token_is_bound_to_its_student_and_exam_and_expires(db_url, front):
    exam_id = _setup()
    owner = _started(exam_id)
    other = _started(exam_id, OTHER_TG)
    second = exam_id + 1  # any other exam: the credential names its own
    assert _save(owner, _batch(1, q1=("A", None)))[0] == 200

    # The other student's token only ever writes their own session.
    assert _save(other, _batch(1, q1=("D", None)))[0] == 200
    assert _stored(exam_id) == {"1": ("A", False)}
    assert _stored(exam_id, OTHER_TG) == {"1": ("D", False)}
    # Moved to another exam, tampered with, missing, expired: refused, nothing stored.
    moved = _post(
        f"/api/sheet/{second}",
        {**_batch(2, q1=("B", None)), "t": owner.save_token, "device": DEVICE},
    )
    assert moved.status_code == 401
    student, expires, signature = owner.save_token.split(".")
    for bad in (
        f"{student}.{int(expires) + 60}.{signature}",
        f"{int(student) + 1}.{expires}.{signature}",
        "",
        7,
    ):
        assert _save(owner, _batch(2, q1=("B", None)), t=bad)[0] == 401
    late = utcnow() + exam_room.SHEET_TOKEN_SLACK + timedelta(hours=4)
    with session_scope(readonly=True) as db:
        deadline = db.exec(
            select(ExamSession.deadline).where(ExamSession.exam_id == exam_id)
        ).first()
    expired = exam_room.sheet_token(
        student_id=int(student), exam_id=exam_id, deadline=deadline - (late - utcnow())
    )
    assert _save(owner, _batch(2, q1=("B", None)), t=expired)[0] == 401
    # A question-paper link of the same student and exam is no sheet credential.
    paper = paper_token(student_id=int(student), exam_id=exam_id)
    assert _save(owner, _batch(2, q1=("B", None)), t=paper)[0] == 401
    assert _stored(exam_id) == {"1": ("A", False)}


def test_exam_save_and_submit_refused_for_an_exam_the_caller_has_not_started(db_url, front):
    exam_id = _setup()
    owner = _started(exam_id)
    _save(owner, _batch(1, q1=("A", None)))
    other = _signed_in(exam_id, OTHER_TG)  # same exam in the route, no session of theirs
    assert other.phase == RoomPhase.OPEN and other.items == [] and other.saved == {}
    assert other.save_token == ""

    assert _save(other, _batch(5, q1=("D", None)))[0] == 401  # no credential was handed over
    # A genuine credential of this student, but no session of theirs: nothing to write.
    with session_scope(readonly=True) as db:
        other_id = db.exec(select(Student.id).where(Student.telegram_id == OTHER_TG)).one()
    token = exam_room.sheet_token(
        student_id=other_id, exam_id=exam_id, deadline=utcnow() + timedelta(hours=1)
    )
    status, answer = _save(other, _batch(5, q1=("D", None)), t=token)
    assert status == 404 and answer["error"]
    status, answer = _submit(other, _batch(6, q1=("D", None)), t=token)
    assert status == 404 and answer["error"] and "submitted" not in answer

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
    _save(state, _batch(1, q1=("A", None)))
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
    assert state.save_token == "" and state.save_url == ""
    assert _stored(first) == {"1": ("A", False)}


def test_exam_database_error_sends_no_ack_and_says_not_saved(db_url, monkeypatch, front):
    exam_id = _setup()
    state = _started(exam_id)

    def broken(**_kwargs: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(api_module, "save_sheet", broken)
    status, answer = _save(state, _batch(2, q1=("A", None)))
    assert status == 503 and "saqlanmadi" in answer["error"] and "ack" not in answer
    monkeypatch.undo()
    assert _save(state, _batch(2, q1=("A", None))) == (200, {"ack": 2, "rejected": {}})
    assert _stored(exam_id) == {"1": ("A", False)}


def test_exam_save_of_an_older_batch_after_a_newer_one_keeps_the_newer_answer(db_url):
    """HTTP requests of one tab may overtake each other: seq 5 stored before seq 3."""
    exam_id = _setup()
    state = _started(exam_id)

    assert _save(state, _batch(5, q1=("B", None), q2=("C", None)))[1]["ack"] == 5
    status, answer = _save(state, _batch(3, q1=("A", None), q7=("E", None)))  # sent earlier

    assert _stored(exam_id) == {"1": ("B", False), "2": ("C", False)}
    assert status == 200 and answer["ack"] == 5  # covered: the newer batch holds it all
    assert set(answer["rejected"]) == {"7"}  # and a refusal is still reported
    # Another device of the same student (its own seqs) is stored on its own.
    assert _save(state, _batch(1, q1=("D", None)), device="second-phone-01")[1]["ack"] == 1
    assert _stored(exam_id)["1"] == ("D", False)
    # A page load keeps the device and its seqs (localStorage): still covered.
    run(ExamState.load, state, init_data_for(OWNER_TG))
    assert _save(state, _batch(4, q1=("A", None)))[1]["ack"] == 5
    assert _stored(exam_id)["1"] == ("D", False)
    status, answer = _submit(state, {**_batch(2, q1=("A", None)), "auto": False})
    assert status == 200 and answer["submitted"] is True
    assert _stored(exam_id)["1"] == ("D", False)  # the stale submit batch stored nothing


def test_exam_save_needs_no_reflex_state_a_fresh_tab_signs_in_for_the_rest(db_url):
    """After a backend restart the page state is gone; the sheet's credential still saves."""
    exam_id = _setup()
    state = _started(exam_id)
    fresh = make_state(ExamState, path=f"/app/exam/{exam_id}")

    assert _save(state, _batch(7, q5=("C", None)))[0] == 200
    assert _stored(exam_id) == {"5": ("C", False)}
    assert run(ExamState.sheet_closed, fresh) is exam_module.EXAM_ON_LOAD
    assert _stored(exam_id) == {"5": ("C", False)}
    run(ExamState.load, fresh, init_data_for(OWNER_TG))  # the on_load reruns on reconnect
    assert fresh.phase == RoomPhase.IN_PROGRESS and fresh.saved["5"]["value"] == "C"
    # The submit needs no page state either.
    assert _submit(state, _batch(8, q5=("D", None)))[1]["ack"] == 8
    run(ExamState.load, fresh, "")
    assert fresh.phase == RoomPhase.SUBMITTED and _stored(exam_id) == {"5": ("D", False)}


# --- submitting ----------------------------------------------------------------------------


def _submit(state: ExamState, batch: object, **extra: object):
    """POST `batch` to the sheet's submit as the sheet does; (status, JSON answer)."""
    body: object = batch
    if isinstance(batch, dict):
        body = {"device": DEVICE, **batch, "t": state.save_token, "lang": state.lang, **extra}
    response = _post(f"{state.save_url or f'/api/sheet/{state._path_id()}'}/submit", body)
    return response.status_code, response.json()


def _session_row(exam_id: int) -> ExamSession:
    with session_scope(readonly=True) as db:
        return db.exec(select(ExamSession).where(ExamSession.exam_id == exam_id)).one()


def test_exam_submit_over_http_stores_the_last_changes_and_submits(db_url, front):
    exam_id = _setup()
    state = _started(exam_id)
    token = state.save_token

    status, answer = _submit(state, {**_batch(12, q3=("C", True)), "auto": True})

    assert (status, answer) == (
        200,
        {"ack": 12, "rejected": {}, "submitted": True, "auto": False, "notice": ""},
    )  # too early for the clock: a normal submit
    row = _session_row(exam_id)
    assert row.status == SessionStatus.SUBMITTED and row.submitted_at is not None
    assert not row.is_auto_submitted and _stored(exam_id) == {"3": ("C", True)}
    # The page's state is not touched (no Reflex event): it reads the room at its next load.
    assert state.phase == RoomPhase.IN_PROGRESS
    run(ExamState.load, state, "")
    assert state.phase == RoomPhase.SUBMITTED
    # The same submit again (its answer was lost on the way): what it sent was stored by
    # the first try, so it is acknowledged, with no "not saved" notice.
    assert _submit(state, {**_batch(12, q3=("C", True)), "auto": True}, t=token)[1] == {
        "ack": 12,
        "rejected": {},
        "submitted": True,
        "auto": False,
        "notice": "",
    }
    # A newer change after the submit (another tab): still submitted, the change not stored.
    status, answer = _submit(state, _batch(13, q3=("A", None)), t=token)
    assert status == 200 and answer["submitted"] is True and answer["ack"] == 0
    assert answer["notice"] == exam_module.error_text(AlreadySubmittedError(), "uz")
    assert _stored(exam_id) == {"3": ("C", True)}
    # With nothing left to send it is no loss: acknowledged, no notice.
    assert _submit(state, _batch(13), t=token)[1] == {
        "ack": 13,
        "rejected": {},
        "submitted": True,
        "auto": False,
        "notice": "",
    }


def test_exam_submit_over_http_after_the_deadline_counts_as_auto_and_drops_changes(db_url, front):
    exam_id = _setup()
    state = _started(exam_id)
    with session_scope() as db:
        db.execute(
            update(ExamSession)
            .where(ExamSession.exam_id == exam_id)
            .values(deadline=utcnow() - timedelta(seconds=2))
        )

    status, answer = _submit(state, {**_batch(3, q1=("A", None)), "auto": True}, lang="en")

    assert status == 200 and answer["submitted"] is True and answer["auto"] is True
    assert answer["ack"] == 0  # not acknowledged: the sheet must not call them saved
    assert answer["notice"] == exam_module.error_text(DeadlinePassedError(), "en")
    assert _stored(exam_id) == {} and _session_row(exam_id).is_auto_submitted


@pytest.mark.parametrize("by_clock", [True, False], ids=["by the clock", "by another device"])
def test_exam_submit_of_an_already_submitted_session_acks_none_of_its_changes(
    db_url, by_clock, front
):
    """The sweep (or another tab) submitted first: the late tab's changes are not
    taken as saved, and the student is told why."""
    exam_id = _setup()
    state = _started(exam_id)
    assert _save(state, _batch(1, q1=("A", None)))[0] == 200
    with session_scope() as db:
        db.execute(
            update(ExamSession)
            .where(ExamSession.exam_id == exam_id)
            .values(
                submitted_at=utcnow(), is_auto_submitted=by_clock, status=SessionStatus.SUBMITTED
            )
        )

    status, answer = _submit(state, {**_batch(2, q1=("B", None), q2=("C", None)), "auto": True})

    assert status == 200 and answer["submitted"] is True and answer["ack"] == 0
    assert answer["auto"] is by_clock
    error = DeadlinePassedError() if by_clock else AlreadySubmittedError()
    assert answer["notice"] == exam_module.error_text(error, "uz")
    assert _stored(exam_id) == {"1": ("A", False)}


@pytest.mark.parametrize(
    "body",
    [
        {"seq": 1, "changes": {}, "auto": "yes"},
        {"seq": 1, "changes": {"1": {"value": "A"}}, "device": "no spaces"},
        {"seq": -1, "changes": {}},
        [1, 2],
    ],
    ids=repr,
)
def test_exam_submit_over_http_refuses_a_malformed_batch_and_submits_nothing(db_url, front, body):
    exam_id = _setup()
    state = _started(exam_id)
    status, answer = _submit(state, body)
    assert status == 400 and answer["error"] and "submitted" not in answer
    assert _session_row(exam_id).submitted_at is None and _stored(exam_id) == {}


def test_exam_submit_over_http_needs_this_students_credential_for_this_exam(db_url, front):
    exam_id = _setup()
    owner, other = _started(exam_id), _started(exam_id, OTHER_TG)
    another_exams = exam_room.sheet_token(
        student_id=owner._student_id, exam_id=exam_id + 1, deadline=utcnow() + timedelta(hours=1)
    )
    for token in ("", "forged.token", another_exams, 42):
        status, answer = _submit(owner, _batch(1, q1=("A", None)), t=token)
        assert status == 401 and answer["reload"] is True and "submitted" not in answer
    with session_scope(readonly=True) as db:
        rows = db.exec(select(ExamSession).where(ExamSession.exam_id == exam_id)).all()
    assert [r.submitted_at for r in rows] == [None, None]
    # The other student's credential submits the other student's session only.
    assert _submit(owner, _batch(1, q1=("B", None)), t=other.save_token)[0] == 200
    assert _stored(exam_id) == {} and _stored(exam_id, OTHER_TG) == {"1": ("B", False)}


# --- identity -------------------------------------------------------------------------------


def test_exam_forged_stale_and_foreign_init_data_see_and_change_nothing(db_url):
    exam_id = _setup()
    owner = _started(exam_id)
    _save(owner, _batch(1, q1=("A", None)))
    forged = init_data_for(OWNER_TG, bot_token="123:another-bot")
    stale = init_data_for(OWNER_TG, auth_date=int(time.time()) - 3 * 24 * 3600)
    tampered = init_data_for(OTHER_TG).replace("Test", "Evil")
    for bad in (forged, stale, tampered, "", "x" * 10_000, None, 42):
        state = make_state(ExamState, path=f"/app/exam/{exam_id}")
        run(ExamState.load, state, bad)
        assert state.auth_status == AuthStatus.DENIED and state._student_id is None
        assert state.phase == View.LOADING and state.title == "" and state.items == []
        assert state.saved == {} and state.sheet_key == ""
        assert state.save_token == ""
        for handler, args in (
            (ExamState.sheet_closed, ()),
            (ExamState.start, ()),
            (ExamState.resync, ()),
        ):
            run(handler, state, *args)
            assert state.items == [] and state.save_token == ""
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


def test_exam_refusals_stay_as_small_as_the_batch(db_url):
    exam_id = _setup()
    state = _started(exam_id)
    for round_ in range(3):
        fake = {f"{900 + round_}x{k}": {"value": "A", "flagged": None} for k in range(120)}
        status, answer = _save(state, {"seq": round_ + 1, "changes": fake})
        assert status == 200 and len(answer["rejected"]) == 120 and answer["ack"] == round_ + 1
    assert _stored(exam_id) == {}


def test_save_threads_come_from_the_environment_and_refuse_nonsense(monkeypatch):
    monkeypatch.delenv("MOCKEXAM_SAVE_THREADS", raising=False)
    monkeypatch.setattr(api_module.settings, "database_url", "postgresql+psycopg://h/db")
    assert api_module.save_threads() == api_module.SAVE_THREADS
    monkeypatch.setattr(api_module.settings, "database_url", "sqlite:///data/x.db")
    assert api_module.save_threads() == 1  # SQLite: one writer at a time
    monkeypatch.setenv("MOCKEXAM_SAVE_THREADS", "12")
    assert api_module.save_threads() == 12
    for bad in ("0", "65", "many", "-3", "2.5"):
        monkeypatch.setenv("MOCKEXAM_SAVE_THREADS", bad)
        with pytest.raises(ValueError, match="MOCKEXAM_SAVE_THREADS"):
            api_module.save_threads()


# --- one transport: the sheet posts over HTTP on both databases ----------------------------


def test_the_sheet_routes_are_mounted_on_both_databases_and_want_their_token(
    sqlite_url, monkeypatch
):
    def status(path: str) -> int:
        async def post() -> int:
            transport = httpx.ASGITransport(app=create_api())
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return (await c.post(path, content="{}")).status_code

        return asyncio.run(post())

    for url in (sqlite_url, "postgresql+psycopg://h/db"):
        monkeypatch.setattr(api_module.settings, "database_url", url)
        assert [status(p) for p in ("/api/sheet/1", "/api/sheet/1/submit")] == [401, 401]
        assert status("/api/sheet/1/other") == 404


# --- layouts (issue 21): rule lines and headings per section, no A–D guess -------------
def _sections_of(layout):
    from types import SimpleNamespace

    return SimpleNamespace(
        sections=[
            SimpleNamespace(
                index=index,
                titles=section.titles,
                kind=section.kind,
                options=section.options,
                parts=section.parts,
                points=section.points,
                first=first,
                last=first + section.count - 1,
            )
            for index, (section, first) in enumerate(
                zip(layout.sections, layout.firsts(), strict=True)
            )
        ]
    )


def test_exam_rules_and_headings_follow_the_layouts_sections():
    from mockexam.scoring.layout import Layout, Section
    from mockexam.scoring.layout_templates import CERTIFICATE_MATH, DTM_BLOCK

    certificate = exam_module.section_views(_sections_of(CERTIFICATE_MATH))
    assert [view["rules"]["en"] for view in certificate] == [
        "1–35: one option (A–D).",
        "36–45: type the a) and b) answers.",
    ]
    assert certificate[1]["rules"]["uz"] == "36–45: a) va b) javoblarini yozing."
    assert certificate[0]["notes"]["ru"] == "1–35 · 1 балл за задание"

    dtm = exam_module.section_views(_sections_of(DTM_BLOCK))
    assert [view["titles"]["ru"] for view in dtm][:3] == [
        "Родной язык",
        "Математика",
        "История Узбекистана",
    ]
    assert dtm[4]["notes"]["uz"] == "61–90 · har biri 2,1 ball"
    assert dtm[4]["rules"]["ru"] == "61–90: один вариант (A–D)."

    five = Layout(
        "custom",
        (
            Section("s1", {"uz": "Beshlik"}, "math", "mcq", 4, ("A", "B", "C", "D", "E"), (), 2.5),
            Section("s2", {"uz": "Ochiq"}, "math", "free", 1, (), (), 0.5),
        ),
    )
    views = exam_module.section_views(_sections_of(five))
    assert views[0]["rules"]["en"] == "1–4: one option (A–E)."
    assert views[0]["titles"] == {"uz": "Beshlik", "ru": "Beshlik", "en": "Beshlik"}
    assert views[0]["notes"]["en"] == "1–4 · 2.5 points each"
    assert views[1]["rules"]["en"] == "5: type the answer."
    assert views[1]["notes"]["ru"] == "5 · 0,5 балла за задание"
    assert exam_module.section_views(object()) == []  # a room naming no sections


def test_refusal_names_the_items_own_options_and_never_guesses_a_to_d():
    from mockexam.services.exam_room import Refusal
    from mockexam.student.sheet_protocol import refusal_text

    five = refusal_text(Refusal.NOT_AN_OPTION, "en", ["A", "B", "C", "D", "E"])
    assert five == "Choose one of the options: A, B, C, D, E."
    assert refusal_text(Refusal.NOT_AN_OPTION, "en", None) == "Choose one of the options."
    assert "A, B" not in refusal_text(Refusal.NOT_AN_OPTION, "ru", [])


def test_exam_lobby_and_sheet_of_a_dtm_exam_have_its_five_sections(db_url):
    from mockexam.scoring.layout_templates import DTM_BLOCK

    with session_scope() as db:
        make_student(db, telegram_id=OWNER_TG, first_name="Owner")
        exam_id = make_exam(
            db, title="DTM", start=utcnow() + timedelta(hours=1), layout=DTM_BLOCK
        ).id
    state = _signed_in(exam_id)
    assert state.phase == RoomPhase.LOBBY and state.items == []
    assert [s["rules"]["en"] for s in state.sections] == [
        "1–10: one option (A–D).",
        "11–20: one option (A–D).",
        "21–30: one option (A–D).",
        "31–60: one option (A–D).",
        "61–90: one option (A–D).",
    ]
    assert state.sections[3]["notes"]["uz"] == "31–60 · har biri 3,1 ball"

    with session_scope() as db:
        db.exec(
            update(Exam)
            .where(Exam.id == exam_id)
            .values(window_start=utcnow() - timedelta(minutes=5))
        )
    state = _started(exam_id)
    assert len(state.items) == 90 and state.items[89]["section"] == 4
    assert state.sections[1]["titles"]["ru"] == "Математика"
