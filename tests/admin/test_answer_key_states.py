"""The answer-key tab's handlers with text a client controls (issue 20, items 8 and 10).

Bidi controls in a pasted key or a typed free answer would make the key table show
one answer while another is stored; a paste too large to be a key is refused
before it is parsed. Against the real database, through `KeyState`.
"""

from __future__ import annotations

from datetime import timedelta

from mockexam.admin.answer_key import KeyState
from mockexam.db import session_scope, utcnow
from mockexam.services import exams as exam_service
from tests.admin.helpers import make_state, run
from tests.factories import make_exam

RLO = "\u202e"


def _key_state(token: str) -> tuple[KeyState, int]:
    with session_scope() as db:
        exam_id = make_exam(db, start=utcnow() + timedelta(days=2), publish=False, key=False).id
    state = make_state(KeyState, path=f"/admin/exams/{exam_id}", token=token)
    run(KeyState.load, state)
    return state, exam_id


def _keys(exam_id: int) -> dict[str, list[str]]:
    with session_scope() as db:
        return {
            i.label: list(i.accepted_answers)
            for i in exam_service.get_items(db, exam_id)
            if i.accepted_answers
        }


def test_a_pasted_key_is_stored_without_bidi_controls(admin):
    state, exam_id = _key_state(admin.token)
    run(KeyState.import_key, state, {"key_text": f"1 {RLO}A\n36a {RLO}21 | \u20661/2\u2069"})
    assert state.error == "" and state.paste_errors == []
    assert _keys(exam_id) == {"1": ["A"], "36a": ["21", "1/2"]}
    assert state.free_rows[0]["answer"] == "21 | 1/2"


def test_a_typed_free_answer_is_stored_without_bidi_controls(admin):
    state, exam_id = _key_state(admin.token)
    run(KeyState.set_free, state, "36a", f"{RLO}21\u200f | 0.5")
    assert state.error == ""
    assert _keys(exam_id) == {"36a": ["21", "0.5"]}


def test_a_paste_of_too_many_lines_is_refused_with_a_message(admin):
    state, exam_id = _key_state(admin.token)
    run(KeyState.import_key, state, {"key_text": "1 A" + "\n" * 5000})
    assert state.error == (
        "The answer key was not saved: it has 5,001 lines; at most 1,000 are accepted."
    )
    assert state.paste_errors == [] and _keys(exam_id) == {}
