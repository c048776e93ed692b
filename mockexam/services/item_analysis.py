"""Item analysis of an exam for admins: the item table, the Wright map data and item curves.

Sources, read in a fixed, small number of queries (never one per item or per
person; bench/admin_bench.py measures it):

- items with their statistics (β ± SE, infit/outfit with ZSTD, facility,
  discrimination, responses, option-choice counts) as the release stored them
  (services/release.py) — one query, items LEFT JOIN item statistics;
- the persons' abilities as a histogram on the logit axis, aggregated in SQL
  (GROUP BY bin) — one query, whatever the number of students;
- before release (no statistics yet) option counts and facility come from one
  aggregate over the exam's answers (GROUP BY item, value, correctness).

Flags are recomputed from the stored values with the current settings, so a
changed fit band (`settings.fit_low`/`fit_high`) shows at once.

Each item carries its section of the exam's layout (`ItemRow.section`, an index
into `ItemAnalysis.sections`: key, titles in uz/ru/en, kind, options, item
count), so a page can show one section's items (a DTM block) at a time. A stored
layout that fails the checks or does not match the items is replaced by one
grouped from the items, as the answer sheet does (services/exam_room.py).

The item characteristic curve of one item compares the Rasch model
P(θ) = 1 / (1 + exp(β − θ)) with the observed proportion right in quantile
groups of ability, from one query over the exam's sessions.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy import Float, case, cast, func, literal_column, null, union_all
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.errors import NotFoundError, ValidationError, msg
from mockexam.models import (
    Answer,
    Exam,
    ExamItem,
    ExamSession,
    ExamStatus,
    ItemKind,
    ItemStatistic,
)
from mockexam.services.analytics import Histogram, sql_floor
from mockexam.services.exam_results import PERSON_MISFIT_MNSQ
from mockexam.services.exams import item_spec, layout_matching_items

EASY_FACILITY = 0.90
"""Facility at or above this flags an item as too easy (it separates few students)."""
HARD_FACILITY = 0.10
"""Facility at or below this flags an item as too hard."""
ABILITY_BIN_WIDTH = 0.5
"""Logits per bar of the Wright map's person histogram."""


class ItemFlag(StrEnum):
    """Why an item row is highlighted."""

    INFIT_MISFIT = "infit_misfit"
    OUTFIT_MISFIT = "outfit_misfit"
    TOO_EASY = "too_easy"
    TOO_HARD = "too_hard"
    NEGATIVE_DISCRIMINATION = "negative_discrimination"
    EXTREME = "extreme"  # everyone right or everyone wrong
    EXCLUDED = "excluded"


@dataclass(frozen=True, slots=True)
class OptionCount:
    """How many chose one option of a multiple-choice item; option '' is "left blank"."""

    option: str
    count: int
    is_key: bool


