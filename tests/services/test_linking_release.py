"""Linking and copying at release, on both databases: bank codes pasted for an exam, the
first coded exam defining the scale, a later form linked through its common items (the
cohort's growth recovered despite a harder paper), a form with too few common items left
alone, a recalibration, and copying pairs stored with their evidence."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlmodel import col, select

from mockexam.db import session_scope, utcnow
from mockexam.errors import AnswerKeyError, ExamLockedError, NotFoundError, ValidationError
from mockexam.models import (
    Answer,
    AuditLog,
    BankItem,
    CopyingPair,
    EloHistory,
    Exam,
    ExamItem,
    ExamSession,
    ItemStatistic,
    LinkStatus,
    SheetSync,
)
from mockexam.scoring import elo
from mockexam.scoring.layout_templates import DTM_BLOCK
from mockexam.services import copying, exams, linking
from mockexam.services.release import exclude_item, release_exam
from tests.factories import make_coded_forms, make_cohort, make_exam


def _codes(exam_id: int, codes: dict[str, str]) -> None:
    with session_scope() as db:
        text = "\n".join(f"{label} {code}" for label, code in codes.items())
        exams.set_bank_codes(db, exam_id, text)


def _labels(exam_id: int) -> list[str]:
    with session_scope(readonly=True) as db:
        return [i.label for i in exams.get_items(db, exam_id)]


def _mean_theta(exam_id: int) -> float:
    with session_scope(readonly=True) as db:
        values = db.exec(select(ExamSession.theta).where(ExamSession.exam_id == exam_id)).all()
    return float(np.mean([v for v in values if v is not None]))


def test_the_first_coded_exam_defines_the_scale_and_a_later_form_links_to_it(db_url):
    first, second = make_coded_forms(np.random.default_rng(5), common=12)
    release_exam(first)
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, first)
        assert (exam.link_status, exam.link_shift) == (LinkStatus.ORIGIN, 0.0)
        assert len(db.exec(select(BankItem)).all()) == 55
    own_scale_first = _mean_theta(first)

    release_exam(second)
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, second)
        bank = db.exec(select(BankItem)).all()
        sample = db.exec(
            select(ExamSession.theta, ExamSession.scaled_score).where(
                ExamSession.exam_id == second, col(ExamSession.theta).is_not(None)
            )
        ).first()
    assert exam.link_status == LinkStatus.LINKED
    assert exam.link_report["common"] == 12 and len(exam.link_report["used"]) >= 11
    # The harder paper moves this week's own scale: the shift puts it back.
    assert exam.link_shift == pytest.approx(0.8 * 43 / 55, abs=0.25)
    assert 0 < exam.link_shift_se < 0.2
    assert len(bank) == 55 + 43  # the new codes join the bank on the linked scale
    growth = _mean_theta(second) - own_scale_first
    assert growth == pytest.approx(0.3, abs=0.15)  # the cohort's true growth
    theta, scaled = sample
    assert scaled == pytest.approx(min(max(50 + 12.5 * theta, 0), 100), abs=0.01)


def _paper_theta_half(exam_id: int, shift: float) -> float:
    with session_scope(readonly=True) as db:
        rows = db.exec(
            select(ItemStatistic.beta, ExamItem.points)
            .join(ExamItem, col(ExamItem.id) == ItemStatistic.item_id)
            .where(ItemStatistic.exam_id == exam_id, col(ItemStatistic.beta).is_not(None))
        ).all()
    beta = np.array([b for b, _ in rows]) + shift
    return elo.half_score_theta(beta, np.array([p for _, p in rows]))


def _mean_elo_change(exam_id: int) -> float:
    with session_scope(readonly=True) as db:
        rows = db.exec(
            select(EloHistory.elo_before, EloHistory.elo_after).where(EloHistory.exam_id == exam_id)
        ).all()
    return float(np.mean([after - before for before, after in rows]))


def test_a_linked_exam_is_rated_from_its_paper_not_its_takers(db_url):
    # Week 2's new students are 0.3 logits abler than week 1's; its paper is harder.
    first, second = make_coded_forms(np.random.default_rng(5), common=12)
    release_exam(first)
    release_exam(second)
    with session_scope(readonly=True) as db:
        origin, linked = db.get(Exam, first), db.get(Exam, second)
    # The origin is rated by its takers (all new, at 1200) and sets the scale's anchor.
    assert origin.elo_rating is not None and origin.elo_rating != 1200.0
    theta_half = _paper_theta_half(first, 0.0)
    assert origin.elo_anchor == pytest.approx(
        origin.elo_rating - elo.ELO_PER_LOGIT * theta_half, abs=1e-3
    )
    # The linked exam plays where its paper is on the scale, and carries the same anchor.
    theta_half = _paper_theta_half(second, linked.link_shift)
    assert linked.elo_rating == pytest.approx(
        origin.elo_anchor + elo.ELO_PER_LOGIT * theta_half, abs=0.05
    )
    assert linked.elo_anchor == pytest.approx(origin.elo_anchor, abs=1e-3)
    # Rated from its takers, a cohort of newcomers nets ~0; rated from its paper, the abler
    # cohort gains (≈ K·slope·0.3 ≈ 3 Elo each).
    assert abs(_mean_elo_change(first)) < 0.5
    assert _mean_elo_change(second) > 1.0


def test_an_unlinked_exam_is_rated_by_its_takers(db_url):
    first, second = make_coded_forms(np.random.default_rng(6), common=3)
    release_exam(first)
    release_exam(second)
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, second)
    assert exam.elo_anchor is None and exam.elo_rating is not None
    assert abs(_mean_elo_change(second)) < 0.5


def _bank(code: str) -> BankItem:
    with session_scope(readonly=True) as db:
        return db.exec(select(BankItem).where(BankItem.code == code)).one()


def test_an_admin_re_anchors_a_changed_item_on_a_later_exam(db_url):
    first, second = make_coded_forms(np.random.default_rng(7), common=12, drift=2.0)
    release_exam(first)
    release_exam(second)
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, second)
    assert "Q-010" in exam.link_report["dropped"]
    before = _bank("Q-010")
    assert before.exam_id == first
    with session_scope() as db:
        assert linking.reanchor(db, second, ["Q-010"], admin_id=None, now=utcnow()) == ["Q-010"]
    after = _bank("Q-010")
    with session_scope(readonly=True) as db:
        stat = db.exec(
            select(ItemStatistic)
            .join(ExamItem, col(ExamItem.id) == ItemStatistic.item_id)
            .where(ExamItem.exam_id == second, ExamItem.bank_code == "Q-010")
        ).one()
        exam = db.get(Exam, second)
        logged = db.exec(select(AuditLog).where(AuditLog.action == "exam.reanchor")).all()
    assert after.exam_id == second
    assert after.beta == pytest.approx(stat.beta + exam.link_shift, abs=1e-9)
    assert after.beta - before.beta == pytest.approx(2.0, abs=0.5)  # the item's change
    assert exam.link_report["reanchored"] == ["Q-010"]
    assert [(a.entity_id, a.details["codes"]) for a in logged] == [(second, ["Q-010"])]


def test_re_anchoring_refuses_bad_requests_and_changes_nothing(db_url):
    first, second = make_coded_forms(np.random.default_rng(8), common=12)
    release_exam(first)
    release_exam(second)
    with session_scope() as db:
        unreleased = make_exam(db, title="Unreleased", start=utcnow() + timedelta(days=3)).id
    before = _bank("Q-010")
    cases = [
        (second, [], ValidationError, "Choose the item codes"),
        (second, ["Q-099"], ValidationError, "“Q-099” is not a measured common item"),
        (second, ["R-030"], ValidationError, "“R-030”"),  # its own new item, not a common one
        (second, [7], ValidationError, "“7”"),
        (second, "Q-010", ValidationError, "Choose the item codes"),
        (unreleased, ["Q-010"], ValidationError, "Only an exam on the bank's scale"),
        (10**6, ["Q-010"], NotFoundError, "No such exam"),
    ]
    for exam_id, codes, error, words in cases:
        with session_scope() as db, pytest.raises(error, match=words):
            linking.reanchor(db, exam_id, codes, admin_id=None, now=utcnow())
    after = _bank("Q-010")
    assert (after.beta, after.exam_id) == (before.beta, before.exam_id)
    with session_scope(readonly=True) as db:
        assert "reanchored" not in db.get(Exam, second).link_report


def test_too_few_common_items_leave_the_form_on_its_own_scale(db_url):
    first, second = make_coded_forms(np.random.default_rng(6), common=3)
    release_exam(first)
    release_exam(second)
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, second)
        n_bank = len(db.exec(select(BankItem)).all())
    assert (exam.link_status, exam.link_shift) == (LinkStatus.NOT_LINKED, None)
    assert exam.link_report["common"] == 3
    assert n_bank == 55  # nothing of an unlinked form enters the bank


def test_an_exam_without_codes_is_on_its_own_scale(db_url):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(days=3), hours=3)
        make_cohort(db, exam, n=200, graded=True)
        exam_id = exam.id
    release_exam(exam_id)
    with session_scope(readonly=True) as db:
        assert db.get(Exam, exam_id).link_status == LinkStatus.NO_CODES


def test_a_recalibration_links_again_and_the_bank_follows(db_url):
    first, second = make_coded_forms(np.random.default_rng(7), common=12)
    release_exam(first)
    release_exam(second)
    exclude_item(second, "1")  # one of the common items
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, second)
        codes = {b.code for b in db.exec(select(BankItem).where(BankItem.exam_id == second))}
    assert exam.link_status == LinkStatus.LINKED
    assert exam.link_report["common"] == 11
    assert len(codes) == 43 and "Q-010" not in codes


def test_bank_codes_are_checked_whole_and_fixed_after_release(db_url):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() + timedelta(days=3))
        exam_id = exam.id
    _codes(exam_id, {"1": "alg-017", "2": "GEO.4"})
    with session_scope(readonly=True) as db:
        coded = {i.label: i.bank_code for i in exams.get_items(db, exam_id) if i.bank_code}
    assert coded == {"1": "ALG-017", "2": "GEO.4"}
    with pytest.raises(AnswerKeyError) as err, session_scope() as db:
        exams.set_bank_codes(db, exam_id, "99 X-1\n4 bad code!\n5 A\n5 B\n6 C\n7 c\n")
    text = err.value.text("en")
    for words in ("no item 99", "Write it as", "already on line", "already the code of item 6"):
        assert words in text, words
    with pytest.raises(AnswerKeyError) as err, session_scope() as db:
        exams.set_bank_codes(db, exam_id, "3 ALG-017")  # item 1 has it
    assert "ALG-017 would name items 1 and 3" in err.value.text("en")
    with session_scope() as db:
        exams.set_bank_codes(db, exam_id, "1 -\n3 ALG-017")
    with session_scope(readonly=True) as db:
        coded = {i.label: i.bank_code for i in exams.get_items(db, exam_id) if i.bank_code}
    assert coded == {"2": "GEO.4", "3": "ALG-017"}


def test_released_exams_codes_are_fixed(db_url):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(days=3), hours=3)
        make_cohort(db, exam, n=50, graded=True)
        exam_id = exam.id
    release_exam(exam_id)
    with pytest.raises(ExamLockedError), session_scope() as db:
        exams.set_bank_codes(db, exam_id, "1 ALG-017")


def test_copying_pairs_are_stored_at_release_with_their_evidence(db_url):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(days=3), hours=3)
        session_ids, _theta, _beta = make_cohort(db, exam, n=400, graded=False)
        exam_id = exam.id
        source, copier = session_ids[3], session_ids[200]
        # The copier gives the source's answer on every item (wrong ones included) and
        # saved from the same device.
        answers = {a.item_id: a for a in db.exec(select(Answer).where(Answer.session_id == copier))}
        for a in db.exec(select(Answer).where(Answer.session_id == source)):
            mine = answers[a.item_id]
            mine.value = a.value
            db.add(mine)
        for sid in (source, copier):
            db.add(SheetSync(session_id=sid, device="dev-shared-1", seq=3))
    from mockexam.services.grading import grade_pending

    with session_scope() as db:
        grade_pending(db, exam_id)
    release_exam(exam_id)
    with session_scope(readonly=True) as db:
        rows = db.exec(select(CopyingPair).where(CopyingPair.exam_id == exam_id)).all()
        evidence = copying.pair_evidence(db, exam_id)
        report = copying.exam_integrity(db, exam_id)
    assert {(r.session_a, r.session_b) for r in rows} == {(source, copier)}
    [pair] = evidence
    assert pair.same_device
    assert pair.matches >= 50 and pair.p_value <= copying.ALPHA / (400 * 399 / 2)
    assert pair.identical_wrong == len(pair.wrong_items) > 0
    assert pair.a.name.startswith("Sim") and pair.b.name.startswith("Sim")
    assert report is not None and report.pairs == evidence
    # A recalibration finds them again (no duplicates).
    exclude_item(exam_id, "2")
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(CopyingPair)).all()) == 1


def test_a_key_paste_may_end_an_items_line_with_its_bank_code(db_url):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() + timedelta(days=3), key=False, publish=False)
        exam_id = exam.id
        result = exams.import_answer_key(
            db, exam_id, "1 B ALG-017\n2 c\n36a 0.5 | 1/2 GEO.4  # a comment\n37a -1/2\n"
        )
        assert result.updated == 4
        items = {i.label: i for i in exams.get_items(db, exam_id)}
    assert {k: i.bank_code for k, i in items.items() if i.bank_code} == {
        "1": "ALG-017",
        "36a": "GEO.4",
    }
    assert items["1"].accepted_answers == ["B"]
    assert items["36a"].accepted_answers == ["0.5", "1/2"]
    assert items["37a"].accepted_answers == ["-1/2"]
    with pytest.raises(AnswerKeyError) as err, session_scope() as db:
        exams.import_answer_key(db, exam_id, "3 A ALG-017")  # item 1 has it
    assert "ALG-017 would name items 1 and 3" in err.value.text("en")
    with session_scope(readonly=True) as db:
        assert exams.get_items(db, exam_id)[2].accepted_answers == []  # nothing saved


def test_the_history_says_which_results_are_on_the_common_scale(db_url):
    from mockexam.services.history import get_history
    from mockexam.student.history import _row

    first, second = make_coded_forms(np.random.default_rng(8), common=3)  # the second: not linked
    release_exam(first)
    release_exam(second)
    with session_scope(readonly=True) as db:
        student_id = db.exec(
            select(ExamSession.student_id).where(ExamSession.exam_id == first)
        ).first()
        # The same student in both weeks: give them the second week's first session.
        session = db.exec(select(ExamSession).where(ExamSession.exam_id == second)).first()
    with session_scope() as db:
        row = db.get(ExamSession, session.id)
        row.student_id = student_id
        db.add(row)
    entries = {e.exam_id: e for e in get_history(student_id=student_id)}
    assert entries[first].on_common_scale and not entries[second].on_common_scale
    rows = {e.exam_id: _row(e, any_linked=True) for e in entries.values()}
    assert (rows[first]["own_scale"], rows[second]["own_scale"]) == (False, True)
    assert _row(entries[second], any_linked=False)["own_scale"] is False


def _block_theta_means(exam_id: int) -> tuple[list[float], list[bool]]:
    with session_scope(readonly=True) as db:
        rows = db.exec(
            select(ExamSession.section_scores).where(ExamSession.exam_id == exam_id)
        ).all()
    means = [float(np.nanmean([r[s].get("theta", np.nan) for r in rows])) for s in range(5)]
    linked = [all(r[s].get("linked", False) for r in rows) for s in range(5)]
    return means, linked


def test_a_linked_block_tests_sections_are_on_the_banks_scale_too(db_url):
    # DTM blocks (10, 10, 10, 30, 30 items). Week 2 keeps two items in three of week 1's
    # (same codes, same true difficulty); the third is new and 1.2 logits harder. Each
    # block's own calibration centres its items, so its θ would hide the cohort's growth
    # (+0.3) behind the harder new items; linked through its own codes, it shows it.
    rng = np.random.default_rng(11)
    now = utcnow()
    with session_scope() as db:
        first = make_exam(db, title="W1", start=now - timedelta(days=10), hours=4, layout=DTM_BLOCK)
        second = make_exam(db, title="W2", start=now - timedelta(days=3), hours=4, layout=DTM_BLOCK)
        ids = (first.id, second.id)
    labels = _labels(ids[0])
    beta1 = rng.normal(0.0, 1.0, 90)
    beta2 = beta1.copy()
    new = np.arange(90) % 3 == 0
    beta2[new] = rng.normal(1.2, 1.0, int(new.sum()))
    _codes(ids[0], {label: f"D-{k:03d}" for k, label in enumerate(labels)})
    _codes(ids[1], {lb: (f"N-{k:03d}" if new[k] else f"D-{k:03d}") for k, lb in enumerate(labels)})
    with session_scope() as db:
        make_cohort(db, db.get(Exam, ids[0]), n=600, seed=1, beta=beta1, graded=True)
        make_cohort(
            db, db.get(Exam, ids[1]), n=600, seed=2, theta_mean=0.3, beta=beta2, graded=True
        )
    release_exam(ids[0])
    release_exam(ids[1])
    before, linked_before = _block_theta_means(ids[0])
    after, linked_after = _block_theta_means(ids[1])
    assert all(linked_before) and all(linked_after)  # the origin's blocks: shift 0 but linked
    growth = np.array(after) - np.array(before)
    # 10-item blocks measure coarsely (WLE at the extremes): a looser band than 30 items.
    np.testing.assert_allclose(growth[3:], 0.3, atol=0.12)
    np.testing.assert_allclose(growth[:3], 0.3, atol=0.2)
