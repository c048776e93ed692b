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
ones, every common item's displacement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete
from sqlmodel import Session, col, select

from mockexam.models import BankItem, Exam, ExamItem, LinkStatus
from mockexam.scoring import linking
from mockexam.scoring.rasch import RaschCalibration


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
