"""Small factories for test data."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import numpy as np
from sqlmodel import Session, col, select

from mockexam.db import session_scope as db_scope
from mockexam.db import utcnow
from mockexam.models import Exam, Student
from mockexam.scoring.layout import Layout
from mockexam.scoring.layout_templates import CERTIFICATE_MATH
from mockexam.services import exams as exam_service
from mockexam.services.students import upsert_student

_ids = itertools.count(1_000_000)

DEFAULT_KEY_TEXT = "ABCDABCDABCDABCDABCDABCDABCDABCDABC\n" + "\n".join(
    f"{n}a {n}\n{n}b -{n}/2" for n in range(36, 46)
)
"""The certificate's key: 1 A, 2 B, 3 C, 4 D, 5 A …; 36a = 36, 36b = -36/2 …"""


def key_text(layout: Layout) -> str:
    """A key for any layout, one line per item: multiple choice cycles through the
    options by exercise number (1 A, 2 B, … as `DEFAULT_KEY_TEXT`), a part "a" is
    the number and any other part minus half of it (36a 36, 36b -36/2)."""
    lines = []
    for item in layout.items():
        if item.kind == "mcq":
            answer = item.options[(item.number - 1) % len(item.options)]
        elif item.sub_part in ("", "a"):
            answer = str(item.number)
        else:
            answer = f"-{item.number}/2"
        lines.append(f"{item.label} {answer}")
    return "\n".join(lines)


def make_student(session: Session, **fields: object) -> Student:
    telegram_id = int(fields.pop("telegram_id", next(_ids)))
    fields.setdefault("first_name", f"Student{telegram_id % 10000}")
    return upsert_student(session, telegram_id=telegram_id, **fields)


def make_exam(
    session: Session,
    *,
    title: str = "Mock exam",
    start: datetime | None = None,
    hours: float = 3.0,
    duration_minutes: int = 150,
    publish: bool = True,
    key: bool = True,
    grading_scheme: str = "percentile",
    layout: Layout | None = None,
) -> Exam:
    """An exam on `layout` (default: the certificate, 45 exercises / 55 items), by default
    open now, keyed (`DEFAULT_KEY_TEXT`, or `key_text(layout)`), published.

    `Exam.layout` is `layout.to_json()` and every item has its section and points.
    """
    layout = layout or CERTIFICATE_MATH
    start = start or utcnow() - timedelta(minutes=10)
    exam = exam_service.create_exam(
        session,
        title=title,
        window_start=start,
        window_end=start + timedelta(hours=hours),
        duration_minutes=duration_minutes,
        grading_scheme=grading_scheme,
        layout=layout,
    )
    if key:
        text = DEFAULT_KEY_TEXT if layout == CERTIFICATE_MATH else key_text(layout)
        exam_service.import_answer_key(session, exam.id, text)
    if publish:
        exam_service.publish_exam(session, exam.id, now=min(start, utcnow()))
    session.flush()
    return exam