@dataclass(frozen=True, slots=True)
class SectionInfo:
    """One section of the exam's answer sheet, as the item analysis groups its items."""

    index: int
    key: str
    titles: dict[str, str]  # uz, ru, en (uz always)
    subject: str
    kind: str  # "mcq" | "free"
    options: tuple[str, ...]
    item_count: int

    def title(self, lang: str | None) -> str:
        """The title in `lang`, else the Uzbek one, else the key."""
        return self.titles.get(lang or "") or self.titles.get("uz") or self.key


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item of the exam with its statistics (None where not computed)."""

    item_id: int
    position: int
    label: str
    kind: str
    section: int  # index into ItemAnalysis.sections
    points: float  # what the item is worth
    options: tuple[str, ...]
    accepted_answers: tuple[str, ...]
    is_excluded: bool
    n_responses: int
    facility: float | None  # proportion right, 0–1
    discrimination: float | None  # item–rest point-biserial
    beta: float | None  # difficulty, logits
    beta_se: float | None
    infit: float | None
    outfit: float | None
    infit_z: float | None
    outfit_z: float | None
    is_extreme: bool
    flags: tuple[ItemFlag, ...]
    option_counts: tuple[OptionCount, ...]  # multiple choice only: each option, then blank

    @property
    def is_flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True, slots=True)
class PersonDistribution:
    """Persons' abilities (θ, logits) as a histogram for the Wright map.

    `misfit_counts[k]`: persons in bin k whose infit or outfit is above
    exam_results.PERSON_MISFIT_MNSQ.
    """

    histogram: Histogram
    misfit_counts: tuple[int, ...]
    n: int
    mean: float | None
    sd: float | None


@dataclass(frozen=True, slots=True)
class ItemAnalysis:
    """Everything the item-analysis page shows for one exam."""

    exam_id: int
    title: str
    is_released: bool
    is_provisional: bool  # no calibration: not released yet, or too few participants
    participants: int
    cronbach_alpha: float | None
    person_separation_reliability: float | None
    sem: float | None
    calibration_iterations: int | None
    fit_low: float
    fit_high: float
    items: tuple[ItemRow, ...]
    persons: PersonDistribution
    sections: tuple[SectionInfo, ...] = ()

    @property
    def flagged_items(self) -> tuple[ItemRow, ...]:
        return tuple(i for i in self.items if i.flags)

    def section_items(self, section: int | None) -> tuple[ItemRow, ...]:
        """The items of section `section` (an index), or every item for None."""
        if section is None:
            return self.items
        return tuple(i for i in self.items if i.section == section)

    def section_title(self, section: int, lang: str | None) -> str:
        """The title of section `section` in `lang` ("" for an unknown index)."""
        if 0 <= section < len(self.sections):
            return self.sections[section].title(lang)
        return ""


def item_analysis(exam_id: int, *, bin_width: float = ABILITY_BIN_WIDTH) -> ItemAnalysis:
    """The item table, the test statistics and the person histogram of one exam."""
    if not 0 < bin_width <= 4:
        raise ValidationError(
            msg(
                "Qobiliyat ustuni kengligi 0 dan 4 logitgacha bo‘lishi kerak.",
                "Ширина столбца способностей должна быть от 0 до 4 логитов.",
                "The ability bin width must be between 0 and 4 logits.",
            )
        )
    with session_scope(readonly=True) as db:
        exam = _exam(db, exam_id)
        released = exam.status == ExamStatus.RELEASED
        rows = db.exec(
            select(ExamItem, ItemStatistic)
            .join(ItemStatistic, col(ItemStatistic.item_id) == ExamItem.id, isouter=True)
            .where(ExamItem.exam_id == exam_id)
            .order_by(ExamItem.position)
        ).all()
        persons = _person_distribution(db, exam_id, bin_width)
        live = None
        if not released or any(stat is None for _item, stat in rows):
            live = _live_counts(db, exam_id)
    participants = exam.n_participants if released and exam.n_participants is not None else 0
    if live is not None:
        participants = live.participants
    sections, section_of = _sections(exam, [item for item, _stat in rows])
    items = tuple(_item_row(item, stat, live, section_of.get(item.label, 0)) for item, stat in rows)
    return ItemAnalysis(
        exam_id=exam_id,
        title=exam.title,
        is_released=released,
        is_provisional=bool(exam.is_provisional) if released else True,
        participants=participants,
        cronbach_alpha=exam.cronbach_alpha if released else None,
        person_separation_reliability=exam.person_separation_reliability if released else None,
        sem=exam.sem if released else None,
        calibration_iterations=exam.calibration_iterations if released else None,
        fit_low=settings.fit_low,
        fit_high=settings.fit_high,
        items=items,
        persons=persons,
        sections=sections,
    )


def _exam(db: Session, exam_id: int) -> Exam:
    exam = db.get(Exam, exam_id)
    if exam is None:
        raise NotFoundError(
            msg(
                "{exam_id}-imtihon mavjud emas.",
                "Экзамена {exam_id} нет.",
                "Exam {exam_id} does not exist.",
                exam_id=exam_id,
            )
        )
    return exam


def _sections(exam: Exam, items: list[ExamItem]) -> tuple[tuple[SectionInfo, ...], dict[str, int]]:
    """The exam's sections and each item label's section index.

    The stored layout when it holds exactly these items; else (a layout that fails
    the checks, or items that do not match it) one grouped from the items."""
    specs = [item_spec(item) for item in items]
    layout = layout_matching_items(exam.layout, specs, exam_id=exam.id)
    section_of = layout.section_of_label()
    counts = Counter(section_of.get(item.label, 0) for item in items)
    sections = tuple(
        SectionInfo(
            index=index,
            key=section.key,
            titles=dict(section.titles),
            subject=section.subject,
            kind=section.kind,
            options=tuple(section.options),
            item_count=counts.get(index, 0),
        )
        for index, section in enumerate(layout.sections)
    )
    return sections, section_of


@dataclass(frozen=True, slots=True)
class _LiveCounts:
    """Before release: per item, value → (chosen, right) over submitted sessions."""

    participants: int
    by_item: dict[int, dict[str, tuple[int, int]]]


def _live_counts(db: Session, exam_id: int) -> _LiveCounts:
    submitted = col(ExamSession.submitted_at).is_not(None)
    participants = db.exec(
        select(func.count()).where(ExamSession.exam_id == exam_id, submitted)
    ).one()
    by_item: dict[int, dict[str, tuple[int, int]]] = {}
    for item_id, value, n, right in db.exec(
        select(
            Answer.item_id,
            Answer.value,
            func.count(),
            func.coalesce(func.sum(case((col(Answer.is_correct).is_(True), 1), else_=0)), 0),
        )
        .join(ExamSession, col(ExamSession.id) == Answer.session_id)
        .where(Answer.exam_id == exam_id, submitted)
        .group_by(Answer.item_id, Answer.value)
    ):
        by_item.setdefault(item_id, {})[value] = (int(n), int(right))
    return _LiveCounts(participants=int(participants), by_item=by_item)


def _option_counts(item: ExamItem, counts: dict[str, int], blank: int) -> tuple[OptionCount, ...]:
    if item.kind != ItemKind.MULTIPLE_CHOICE:
        return ()
    keys = {a.strip().upper() for a in item.accepted_answers}
    options = [
        OptionCount(option=o, count=int(counts.get(o, 0)), is_key=o.strip().upper() in keys)
        for o in item.options
    ]
    return (*options, OptionCount(option="", count=int(blank), is_key=False))


def _item_row(
    item: ExamItem, stat: ItemStatistic | None, live: _LiveCounts | None, section: int
) -> ItemRow:
    if stat is not None:
        stored = dict(stat.option_counts or {})
        option_counts = _option_counts(
            item, {k: v for k, v in stored.items() if k}, stored.get("", 0)
        )
        values: dict[str, Any] = {
            "n_responses": stat.n_responses,
            "facility": stat.facility,
            "discrimination": stat.discrimination,
            "beta": stat.beta,
            "beta_se": stat.beta_se,
            "infit": stat.infit,
            "outfit": stat.outfit,
            "infit_z": stat.infit_z,
            "outfit_z": stat.outfit_z,
            "is_extreme": stat.is_extreme,
        }
    else:
        chosen = (live.by_item.get(item.id, {}) if live else {}) if not item.is_excluded else {}
        participants = live.participants if live else 0
        right = sum(r for _n, r in chosen.values())
        answered = sum(n for v, (n, _r) in chosen.items() if v in item.options)
        option_counts = _option_counts(
            item, {v: n for v, (n, _r) in chosen.items()}, participants - answered
        )
        values = {
            "n_responses": 0 if item.is_excluded else participants,
            "facility": right / participants if participants and not item.is_excluded else None,
            "discrimination": None,
            "beta": None,
            "beta_se": None,
            "infit": None,
            "outfit": None,
            "infit_z": None,
            "outfit_z": None,
            "is_extreme": False,
        }
    return ItemRow(
        item_id=item.id,
        position=item.position,
        label=item.label,
        kind=item.kind,
        section=section,
        points=float(item.points),
        options=tuple(item.options),
        accepted_answers=tuple(item.accepted_answers),
        is_excluded=item.is_excluded,
        flags=_flags(item.is_excluded, values),
        option_counts=option_counts,
        **values,
    )


def _flags(excluded: bool, v: dict[str, Any]) -> tuple[ItemFlag, ...]:
    if excluded:
        return (ItemFlag.EXCLUDED,)
    flags = []
    for name, flag in (("infit", ItemFlag.INFIT_MISFIT), ("outfit", ItemFlag.OUTFIT_MISFIT)):
        value = v[name]
        if value is not None and not settings.fit_low <= value <= settings.fit_high:
            flags.append(flag)
    facility = v["facility"]
    if facility is not None and facility >= EASY_FACILITY:
        flags.append(ItemFlag.TOO_EASY)
    if facility is not None and facility <= HARD_FACILITY:
        flags.append(ItemFlag.TOO_HARD)
    if v["discrimination"] is not None and v["discrimination"] < 0:
        flags.append(ItemFlag.NEGATIVE_DISCRIMINATION)
    if v["is_extreme"]:
        flags.append(ItemFlag.EXTREME)
    return tuple(flags)


def _person_distribution(db: Session, exam_id: int, bin_width: float) -> PersonDistribution:
    """θ histogram of the exam's calibrated persons: one GROUP BY floor(θ / width)."""
    theta = col(ExamSession.theta)
    infit, outfit = col(ExamSession.person_infit), col(ExamSession.person_outfit)
    misfit = case(
        ((infit > PERSON_MISFIT_MNSQ) | (outfit > PERSON_MISFIT_MNSQ), 1),
        else_=0,
    )
    bin_index = sql_floor(db, theta / bin_width)
    binned = (
        select(bin_index.label("k"), theta.label("theta"), misfit.label("misfit"))
        .where(
            ExamSession.exam_id == exam_id,
            col(ExamSession.submitted_at).is_not(None),
            theta.is_not(None),
        )
        .subquery()
    )
    rows = db.exec(
        select(
            binned.c.k,
            func.count(),
            func.sum(binned.c.theta),
            func.sum(binned.c.theta * binned.c.theta),
            func.sum(binned.c.misfit),
        ).group_by(binned.c.k)
    ).all()
    if not rows:
        return PersonDistribution(Histogram((), ()), (), 0, None, None)
    lo, hi = min(int(r[0]) for r in rows), max(int(r[0]) for r in rows)
    counts = [0] * (hi - lo + 1)
    misfits = [0] * (hi - lo + 1)
    n, total, squares = 0, 0.0, 0.0
    for k, count, s1, s2, bad in rows:
        counts[int(k) - lo] = int(count)
        misfits[int(k) - lo] = int(bad or 0)
        n += int(count)
        total += float(s1)
        squares += float(s2)
    mean = total / n
    sd = math.sqrt(max(squares / n - mean * mean, 0.0) * n / (n - 1)) if n > 1 else None
    edges = tuple(round(k * bin_width, 10) for k in range(lo, hi + 2))
    return PersonDistribution(
        histogram=Histogram(edges, tuple(counts)),
        misfit_counts=tuple(misfits),
        n=n,
        mean=mean,
        sd=sd,
    )


