"""The exam's Scale and copying page through its handler: the link and the flagged pairs."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlmodel import select

from mockexam.admin.integrity import IntegrityState
from mockexam.db import session_scope, utcnow
from mockexam.models import AdminRole, Answer, BankItem, LinkStatus
from mockexam.services import exams
from mockexam.services.grading import grade_pending
from mockexam.services.release import release_exam
from tests.admin.helpers import admin_token, make_state, run
from tests.factories import make_coded_forms, make_cohort, make_exam


def test_the_page_shows_the_link_and_the_pairs_with_their_evidence(admin):
    with session_scope() as db:
        exam = make_exam(db, title="Week 7", start=utcnow() - timedelta(days=3), hours=3)
        session_ids, _t, _b = make_cohort(db, exam, n=300)
        exam_id = exam.id
        labels = [i.label for i in exams.get_items(db, exam_id)]
        exams.set_bank_codes(db, exam_id, "\n".join(f"{lb} W7-{lb}" for lb in labels))
        source, copier = session_ids[1], session_ids[2]
        theirs = {
            a.item_id: a.value for a in db.exec(select(Answer).where(Answer.session_id == source))
        }
        for a in db.exec(select(Answer).where(Answer.session_id == copier)):
            a.value = theirs[a.item_id]
            db.add(a)
    with session_scope() as db:
        grade_pending(db, exam_id)
    release_exam(exam_id)
    state = make_state(IntegrityState, path=f"/admin/exams/{exam_id}/integrity", token=admin.token)
    run(IntegrityState.load, state)

    assert state.loaded and state.title == "Week 7"
    assert (state.link_status, state.shift, state.added) == (LinkStatus.ORIGIN, "+0.00 ± 0.00", 55)
    assert state.elo_rating.isdigit() and state.elo_from_paper is False  # rated by its takers
    [pair] = state.pairs
    assert pair["agreements"].startswith("55 / ")
    assert pair["identical_wrong"] > 0 and pair["wrong_items"]
    assert pair["same_device"] is False

    missing = make_state(IntegrityState, path="/admin/exams/999/integrity", token=admin.token)
    run(IntegrityState.load, missing)
    assert "does not exist" in missing.error and missing.pairs == []


def test_an_admin_re_anchors_a_dropped_item_a_teacher_cannot(admin):
    first, second = make_coded_forms(np.random.default_rng(7), common=12, drift=2.0)
    release_exam(first)
    release_exam(second)
    path = f"/admin/exams/{second}/integrity"

    teacher = make_state(IntegrityState, path=path, token=admin_token("tess", AdminRole.TEACHER))
    run(IntegrityState.reanchor, teacher, "Q-010")
    with session_scope(readonly=True) as db:
        assert db.exec(select(BankItem.exam_id).where(BankItem.code == "Q-010")).one() == first

    state = make_state(IntegrityState, path=path, token=admin.token)
    run(IntegrityState.load, state)
    [dropped] = [d for d in state.dropped if d["code"] == "Q-010"]
    assert dropped["reanchored"] is False
    assert state.elo_rating.isdigit() and state.elo_from_paper is True
    run(IntegrityState.reanchor, state, "Q-010")
    assert "Q-010" in state.notice and state.error == ""
    run(IntegrityState.load, state)  # what the returned event does in the browser
    [dropped] = [d for d in state.dropped if d["code"] == "Q-010"]
    assert dropped["reanchored"] is True and state.reanchored == ["Q-010"]
    with session_scope(readonly=True) as db:
        assert db.exec(select(BankItem.exam_id).where(BankItem.code == "Q-010")).one() == second

    run(IntegrityState.reanchor, state, "NOPE-1")
    assert "“NOPE-1” is not a measured common item" in state.error