def make_cohort(
    session: Session,
    exam: Exam,
    *,
    n: int,
    seed: int = 7,
    theta_mean: float = 0.0,
    theta_sd: float = 1.0,
    graded: bool = False,
    beta: np.ndarray | None = None,
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """`n` students who took `exam`, answers drawn from the Rasch model; bulk-inserted.

    Returns (session ids, true θ, true β). Sessions are submitted, ungraded
    unless `graded`. `beta`: the items' true difficulties (default: N(0, 1) draws).
    """
    from sqlalchemy import insert

    from mockexam.models import Answer, ExamSession
    from mockexam.services.exams import get_items
    from mockexam.services.grading import grade_pending

    rng = np.random.default_rng(seed)
    items = get_items(session, exam.id)
    theta = rng.normal(theta_mean, theta_sd, n)
    beta = rng.normal(0.0, 1.0, len(items)) if beta is None else np.asarray(beta, dtype=float)
    correct = rng.random((n, len(items))) < 1 / (1 + np.exp(-(theta[:, None] - beta[None, :])))
    start = exam.window_start
    deadline = min(start + timedelta(minutes=exam.duration_minutes), exam.window_end)
    deadline += timedelta(seconds=30)
    base = next(_ids) * 10_000
    session.execute(
        insert(Student),
        [
            {
                "telegram_id": base + k,
                "first_name": f"Sim{k}",
                "last_name": "",
                "language_code": "uz",
                "is_reachable": True,
                "created_at": start,
                "updated_at": start,
            }
            for k in range(n)
        ],
    )
    student_ids = list(
        session.exec(
            select(Student.id)
            .where(Student.telegram_id >= base, Student.telegram_id < base + n)
            .order_by(Student.telegram_id)
        )
    )
    session.execute(
        insert(ExamSession),
        [
            {
                "student_id": sid,
                "exam_id": exam.id,
                "status": "submitted",
                "started_at": start,
                "deadline": deadline,
                "submitted_at": start + timedelta(minutes=30),
                "is_auto_submitted": False,
                "is_provisional": False,
                "is_extreme": False,
            }
            for sid in student_ids
        ],
    )
    rows = session.exec(
        select(ExamSession.id, ExamSession.student_id).where(
            ExamSession.exam_id == exam.id, col(ExamSession.student_id).in_(student_ids)
        )
    ).all()
    sid_of = {student: sid for sid, student in rows}
    session_ids = [sid_of[s] for s in student_ids]
    answers = []
    for r, session_id in enumerate(session_ids):
        for c, item in enumerate(items):
            key = item.accepted_answers[0]
            if correct[r, c]:
                value = key
            elif item.options:
                value = next(o for o in item.options if o != key)
            else:
                value = "999"
            answers.append(
                {
                    "session_id": session_id,
                    "exam_id": exam.id,
                    "item_id": item.id,
                    "value": value,
                    "is_flagged": False,
                    "saved_at": start,
                }
            )
    for chunk in range(0, len(answers), 20_000):
        session.execute(insert(Answer), answers[chunk : chunk + 20_000])
    if graded:
        grade_pending(session, exam.id, limit=n)
    session.flush()
    return session_ids, theta, beta


PRACTICE_TOPICS = (
    "algebra",
    "geometry",
    "probability",
    "calculus",
    "trigonometry",
    "number_theory",
)


def make_practice_bank(
    session: Session,
    *,
    per_topic: int = 3,
    topics: tuple[str, ...] = PRACTICE_TOPICS,
    levels: tuple[int, ...] = (1, 2, 3, 4, 5),
    free_topics: tuple[str, ...] = (),
) -> list[int]:
    """`per_topic` questions in each topic (the default topics are added when missing).

    Odd positions are multiple choice (A–D, answer "B"), even ones free
    response (answer "1/2"), except that every question of `free_topics` is
    free response; levels cycle through `levels`. Returns the ids.
    """
    from mockexam.services import practice_bank

    practice_bank.ensure_default_topics(session)
    lookup = practice_bank.topic_lookup(session)
    ids: list[int] = []
    for topic in topics:
        for k in range(per_topic):
            mcq = k % 2 == 0 and topic not in free_topics
            draft = practice_bank.QuestionDraft(
                topic=topic,
                difficulty=levels[k % len(levels)],
                kind="mcq" if mcq else "free",
                text=f"{topic} question {k + 1}: $x^{k}$ #{next(_ids)}",
                options=("$1$", "$2$", "$3$", "$4$") if mcq else (),
                answers=("B",) if mcq else ("1/2",),
                explanation=f"Because {k}.",
            )
            checked, problems = practice_bank.check_draft(draft, lookup)
            assert checked is not None, problems
            ids.append(practice_bank.create_question(session, draft).id)
    session.flush()
    return ids


def make_coded_forms(
    rng: np.random.Generator,
    *,
    common: int,
    harder: float = 0.8,
    drift: float = 0.0,
    n: int = 700,
) -> tuple[int, int]:
    """Two released-to-be exams with bank codes and cohorts of `n` graded sessions.

    Week 1: 55 coded items; week 2: `common` of week 1's items back (same codes, same true
    difficulty), the rest new and `harder` logits harder; the cohort grows by 0.3; the first common item
    (Q-010) is `drift` logits harder than it was."""
    now = utcnow()
    with db_scope() as db:
        first = make_exam(db, title="Week 1", start=now - timedelta(days=10), hours=3)
        second = make_exam(db, title="Week 2", start=now - timedelta(days=3), hours=3)
        ids = (first.id, second.id)
    with db_scope(readonly=True) as db:
        labels = [i.label for i in exam_service.get_items(db, ids[0])]
    beta1 = rng.normal(0.0, 1.0, len(labels))
    beta2 = rng.normal(harder, 1.0, len(labels))
    beta2[:common] = beta1[10 : 10 + common]
    beta2[0] += drift
    with db_scope() as db:
        first_codes = "\n".join(f"{label} Q-{k:03d}" for k, label in enumerate(labels))
        exam_service.set_bank_codes(db, ids[0], first_codes)
    second_codes = {label: f"R-{k:03d}" for k, label in enumerate(labels)}
    for k in range(common):
        second_codes[labels[k]] = f"Q-{10 + k:03d}"
    with db_scope() as db:
        lines = "\n".join(f"{label} {code}" for label, code in second_codes.items())
        exam_service.set_bank_codes(db, ids[1], lines)
    with db_scope() as db:
        make_cohort(db, db.get(Exam, ids[0]), n=n, seed=1, beta=beta1, graded=True)
        make_cohort(db, db.get(Exam, ids[1]), n=n, seed=2, theta_mean=0.3, beta=beta2, graded=True)
    return ids