# ---------------------------------------------------------------------------
# Item characteristic curve
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AbilityGroup:
    """Persons of one ability group and how they did on the item.

    `expected` is the model's mean P(θ) over the group; `z` the standardised
    residual (Σx − ΣP) / sqrt(Σ P(1 − P)) over its members (|z| > 2: the item
    departs from the model at that ability).
    """

    n: int
    theta_mean: float
    theta_low: float
    theta_high: float
    observed: float
    expected: float
    z: float | None


@dataclass(frozen=True, slots=True)
class ItemCurve:
    """The model curve of one item and the observed proportions right by ability group."""

    exam_id: int
    item_label: str
    beta: float
    beta_se: float | None
    theta: tuple[float, ...]  # the grid of the model curve
    probability: tuple[float, ...]  # P(θ) on that grid
    groups: tuple[AbilityGroup, ...]


def rasch_probability(theta: np.ndarray, beta: float) -> np.ndarray:
    """P(right) = 1 / (1 + exp(β − θ)) (the Rasch model)."""
    return 1.0 / (1.0 + np.exp(np.clip(beta - theta, -50.0, 50.0)))


def quantile_groups(theta: np.ndarray, groups: int) -> np.ndarray:
    """Group index (0..groups−1) of each person by ability, equal sizes as far as ties allow.

    Persons with the same θ (in Rasch, the same raw score) always share a group,
    so there may be fewer groups than asked.
    """
    _values, inverse, counts = np.unique(theta, return_inverse=True, return_counts=True)
    before = np.cumsum(counts) - counts
    middle = (before + counts / 2) / theta.size
    group_of_value = np.minimum((middle * groups).astype(np.int64), groups - 1)
    _, dense = np.unique(group_of_value, return_inverse=True)  # no empty groups
    return dense[inverse]


