"""Long and spoofing names in the tables (issue 20, item 10).

A 128-character name without a space must not push the other columns out of view: the
name cells of the admin results and students tables, and the student leaderboard's rows,
are one line cut with an ellipsis at a maximum width, with the whole name on hover
(`title`). Names stored before login cleaned them lose their bidi controls when shown.
"""

from __future__ import annotations

import reflex as rx

from mockexam.admin import results, students
from mockexam.db import utcnow
from mockexam.services.student_directory import StudentListRow
from mockexam.student import leaderboard

CLIPPED = ('["overflow"] : "hidden"', '["textOverflow"] : "ellipsis"', '["whiteSpace"] : "nowrap"')


def _rendered(row_fn, view_type) -> str:
    return str(row_fn(rx.Var(_js_expr="r", _var_type=view_type).guess_type()))


def test_admin_tables_clip_long_names_and_show_them_whole_on_hover():
    for module, view in ((results, results.ResultView), (students, students.StudentView)):
        js = _rendered(module._row, view)
        start = js.index('className:"student-name"')
        name_text = js[start : js.index("}", js.index("css:", start)) + 200]
        for rule in (*CLIPPED, '["maxWidth"] : "18rem"'):
            assert rule in name_text, (module.__name__, rule)
        assert 'title:r?.["name"]' in name_text, module.__name__


def test_student_leaderboard_clips_names_and_shows_them_whole_on_hover():
    js = _rendered(leaderboard._row, leaderboard.RankRow)
    assert 'title:r?.["name"]' in js
    for rule in CLIPPED:
        assert rule in js


def test_names_stored_with_bidi_controls_are_shown_without():
    row = StudentListRow(
        student_id=1,
        telegram_id=5,
        name="\u202eAli\u202c",
        username="ali\u2066",
        language_code="uz",
        is_reachable=True,
        unreachable_reason=None,
        created_at=utcnow(),
        last_seen_at=None,
        elo=None,
        exams_rated=0,
        exams_taken=0,
        current_streak=0,
        longest_streak=0,
    )
    view = students.student_view(row)
    assert (view["name"], view["username"]) == ("Ali", "@ali")
