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


def test_the_key_grid_has_a_block_per_section_and_the_example_follows_the_layout(admin):
    from mockexam.scoring.layout import Layout, Section
    from mockexam.scoring.layout_templates import DTM_BLOCK

    with session_scope() as db:
        dtm = make_exam(db, start=utcnow() + timedelta(days=2), publish=False, key=False,
                        layout=DTM_BLOCK).id  # fmt: skip
    state = make_state(KeyState, path=f"/admin/exams/{dtm}", token=admin.token)
    run(KeyState.load, state)
    assert [g["index"] for g in state.groups] == [0, 1, 2, 3, 4]
    assert [len(g["rows"]) for g in state.groups] == [10, 10, 10, 30, 30]
    assert state.groups[2]["titles"]["en"] == "History of Uzbekistan"
    assert state.groups[3]["notes"]["en"] == "31–60 · 3.1 points each"
    assert state.groups[4]["rows"][0]["label"] == "61" and state.groups[4]["mcq"]
    assert state.example.splitlines()[3] == "[s4] ABCDA BCDAB …  (31–60)"

    run(KeyState.import_key, state, {"key_text": "[s5] " + "E" * 30})
    assert state.paste_errors and "Nothing was saved" in state.error  # no E on A–D
    assert _keys(dtm) == {}

    five = Layout(
        "custom",
        (
            Section("s1", {"uz": "Test"}, "math", "mcq", 3, ("A", "B", "C", "D", "E"), (), 2.5),
            Section("s2", {"uz": "Ochiq"}, "math", "free", 2, (), ("a", "b"), 0.5),
        ),
    )
    with session_scope() as db:
        custom = make_exam(db, start=utcnow() + timedelta(days=5), publish=False, key=False,
                           layout=five).id  # fmt: skip
    state = make_state(KeyState, path=f"/admin/exams/{custom}", token=admin.token)
    run(KeyState.load, state)
    assert state.groups[0]["rows"][0]["options"] == ["A", "B", "C", "D", "E"]
    assert [r["label"] for r in state.groups[1]["rows"]] == ["4a", "4b", "5a", "5b"]
    assert not state.groups[1]["mcq"]
    assert state.example == "[s1] ABC  (1–3)\n4a 12\n4b -1/2 | -0.5\n…"
    run(KeyState.set_choice, state, "2", "E")
    assert state.error == "" and _keys(custom) == {"2": ["E"]}


def test_bank_codes_are_pasted_shown_in_the_grid_and_refused_whole(admin):
    state, exam_id = _key_state(admin.token)
    run(KeyState.import_codes, state, {"codes_text": "1 alg-017\n36a GEO-004"})
    assert state.error == "" and "2 item(s) changed" in state.notice
    assert state.codes_count == 2 and state.codes_text == "1 ALG-017\n36a GEO-004"
    assert {r["label"]: r["code"] for r in state.mcq_rows + state.free_rows if r["code"]} == {
        "1": "ALG-017",
        "36a": "GEO-004",
    }
    run(KeyState.import_codes, state, {"codes_text": "2 GEO-004\n99 X-1"})
    assert "were not saved" in state.error
    assert [e["line"] for e in state.codes_errors] == [2]  # the unknown item, line by line
    run(KeyState.import_codes, state, {"codes_text": "2 GEO-004"})  # 36a has it
    assert "would name items 2 and 36a" in state.codes_errors[0]["message"]
    run(KeyState.import_codes, state, {"codes_text": "  "})
    assert "Paste the codes first" in state.error
    with session_scope() as db:
        coded = {i.label: i.bank_code for i in exam_service.get_items(db, exam_id) if i.bank_code}
    assert coded == {"1": "ALG-017", "36a": "GEO-004"}