def item_characteristic_curve(
    exam_id: int, item_label: str, *, groups: int = 6, grid_points: int = 81
) -> ItemCurve:
    """Model curve P(θ) and observed proportions right in `groups` quantile groups of θ.

    Unanswered counts as wrong (as in scoring). Needs a calibrated (released,
    not provisional) exam and an item that was not excluded.
    """
    if not 2 <= groups <= 20:
        raise ValidationError(
            msg(
                "Qobiliyat guruhlari soni 2 dan 20 gacha bo‘lsin.",
                "Выберите от 2 до 20 групп по способностям.",
                "Choose between 2 and 20 ability groups.",
            )
        )
    label = item_label.strip().lower()
    with session_scope(readonly=True) as db:
        _exam(db, exam_id)
        found = db.exec(
            select(ExamItem, ItemStatistic)
            .join(ItemStatistic, col(ItemStatistic.item_id) == ExamItem.id, isouter=True)
            .where(ExamItem.exam_id == exam_id)
        ).all()
        match = next(((i, s) for i, s in found if i.label == label), None)
        if match is None:
            raise ValidationError(
                msg(
                    "{label} savoli bu imtihonning javob varaqasida yo‘q.",
                    "Вопроса {label} нет в бланке ответов этого экзамена.",
                    "Item {label} is not on this exam's answer sheet.",
                    label=repr(item_label),
                )
            )
        item, stat = match
        if stat is None or stat.beta is None:
            if item.is_excluded:
                raise ValidationError(
                    msg(
                        "{label} savolining qiyinligi yo‘q: u chiqarib tashlangan.",
                        "У вопроса {label} нет трудности: он исключён.",
                        "Item {label} has no difficulty: it is excluded.",
                        label=item.label,
                    )
                )
            raise ValidationError(
                msg(
                    "{label} savolining qiyinligi yo‘q: imtihon hali kalibrlanmagan.",
                    "У вопроса {label} нет трудности: экзамен ещё не откалиброван.",
                    "Item {label} has no difficulty: the exam is not calibrated yet.",
                    label=item.label,
                )
            )
        # One statement, two index range reads: every calibrated person of the exam
        # (with θ), then the sessions that got this item right. A LEFT JOIN from the
        # sessions would probe the answer index once per person instead.
        s, a = ExamSession.__table__.c, Answer.__table__.c  # plain Core rows: no ORM loading
        persons = select(s.id, s.theta, literal_column("0").label("right")).where(
            s.exam_id == exam_id, s.submitted_at.is_not(None), s.theta.is_not(None)
        )
        right_ones = select(a.session_id, cast(null(), Float), literal_column("1")).where(
            a.exam_id == exam_id, a.item_id == item.id, a.is_correct.is_(True)
        )
        rows = db.connection().execute(union_all(persons, right_ones)).all()
    beta = float(stat.beta)
    session_ids = np.fromiter((r[0] for r in rows if r[2] == 0), dtype=np.int64)
    theta = np.fromiter((r[1] for r in rows if r[2] == 0), dtype=np.float64)
    right_ids = np.fromiter((r[0] for r in rows if r[2] == 1), dtype=np.int64)
    right = np.isin(session_ids, right_ids).astype(np.float64)
    span = [beta - 1.0, beta + 1.0, -4.0, 4.0]
    if theta.size:
        span += [float(theta.min()), float(theta.max())]
    lo, hi = math.floor(min(span)), math.ceil(max(span))
    grid = np.linspace(lo, hi, grid_points)
    curve = rasch_probability(grid, beta)
    out_groups: list[AbilityGroup] = []
    if theta.size:
        group = quantile_groups(theta, groups)
        p = rasch_probability(theta, beta)
        for g in range(int(group.max()) + 1):
            members = group == g
            n = int(members.sum())
            variance = float((p[members] * (1 - p[members])).sum())
            observed = float(right[members].mean())
            expected = float(p[members].mean())
            out_groups.append(
                AbilityGroup(
                    n=n,
                    theta_mean=float(theta[members].mean()),
                    theta_low=float(theta[members].min()),
                    theta_high=float(theta[members].max()),
                    observed=observed,
                    expected=expected,
                    z=(observed - expected) * n / math.sqrt(variance) if variance > 0 else None,
                )
            )
    return ItemCurve(
        exam_id=exam_id,
        item_label=item.label,
        beta=beta,
        beta_se=stat.beta_se,
        theta=tuple(float(t) for t in grid),
        probability=tuple(float(q) for q in curve),
        groups=tuple(out_groups),
    )
