"""Putting a released exam on the item bank's scale through its common items (at release).

Items carry bank codes (`ExamItem.bank_code`); `BankItem` keeps each code's difficulty on
the linked scale, set by the first release that calibrated it. At release, after the
exam's own calibration (items centred at 0):

- no item has a code: the exam is on its own scale (`LinkStatus.NO_CODES`);
- the bank holds no other exam's codes yet: this exam defines the scale (`ORIGIN`,
  shift 0) and its codes enter the bank;
- otherwise `scoring.linking.link` through the codes both have: with ≥ 5 stable common
  items the exam is `LINKED` (its β and every θ move by the shift, and its new codes
  enter the bank on the linked scale); with fewer it is `NOT_LINKED`, stays on its own
  scale and adds nothing to the bank (its difficulties are not on the bank's scale).

A recalibration runs the same again: the entries this exam set are dropped first and
set anew. Extreme and excluded items are left out (their difficulty is not measured).
`Exam.link_report` keeps what the admin is shown: the common items used, the dropped
ones, every common item's displacement, and the codes an admin re-anchored on it.

`reanchor`: an admin makes an exam's linked difficulty the bank's for chosen common
items (a question that was changed, or drifted), for the exams linked after it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete
from sqlmodel import Session, col, select

from mockexam.db import lock_for_update, utcnow
from mockexam.errors import NotFoundError, ValidationError, msg
from mockexam.models import COMMON_SCALE, BankItem, Exam, ExamItem, ItemStatistic, LinkStatus
from mockexam.scoring import linking
from mockexam.scoring.blocks import BlockMeasure
from mockexam.scoring.rasch import RaschCalibration
from mockexam.services import audit


@dataclass(frozen=True, slots=True)
class ExamLink:
    status: LinkStatus
    shift: float  # 0 unless LINKED
    shift_se: float | None


def _measured_codes(
    items: list[ExamItem], active: np.ndarray, calibration: RaschCalibration
) -> dict[str, tuple[ExamItem, float, float | None]]:
    """code → (item, own β, its SE) for the active, non-extreme items with a code."""
    out: dict[str, tuple[ExamItem, float, float | None]] = {}
    columns = np.flatnonzero(active)
    for c, index in enumerate(columns):
        item = items[int(index)]
        beta = float(calibration.beta[c])
        if not item.bank_code or calibration.extreme_items[c] or not math.isfinite(beta):
            continue
        se = float(calibration.beta_se[c])
        out[item.bank_code] = (item, beta, se if math.isfinite(se) else None)
    return out


def link_exam(
    db: Session,
    exam: Exam,
    items: list[ExamItem],
    active: np.ndarray,
    calibration: RaschCalibration,
    *,
    now: datetime,
) -> ExamLink:
    """Link the exam (stores `exam.link_*` and the bank's entries) and return the shift."""
    db.execute(delete(BankItem).where(col(BankItem.exam_id) == exam.id))
    own = _measured_codes(items, active, calibration)
    if not own:
        return _record(exam, LinkStatus.NO_CODES, None, {})
    bank = {
        b.code: b.beta
        for b in db.exec(select(BankItem).where(col(BankItem.exam_id) != exam.id)).all()
    }
    if not bank:
        _add_to_bank(db, exam, own, shift=0.0, skip=set(), now=now)
        report = {"common": 0, "used": [], "dropped": [], "displacement": {}, "added": len(own)}
        return _record(exam, LinkStatus.ORIGIN, 0.0, report, shift_se=0.0)
    result = linking.link(
        bank,
        {code: beta for code, (_item, beta, _se) in own.items()},
        new_se={code: se for code, (_item, _beta, se) in own.items() if se is not None},
    )
    report = {
        "common": result.common,
        "used": list(result.used),
        "dropped": list(result.dropped),
        "displacement": {c: round(d, 3) for c, d in result.displacement.items()},
    }
    if result.shift is None:
        report["added"] = 0
        return _record(exam, LinkStatus.NOT_LINKED, None, report)
    report["added"] = _add_to_bank(db, exam, own, shift=result.shift, skip=set(bank), now=now)
    return _record(exam, LinkStatus.LINKED, result.shift, report, shift_se=result.shift_se)


def _add_to_bank(
    db: Session,
    exam: Exam,
    own: dict[str, tuple[ExamItem, float, float | None]],
    *,
    shift: float,
    skip: set[str],
    now: datetime,
) -> int:
    added = 0
    for code, (item, beta, se) in sorted(own.items()):
        if code in skip:
            continue
        db.add(
            BankItem(
                code=code,
                beta=beta + shift,
                beta_se=se,
                exam_id=exam.id,
                item_id=item.id,
                set_at=now,
            )
        )
        added += 1
    return added


def _record(
    exam: Exam,
    status: LinkStatus,
    shift: float | None,
    report: dict,
    *,
    shift_se: float | None = None,
) -> ExamLink:
    exam.link_status = status.value
    exam.link_shift = None if shift is None else round(shift, 4)
    exam.link_shift_se = None if shift_se is None else round(shift_se, 4)
    exam.link_report = report
    return ExamLink(status=status, shift=shift or 0.0, shift_se=shift_se)


def clear_link(db: Session, exam: Exam) -> None:
    """A provisional release (too few takers to calibrate): no link, nothing in the bank."""
    db.execute(delete(BankItem).where(col(BankItem.exam_id) == exam.id))
    exam.link_status = None
    exam.link_shift = exam.link_shift_se = None
    exam.link_report = {}


MAX_REANCHOR_CODES = 500


def reanchor(
    db: Session,
    exam_id: int,
    codes: list[str],
    *,
    admin_id: int | None,
    now: datetime | None = None,
) -> list[str]:
    """Make this exam's linked difficulties the bank's for `codes`; returns the codes set.

    The bank keeps a code's difficulty from the first exam that calibrated it. When a
    question was changed (a misprint fixed, a figure redrawn) or has drifted, the admin
    re-anchors it on a later exam: from now on exams link through this exam's value for
    it (β on this exam's own scale + this exam's shift). Released results do not move —
    this exam's nor anyone's. Only an exam on the bank's scale (the origin or a linked
    exam) can re-anchor, and only its common items that were measured (not excluded,
    not extreme). Audited.
    """
    if not isinstance(codes, list) or not codes or len(codes) > MAX_REANCHOR_CODES:
        raise ValidationError(
            msg(
                "Qayta bog‘lash uchun savol kodini tanlang.",
                "Выберите код задания для перепривязки.",
                "Choose the item codes to re-anchor.",
            )
        )
    exam = db.exec(lock_for_update(db, select(Exam).where(Exam.id == exam_id))).first()
    if exam is None:
        raise NotFoundError(msg("Bunday imtihon yo‘q.", "Такого экзамена нет.", "No such exam."))
    if exam.link_status not in COMMON_SCALE or exam.link_shift is None:
        raise ValidationError(
            msg(
                "Faqat bank shkalasidagi imtihon (boshlang‘ich yoki bog‘langan) bankni "
                "qayta bog‘lay oladi.",
                "Перепривязать банк может только экзамен на шкале банка (исходный или связанный).",
                "Only an exam on the bank's scale (the origin or a linked exam) can "
                "re-anchor the bank.",
            )
        )
    common = set((exam.link_report or {}).get("displacement", {}))
    measured = {
        item.bank_code: (item, stat)
        for item, stat in db.exec(
            select(ExamItem, ItemStatistic)
            .join(ItemStatistic, col(ItemStatistic.item_id) == ExamItem.id)
            .where(ExamItem.exam_id == exam_id, col(ExamItem.bank_code).is_not(None))
        )
        if not item.is_excluded and not stat.is_extreme and _finite(stat.beta)
    }
    wanted = sorted(set(codes))
    for code in wanted:
        if not isinstance(code, str) or code not in common or code not in measured:
            raise ValidationError(
                msg(
                    "“{code}” bu imtihonning o‘lchangan umumiy savoli emas.",
                    "«{code}» — не измеренное общее задание этого экзамена.",
                    "“{code}” is not a measured common item of this exam.",
                    code=str(code)[:40],
                )
            )
    bank = {b.code: b for b in db.exec(select(BankItem).where(col(BankItem.code).in_(wanted)))}
    for code in wanted:
        item, stat = measured[code]
        row = bank.get(code) or BankItem(code=code, beta=0.0, exam_id=exam_id, item_id=item.id)
        row.beta = float(stat.beta) + float(exam.link_shift)
        row.beta_se = stat.beta_se if _finite(stat.beta_se) else None
        row.exam_id, row.item_id, row.set_at = exam_id, item.id, now or utcnow()
        db.add(row)
    report = dict(exam.link_report or {})
    report["reanchored"] = sorted(set(report.get("reanchored", [])) | set(wanted))
    exam.link_report = report
    db.add(exam)
    audit.record(
        db,
        admin_id=admin_id,
        action="exam.reanchor",
        entity="exam",
        entity_id=exam_id,
        details={"codes": wanted},
    )
    return wanted


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def link_blocks(
    db: Session,
    exam: Exam,
    items: list[ExamItem],
    active: np.ndarray,
    measures: list[BlockMeasure | None],
) -> list[BlockMeasure | None]:
    """Each measured block of an exam on the bank's scale, moved onto it through its own
    coded items (call after `link_exam`: the bank then holds every coded item of the exam
    on the linked scale, so a block links through all its measured codes). A block with
    fewer than 5 stable coded items stays on its own scale, as an exam would."""
    if exam.link_status not in COMMON_SCALE:
        return measures
    db.flush()
    bank = {b.code: b.beta for b in db.exec(select(BankItem)).all()}
    columns = np.flatnonzero(active)
    out: list[BlockMeasure | None] = []
    for measure in measures:
        if measure is None or measure.columns is None or measure.beta is None:
            out.append(measure)
            continue
        own: dict[str, float] = {}
        for k, column in enumerate(measure.columns):
            code = items[int(columns[int(column)])].bank_code
            beta = float(measure.beta[k])
            extreme = measure.extreme_items is not None and bool(measure.extreme_items[k])
            if code and code in bank and not extreme and math.isfinite(beta):
                own[code] = beta
        result = linking.link(bank, own) if len(own) >= linking.MIN_COMMON else None
        shift = None if result is None else result.shift
        out.append(measure if shift is None else measure.shifted(shift))
    return out
