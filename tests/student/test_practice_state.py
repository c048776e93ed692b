"""The practice pages' handlers: who calls, which session, the server clock, what is sent back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from mockexam.api import create_api
from mockexam.db import session_scope, utcnow
from mockexam.errors import PermissionDeniedError
from mockexam.models import PracticeAnswer, PracticeSession, Student
from mockexam.services.exam_room import sheet_token
from mockexam.services.practice import (
    PracticePhase,
    check_practice_sheet_token,
    practice_sheet_token,
)
from mockexam.student.auth import AuthStatus
from mockexam.student.practice import PracticeHubState
from mockexam.student.practice_session import PracticeSessionState, View
from tests.factories import make_practice_bank, make_student
from tests.student.helpers import init_data_for, make_state, run
from tests.student.sheet_http import post_json

OWNER_TG, OTHER_TG = 710_001, 710_002


def _setup(**bank: object) -> None:
    with session_scope() as db:
        make_student(db, telegram_id=OWNER_TG, first_name="Owner")
        make_student(db, telegram_id=OTHER_TG, first_name="Other")
        make_practice_bank(db, **bank)


def _hub(telegram_id: int = OWNER_TG) -> PracticeHubState:
    state = make_state(PracticeHubState, path="/app/practice")
    run(PracticeHubState.load, state, init_data_for(telegram_id))
    assert state.auth_status == AuthStatus.OK and state.loaded and not state.failed
    return state


def _started(telegram_id: int = OWNER_TG, mode: str = "light") -> int:
    hub = _hub(telegram_id)
    events = run(PracticeHubState.start, hub, mode)
    redirect = [e for e in events if e is not None][-1]
    assert "/app/practice/" in str(redirect)
    with session_scope(readonly=True) as db:
        return db.execute(
            select(PracticeSession.id)
            .join(Student, Student.id == PracticeSession.student_id)
            .where(Student.telegram_id == telegram_id)
            .order_by(PracticeSession.id.desc())
        ).scalar()


def _session_page(practice_id: int, telegram_id: int = OWNER_TG) -> PracticeSessionState:
    state = make_state(PracticeSessionState, path=f"/app/practice/{practice_id}")
    run(PracticeSessionState.load, state, init_data_for(telegram_id))
    return state


def _stored(practice_id: int) -> dict[str, str]:
    with session_scope(readonly=True) as db:
        rows = db.execute(
            select(PracticeAnswer.position, PracticeAnswer.value).where(
                PracticeAnswer.practice_session_id == practice_id
            )
        ).all()
    return {str(p): v for p, v in rows}


def _batch(seq: int, **values: str | None) -> dict:
    return {
        "seq": seq,
        "changes": {k.removeprefix("q"): {"value": v, "flagged": None} for k, v in values.items()},
    }


def test_hub_shows_modes_and_starts_a_session(db_url):
    _setup()
    hub = _hub()
    assert (hub.bank_size, hub.light_questions, hub.medium_questions) == (18, 6, 10)
    assert hub.history == [] and hub.open_href == ""
    practice_id = _started()
    hub = _hub()
    assert hub.open_href == f"/app/practice/{practice_id}" and hub.open_total == 6


def test_hub_refuses_unknown_modes_and_non_boolean_adaptive(db_url):
    _setup()
    hub = _hub()
    assert run(PracticeHubState.start, hub, "enormous") is None or not hub.starting
    run(PracticeHubState.set_adaptive, hub, "yes")
    assert hub.adaptive is False
    run(PracticeHubState.set_adaptive, hub, True)
    assert hub.adaptive is True
    with session_scope(readonly=True) as db:
        assert db.execute(select(PracticeSession)).first() is None


def test_hub_without_sign_in_does_nothing(db_url):
    _setup()
    state = make_state(PracticeHubState, path="/app/practice")
    run(PracticeHubState.load, state, "query_id=x&user=%7B%7D&auth_date=1&hash=forged")
    assert state.auth_status == AuthStatus.DENIED and not state.loaded
    run(PracticeHubState.start, state, "light")
    with session_scope(readonly=True) as db:
        assert db.execute(select(PracticeSession)).first() is None


def test_session_page_sends_questions_without_the_answer_key(db_url):
    _setup()
    practice_id = _started()
    page = _session_page(practice_id)
    assert page.phase == PracticePhase.IN_PROGRESS and len(page.items) == 6
    assert set(page.items[0]) == {
        "label",
        "kind",
        "text",
        "options",
        "image_url",
        "topic",
        "difficulty",
    }
    assert 29 * 60 < page.seconds_left <= 30 * 60
    assert page.review == [] and page.sheet_key == f"p{practice_id}"


DEVICE = "practice-device-1"


def _post(path: str, body: object) -> tuple[int, dict]:
    response = post_json(create_api(), path, body)
    return response.status_code, response.json()


def _save(page: PracticeSessionState, batch: object, *, device: str = DEVICE, **extra: object):
    """POST `batch` as the sheet does (its device, the page's token); (status, JSON answer)."""
    body = {"device": device, **batch, "t": page.save_token, "lang": page.lang, **extra}
    return _post(page.save_url, body)


def _submit(page: PracticeSessionState, batch: dict, *, auto: bool = False, **extra: object):
    """POST `batch` to the sheet's submit as the sheet does; (status, JSON answer)."""
    body = {"device": DEVICE, **batch, "auto": auto, "t": page.save_token, "lang": page.lang}
    return _post(f"{page.save_url}/submit", {**body, **extra})


def _submitted_at(practice_id: int):
    with session_scope(readonly=True) as db:
        return db.get(PracticeSession, practice_id).submitted_at


def test_the_sheet_posts_to_its_sessions_route_with_a_credential_for_it(db_url):
    _setup()
    practice_id = _started()
    page = _session_page(practice_id)
    assert page.save_url == f"/api/sheet/practice/{practice_id}"
    assert check_practice_sheet_token(practice_id=practice_id, token=page.save_token) == (
        _student_id(OWNER_TG)
    )
    with pytest.raises(PermissionDeniedError):  # not a credential for another session
        check_practice_sheet_token(practice_id=practice_id + 1, token=page.save_token)


def _student_id(telegram_id: int) -> int:
    with session_scope(readonly=True) as db:
        return db.execute(select(Student.id).where(Student.telegram_id == telegram_id)).scalar()


def test_another_students_session_is_not_found_and_their_posts_change_nothing(db_url):
    _setup()
    practice_id = _started()
    intruder = _session_page(practice_id, OTHER_TG)
    assert intruder.phase == View.NOT_FOUND and intruder.items == []
    assert intruder.save_url == "" and intruder.save_token == ""
    path = f"/api/sheet/practice/{practice_id}"
    theirs = _session_page(_started(OTHER_TG), OTHER_TG)  # a genuine token, for their own
    forged = f"{_student_id(OTHER_TG)}.9999999999.{'A' * 43}"
    for token in ("", theirs.save_token, forged):
        body = {**_batch(1, q1="A"), "device": DEVICE, "t": token}
        assert _post(path, body)[0] == 401
        assert _post(path + "/submit", {**body, "auto": False})[0] == 401
    # Even a genuine credential the server never hands out (this session, another student)
    # finds no session of theirs.
    token = practice_sheet_token(
        student_id=_student_id(OTHER_TG), practice_id=practice_id, deadline=utcnow()
    )
    assert _post(path, {**_batch(1, q1="A"), "device": DEVICE, "t": token})[0] == 404
    assert set(_stored(practice_id).values()) == {""} and _submitted_at(practice_id) is None


def test_an_exam_sheets_credential_is_no_practice_credential_and_back(db_url):
    """The two sheets' tokens have purposes of their own: the same student and the same id
    do not carry one over to the other route."""
    _setup()
    practice_id = _started()
    page = _session_page(practice_id)
    owner = _student_id(OWNER_TG)
    exam_token = sheet_token(student_id=owner, exam_id=practice_id, deadline=utcnow())
    body = {**_batch(1, q1="A"), "device": DEVICE}
    assert _post(page.save_url, {**body, "t": exam_token})[0] == 401
    assert _post(f"/api/sheet/{practice_id}", {**body, "t": page.save_token})[0] == 401
    assert set(_stored(practice_id).values()) == {""}


def test_a_forged_route_swap_gets_no_credential_for_someone_elses_session(db_url):
    """The page loaded for the caller's own session; the route then names another one."""
    _setup()
    theirs = _started(OTHER_TG)
    mine = _started(OWNER_TG)
    page = _session_page(mine)
    swapped = make_state(PracticeSessionState, path=f"/app/practice/{theirs}")
    root = page.parent_state.parent_state
    root.router = swapped.parent_state.parent_state.router
    assert page._path_id() == theirs
    run(PracticeSessionState.refresh, page)
    assert page.phase == View.NOT_FOUND and page.save_token == "" and page.save_url == ""
    run(PracticeSessionState.sheet_closed, page)
    assert page.save_token == ""


def test_saves_are_acked_and_refusals_named(db_url):
    _setup(per_topic=1, free_topics=("geometry",))
    practice_id = _started()
    page = _session_page(practice_id)
    mcq = next(i["label"] for i in page.items if i["kind"] == "mcq")
    free = next(i["label"] for i in page.items if i["kind"] == "free")
    assert _save(page, {"seq": 3, "changes": {mcq: {"value": "B"}}}) == (
        200,
        {"ack": 3, "rejected": {}},
    )
    assert _stored(practice_id)[mcq] == "B"
    status, answer = _save(
        page, {"seq": 4, "changes": {mcq: {"value": "Z"}, free: {"value": "x" * 80}}}
    )
    assert status == 200 and answer["ack"] == 4 and set(answer["rejected"]) == {mcq, free}
    assert "A, B, C, D" in answer["rejected"][mcq] or "A–D" in answer["rejected"][mcq]
    assert _stored(practice_id)[mcq] == "B"
    # A malformed batch is refused whole (the sheet re-sends it), with a reason.
    for bad in ({"seq": "five", "changes": {}}, {"seq": 5, "changes": []}):
        status, answer = _save(page, bad)
        assert status == 400 and answer["error"] and "ack" not in answer
    status, answer = _post(page.save_url, {"seq": 5, "changes": {}, "t": page.save_token})
    assert status == 400  # no device
    assert _stored(practice_id)[mcq] == "B"


def test_a_save_after_the_deadline_is_refused_and_the_page_shows_the_results(db_url):
    _setup()
    practice_id = _started()
    page = _session_page(practice_id)
    _past_deadline(practice_id)
    status, answer = _save(page, _batch(1, q1="B"))
    assert status == 409 and answer["closed"] and answer["error"] and "ack" not in answer
    assert _stored(practice_id)["1"] == ""
    run(PracticeSessionState.sheet_closed, page)  # what the sheet calls on "closed"
    assert page.phase == PracticePhase.SUBMITTED and page.notice and page.is_auto_submitted
    assert len(page.review) == 6 and page.save_token == ""
    # A late second call (another save refused meanwhile) finds the results shown: no read.
    page.notice = ""
    run(PracticeSessionState.sheet_closed, page)
    assert page.notice == "" and page.phase == PracticePhase.SUBMITTED


def _past_deadline(practice_id: int) -> None:
    with session_scope() as db:
        db.execute(
            update(PracticeSession)
            .where(PracticeSession.id == practice_id)
            .values(deadline=utcnow() - timedelta(seconds=1))
        )


def test_a_late_submit_counts_as_the_clocks_and_does_not_ack_its_changes(db_url):
    _setup()
    practice_id = _started()
    page = _session_page(practice_id)
    _past_deadline(practice_id)
    status, answer = _submit(page, _batch(4, q1="B"), auto=True)
    assert status == 200 and answer["submitted"] and answer["auto"]
    assert answer["ack"] == 0 and answer["notice"]
    assert _stored(practice_id)["1"] == "" and _submitted_at(practice_id) is not None
    run(PracticeSessionState.refresh, page)  # what the sheet calls once it is answered
    assert page.phase == PracticePhase.SUBMITTED and page.is_auto_submitted


def test_submit_stores_the_last_changes_and_the_results_show(db_url):
    _setup(per_topic=1)
    practice_id = _started()
    page = _session_page(practice_id)
    answers = {f"q{i['label']}": "B" if i["kind"] == "mcq" else "1/2" for i in page.items}
    status, answer = _submit(page, _batch(9, **answers))
    assert status == 200
    assert answer == {"ack": 9, "rejected": {}, "submitted": True, "auto": False, "notice": ""}
    run(PracticeSessionState.refresh, page)
    assert page.phase == PracticePhase.SUBMITTED and not page.is_auto_submitted
    assert (page.score, page.total, page.percent) == (6, 6, 100)
    assert page.items == [] and len(page.review) == 6
    assert all(r["is_correct"] and r["explanation"] for r in page.review)
    mcq = next(r for r in page.review if r["kind"] == "mcq")
    assert [o["right"] for o in mcq["options"]] == [False, True, False, False]
    assert len(page.topic_figure.data) == 2
    # The hub now lists it.
    hub = _hub()
    assert hub.history[0]["score"] == "6/6" and hub.accuracy == 100


def test_a_submit_is_idempotent_and_a_retry_after_a_lost_answer_is_acked(db_url):
    _setup(per_topic=1)
    practice_id = _started()
    page = _session_page(practice_id)
    first = _submit(page, _batch(3, q1="C"))
    assert first[1]["ack"] == 3 and _stored(practice_id)["1"] == "C"
    submitted = _submitted_at(practice_id)
    # The same submit again (its answer was lost): acked, nothing changes.
    assert _submit(page, _batch(3, q1="C")) == first
    # A newer change after the submit is refused, with the notice.
    status, answer = _submit(page, _batch(4, q1="D"))
    assert status == 200 and answer["ack"] == 0 and answer["notice"]
    # So is another device's.
    assert _submit(page, _batch(3, q1="D"), device="other-device-9")[1]["ack"] == 0
    assert _stored(practice_id)["1"] == "C" and _submitted_at(practice_id) == submitted
    # A save after the submit: closed.
    assert _save(page, _batch(5, q1="A"))[0] == 409


@pytest.mark.parametrize("path", ["/app/practice/abc", "/app/practice/99999"])
def test_unknown_sessions_are_not_found(db_url, path):
    _setup()
    state = make_state(PracticeSessionState, path=path)
    run(PracticeSessionState.load, state, init_data_for(OWNER_TG))
    assert state.phase == View.NOT_FOUND


def test_an_older_batch_of_a_device_stores_nothing_and_is_acked_with_the_newer(db_url):
    _setup(per_topic=1)
    practice_id = _started()
    page = _session_page(practice_id)
    mcq = next(i["label"] for i in page.items if i["kind"] == "mcq")
    assert _save(page, _batch(5, **{f"q{mcq}": "C"}))[1]["ack"] == 5
    # Arrived late (HTTP requests overtake each other): it would put an older answer back.
    assert _save(page, _batch(4, **{f"q{mcq}": "A"}))[1]["ack"] == 5
    assert _stored(practice_id)[mcq] == "C"
    # Another device (another tab, a cleared browser) numbers its own batches.
    assert _save(page, _batch(1, **{f"q{mcq}": "D"}), device="second-device")[1]["ack"] == 1
    assert _stored(practice_id)[mcq] == "D"
    # A fresh page state (a reload, a backend restart) shows what is stored.
    assert _session_page(practice_id).saved[mcq] == {"value": "D"}


# --- the student's place and language (issue 24) --------------------------------------------


def _position(practice_id: int) -> int:
    with session_scope(readonly=True) as db:
        return db.get(PracticeSession, practice_id).current_position


def test_the_place_survives_a_fresh_page_state_as_after_a_backend_restart(db_url):
    """`move` stores the question the student went to; a page state built from nothing (what
    a restarted backend has) opens the sheet there."""
    _setup()
    practice_id = _started()
    page = _session_page(practice_id)
    assert page.position == "1"
    run(PracticeSessionState.move, page, "4")
    assert _position(practice_id) == 4
    restarted = _session_page(practice_id)  # a new root state: nothing of the old one
    assert restarted.position == "4" and restarted.phase == PracticePhase.IN_PROGRESS
    run(PracticeSessionState.move, restarted, "6")
    assert _position(practice_id) == 6


@pytest.mark.parametrize(
    "label", ["0", "7", "-1", "²", "٣", "4.0", "", " 4", "9" * 5000, None, 4.5, True, [], {}]
)
def test_a_move_to_a_label_the_sheet_lacks_changes_nothing(db_url, label):
    _setup()
    practice_id = _started()
    page = _session_page(practice_id)
    run(PracticeSessionState.move, page, "2")
    run(PracticeSessionState.move, page, label)
    assert _position(practice_id) == 2


def test_only_the_owner_on_their_loaded_page_moves_their_place(db_url):
    _setup()
    practice_id = _started()
    intruder = _session_page(practice_id, OTHER_TG)
    run(PracticeSessionState.move, intruder, "3")
    anonymous = make_state(PracticeSessionState, path=f"/app/practice/{practice_id}")
    run(PracticeSessionState.move, anonymous, "3")
    # Signed in, but the page did not load this session (a forged route swap).
    theirs = _started(OTHER_TG)
    page = _session_page(theirs, OTHER_TG)
    swapped = make_state(PracticeSessionState, path=f"/app/practice/{practice_id}")
    page.parent_state.parent_state.router = swapped.parent_state.parent_state.router
    run(PracticeSessionState.move, page, "3")
    assert _position(practice_id) == 1
    # Once submitted, the place stays as it was.
    owner = _session_page(practice_id)
    assert _submit(owner, _batch(1))[1]["submitted"]
    run(PracticeSessionState.move, owner, "5")
    assert _position(practice_id) == 1


def test_a_russian_student_is_given_russian_questions_first(db_url):
    from mockexam.services import practice_bank

    _setup(per_topic=2)
    with session_scope() as db:
        make_student(db, telegram_id=710_003, first_name="Ivan", language_code="ru")
        for topic, _, _, _ in practice_bank.DEFAULT_TOPICS:
            practice_bank.create_question(
                db,
                practice_bank.QuestionDraft(
                    topic=topic,
                    difficulty=3,
                    kind="free",
                    text=f"Вопрос по теме {topic}",
                    answers=("2",),
                    language="ru",
                ),
            )
    practice_id = _started(710_003)
    page = _session_page(practice_id, 710_003)
    assert page.lang == "ru" and len(page.items) == 6
    assert all(item["text"].startswith("Вопрос по теме") for item in page.items)
    # An Uzbek student of the same bank gets the Uzbek ones.
    mine = _session_page(_started(OWNER_TG))
    assert not any(item["text"].startswith("Вопрос") for item in mine.items)
