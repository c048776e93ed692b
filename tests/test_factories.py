"""`make_exam(layout=…)` writes the layout's recipe, sections, points and a matching key."""

from __future__ import annotations

from mockexam.scoring.layout_templates import CERTIFICATE_MATH, DTM_BLOCK
from mockexam.services import exams
from tests.factories import make_exam


def test_make_exam_default_is_the_certificate(db):
    exam = make_exam(db)
    items = exams.get_items(db, exam.id)
    assert exam.layout == CERTIFICATE_MATH.to_json()
    assert [i.section for i in items] == [0] * 35 + [1] * 20
    assert items[0].accepted_answers == ["A"] and items[36].accepted_answers == ["-36/2"]


def test_make_exam_on_the_dtm_block(db):
    exam = make_exam(db, layout=DTM_BLOCK)
    db.commit()
    db.refresh(exam)
    items = exams.get_items(db, exam.id)
    assert exam.layout == DTM_BLOCK.to_json()
    assert len(items) == 90
    assert [i.section for i in items] == [0] * 10 + [1] * 10 + [2] * 10 + [3] * 30 + [4] * 30
    assert [items[k].points for k in (0, 29, 30, 60)] == [1.1, 1.1, 3.1, 2.1]
    assert round(sum(i.points for i in items) * 100) == 18900
    assert [items[k].accepted_answers for k in (0, 1, 4)] == [["A"], ["B"], ["A"]]
