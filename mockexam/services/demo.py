"""Demo data: students, a released exam answered by a Rasch-simulated cohort, an upcoming exam,
a released DTM block test (five weighted subject blocks, 189 points; the README's screenshots),
and the practice question bank (mockexam/services/demo_practice/, imported like any file:
Uzbek, with Russian translations of twelve questions and English ones of six, each
sharing its original's bank code, so the bank's languages show).

The answers are drawn from the Rasch model with known parameters
(θ ~ N(0, 1), β ~ N(0, 1)), so the demo's item analysis shows what a real
calibration shows, and the seed doubles as a smoke test of the pipeline.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func
from sqlmodel import col, select

from mockexam.config import settings
from mockexam.db import insert_for, session_scope, utcnow
from mockexam.errors import PermissionDeniedError
from mockexam.localtime import to_local
from mockexam.models import (
    AdminRole,
    Answer,
    Exam,
    ExamSession,
    ItemKind,
    PracticeQuestion,
    SessionStatus,
    Student,
)
from mockexam.scoring.layout_templates import DTM_BLOCK, TEMPLATES
from mockexam.services import exams as exam_service
from mockexam.services import groups, practice_bank, release
from mockexam.services.admins import create_admin
from mockexam.services.demo_paper import attach_demo_paper
from mockexam.services.grading import grade_pending, regrade_exam
from mockexam.services.students import upsert_student

DEMO_ADMIN_USERNAME = "admin"
DEMO_TEACHER_USERNAME = "teacher"  # the demo class's teacher (not seeded in production)
DEMO_ADMIN_PASSWORD_DEFAULT = "admin-demo-2026"
DEMO_STUDENT_TELEGRAM_ID = 100_000_001
DEMO_QUESTIONS = Path(__file__).resolve().parent / "demo_practice" / "questions.json"

_FIRST = [
    "Aziz",
    "Dilnoza",
    "Jasur",
    "Madina",
    "Sardor",
    "Nilufar",
    "Bekzod",
    "Gulnora",
    "Timur",
    "Shahnoza",
    "Otabek",
    "Malika",
    "Javohir",
    "Zarina",
    "Sherzod",
    "Kamola",
    "Ulugbek",
    "Feruza",
    "Rustam",
    "Nodira",
    "Anvar",
    "Sevara",
    "Doston",
    "Laylo",
    "Islom",
    "Mohira",
]
_LAST = [
    "Karimov",
    "Rashidova",
    "Tursunov",
    "Yusupova",
    "Aliyev",
    "Saidova",
    "Nazarov",
    "Ergasheva",
    "Abdullayev",
    "Xolmatova",
    "Mirzayev",
    "Qodirova",
    "Ismoilov",
    "Hasanova",
    "Umarov",
]


NOT_IN_PRODUCTION = (
    "Demo data is never seeded in production (MOCKEXAM_ENV=production): it adds an admin "
    "and 300 made-up students to the real database. Create the first admin with "
    "python -m mockexam create-admin NAME; to seed a demo installation anyway, run "
    "seed-demo --in-production (its admin gets a random password, printed once)."
)


class DemoInProductionError(PermissionDeniedError):
    """Demo data was asked for in production without saying so explicitly."""


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    students: int = 0
    released_exam_id: int | None = None
    upcoming_exam_id: int | None = None
    dtm_exam_id: int | None = None  # the released DTM block test (created last: id 3)
    admin_username: str = DEMO_ADMIN_USERNAME
    practice_questions: int = 0  # added to the practice bank now
    # In production the demo admin's password is random, and this is its only showing.
    admin_password: str | None = None

    def describe(self) -> str:
        bank = (
            f" Practice bank: {self.practice_questions} demo question(s) added."
            if self.practice_questions
            else ""
        )
        if not self.created:
            return "Demo data: the database already has exams; nothing was added." + bank
        password = (
            f" Its password, shown this once: {self.admin_password}" if self.admin_password else ""
        )
        return (
            f"Demo data: {self.students} students, released exam #{self.released_exam_id}, "
            f"upcoming exam #{self.upcoming_exam_id}, released DTM block test "
            f"#{self.dtm_exam_id}, admin {self.admin_username!r}." + password + bank
        )


def seed_demo_questions() -> int:
    """Import the demo practice bank when the bank is empty; how many questions were added."""
    with session_scope() as db:
        practice_bank.ensure_default_topics(db)
        if db.exec(select(func.count()).select_from(PracticeQuestion)).one() > 0:
            return 0
        bundle = practice_bank.read_question_path(DEMO_QUESTIONS)
        return practice_bank.import_questions(db, bundle, source="demo bank").added


def demo_admin_password() -> str:
    return os.environ.get("DEMO_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD_DEFAULT)


def admin_sign_in_hint() -> str:
    """How to sign in to the admin panel, for the start-up banners."""
    if settings.mockexam_env == "production":
        return "the admin you created (python -m mockexam create-admin NAME)"
    return (
        f"username {DEMO_ADMIN_USERNAME!r}, password {demo_admin_password()!r}"
        f" (a teacher's view: {DEMO_TEACHER_USERNAME!r}, the same password)"
    )


def _demo_key(rng: np.random.Generator, items: list) -> str:
    lines = []
    for item in items:
        if item.kind == ItemKind.MULTIPLE_CHOICE:
            lines.append(f"{item.label} {rng.choice(item.options)}")
        else:
            lines.append(f"{item.label} {int(rng.integers(-20, 60))}")
    return "\n".join(lines)


def seed_demo(
    *,
    if_empty: bool = True,
    students: int = 300,
    seed: int = 2026,
    now: datetime | None = None,
    in_production: bool = False,
) -> DemoSummary:
    """Create the demo admin, students, a released exam, an upcoming one and a released
    DTM block test (created last, so the first two keep their ids and contents).

    In production only when asked for explicitly (`in_production`), and then the
    admin's password is random (DemoSummary.admin_password), never the published one.
    """
    production = settings.mockexam_env == "production"
    if production and not in_production:
        raise DemoInProductionError(NOT_IN_PRODUCTION)
    now = now or utcnow()
    rng = np.random.default_rng(seed)
    questions = seed_demo_questions()
    with session_scope() as db:
        if if_empty and db.exec(select(func.count()).select_from(Exam)).one() > 0:
            return DemoSummary(created=False, practice_questions=questions)
        password = secrets.token_urlsafe(12) if production else demo_admin_password()
        create_admin(db, username=DEMO_ADMIN_USERNAME, password=password, role=AdminRole.OWNER)
        student_ids = []
        for k in range(students):
            telegram_id = DEMO_STUDENT_TELEGRAM_ID + k
            student = upsert_student(
                db,
                telegram_id=telegram_id,
                first_name=_FIRST[k % len(_FIRST)],
                last_name=_LAST[(k * 7) % len(_LAST)],
                username=f"demo_student_{k + 1}",
                language_code=("uz", "ru", "en")[k % 3] if k else "uz",
                now=now - timedelta(days=int(rng.integers(8, 120))),
            )
            student_ids.append(student.id)

        # Last week's exam: closed, answered by a simulated cohort, released below.
        past_start = now - timedelta(days=7, hours=2)
        past = exam_service.create_exam(
            db,
            title="Weekly mock #1 — Mathematics",
            description="National certificate format: 35 multiple choice + 10 two-part problems.",
            window_start=past_start,
            window_end=past_start + timedelta(hours=4),
        )
        items = exam_service.get_items(db, past.id)
        exam_service.import_answer_key(db, past.id, _demo_key(rng, items))
        attach_demo_paper(db, past, seed=seed + 1)
        exam_service.publish_exam(db, past.id, now=past_start - timedelta(days=2))
        items = exam_service.get_items(db, past.id)
        takers = student_ids[: int(len(student_ids) * 0.8)]
        _simulate_cohort(db, rng, past, items, takers)
        # Its items are in the centre's item bank (it defines the scale at release), and
        # two of its takers worked together: the admin's Scale and copying page shows them.
        exam_service.set_bank_codes(db, past.id, _bank_codes(items, prefix="MATH", start=1))
        if len(takers) > DEMO_COPIER[1]:
            _plant_copier(db, past.id, takers[DEMO_COPIER[0]], takers[DEMO_COPIER[1]], seed)

        # Next exam: published, opens tomorrow at 10:00 local time (LOCAL_TIMEZONE;
        # 05:00 UTC in Tashkent).
        tomorrow = to_local(now + timedelta(days=1))
        start = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0).astimezone(UTC)
        upcoming = exam_service.create_exam(
            db,
            title="Weekly mock #2 — Mathematics",
            description="Same format; the PDF is served only while the window is open.",
            window_start=start,
            window_end=start + timedelta(hours=4),
        )
        up_items = exam_service.get_items(db, upcoming.id)
        exam_service.import_answer_key(db, upcoming.id, _demo_key(rng, up_items))
        # Twelve of last week's questions come back (the same codes): this week links to it.
        exam_service.set_bank_codes(
            db,
            upcoming.id,
            _bank_codes(up_items[:12], prefix="MATH", start=24)
            + "\n"
            + _bank_codes(up_items[12:], prefix="MATH", start=101),
        )
        attach_demo_paper(db, upcoming, seed=seed + 2)
        exam_service.publish_exam(db, upcoming.id, now=now)

        # Three days ago: a DTM block test (5 subject blocks at 1.1, 3.1 and 2.1 points each,
        # 189 points), answered by most students, released after the first one. Its own
        # random stream, so the two exams above stay what they were before it existed.
        dtm_rng = np.random.default_rng(seed + 3)
        dtm_start = now - timedelta(days=3, hours=2)
        dtm = exam_service.create_exam(
            db,
            title="DTM mock #1 — Mathematics and physics",
            description=(
                "DTM block test: native language, mathematics and history of Uzbekistan "
                "(10 questions each, 1.1 points), mathematics (30, 3.1 points) and physics "
                "(30, 2.1 points): 189 points in 180 minutes."
            ),
            window_start=dtm_start,
            window_end=dtm_start + timedelta(hours=4),
            duration_minutes=TEMPLATES["dtm_block"].duration_minutes,
            layout=DTM_BLOCK,
        )
        dtm_items = exam_service.get_items(db, dtm.id)
        exam_service.import_answer_key(db, dtm.id, _demo_key(dtm_rng, dtm_items))
        attach_demo_paper(db, dtm, seed=seed + 3)
        exam_service.publish_exam(db, dtm.id, now=dtm_start - timedelta(days=2))
        dtm_items = exam_service.get_items(db, dtm.id)
        takers = student_ids[: max(1, int(len(student_ids) * 0.7))]
        _simulate_cohort(db, dtm_rng, dtm, dtm_items, takers)
        group_id = _demo_group(db, student_ids)
        if not production:  # a teacher's view of the panel, with the same public password
            teacher = create_admin(
                db, username=DEMO_TEACHER_USERNAME, password=password, role=AdminRole.TEACHER
            )
            groups.set_teachers(db, group_id, [teacher.id], actor_id=None)
        summary = DemoSummary(
            created=True,
            students=len(student_ids),
            released_exam_id=past.id,
            upcoming_exam_id=upcoming.id,
            dtm_exam_id=dtm.id,
            practice_questions=questions,
            admin_password=password if production else None,
        )
    release.release_exam(past.id, now=now)
    release.release_exam(dtm.id, now=now)
    return summary


DEMO_GROUP = "Matematika 9-A"
DEMO_COPIER = (150, 151)  # takers' indexes: the second copies most of the first's answers


def _bank_codes(items: list, *, prefix: str, start: int) -> str:
    """`<label> <PREFIX-nnn>` lines numbering `items` from `start`."""
    return "\n".join(f"{item.label} {prefix}-{start + k:03d}" for k, item in enumerate(items))


def _plant_copier(db, exam_id: int, source: int, copier: int, seed: int) -> None:
    """The copier gives the source's answer on nine items in ten (wrong ones and blanks
    too), then the exam is marked again. Its own random stream: nothing else changes."""
    rng = np.random.default_rng(seed + 99)
    sessions = dict(
        db.exec(
            select(ExamSession.student_id, ExamSession.id).where(
                ExamSession.exam_id == exam_id,
                col(ExamSession.student_id).in_([source, copier]),
            )
        ).all()
    )
    rows = {
        (a.item_id, a.session_id): a
        for a in db.exec(
            select(Answer).where(col(Answer.session_id).in_(list(sessions.values())))
        ).all()
    }
    theirs, mine = sessions[source], sessions[copier]
    for item in exam_service.get_items(db, exam_id):
        if rng.random() >= 0.9:
            continue
        given, own = rows.get((item.id, theirs)), rows.get((item.id, mine))
        if given is None and own is not None:
            db.delete(own)
        elif given is not None and own is None:
            db.add(Answer(session_id=mine, exam_id=exam_id, item_id=item.id, value=given.value))
        elif given is not None and own is not None:
            own.value = given.value
            db.add(own)
    db.flush()
    regrade_exam(db, exam_id)


def _demo_group(db, student_ids: list[int]) -> int:
    """A class of the first 24 demo students, with a roster of their centre names (one row
    still waiting for its student, one proposed by name for a teacher to confirm)."""
    group = groups.create_group(db, name=DEMO_GROUP, actor_id=None)
    members = student_ids[:24]
    for student_id in members:
        groups.add_member(db, group.id, student_id, actor_id=None)
    rows = []
    for student_id in members[:20]:
        student = db.get(Student, student_id)
        rows.append(f"{student.last_name} {student.first_name},@{student.username},{DEMO_GROUP}")
    rows.append(f"Yusupova Malika,+998901112233,{DEMO_GROUP}")
    groups.import_roster(db, "\n".join(rows).encode(), actor_id=None)
    if len(members) > 20:  # someone whose Telegram has no username: matched by name
        student = db.get(Student, members[20])
        student.username = None
        db.add(student)
        db.flush()
        groups.import_roster(
            db, f"{student.first_name} {student.last_name},,{DEMO_GROUP}".encode(), actor_id=None
        )
    return group.id


def _simulate_cohort(
    db, rng: np.random.Generator, exam: Exam, items: list, student_ids: list[int]
) -> None:
    """Sessions and answers drawn from the Rasch model, then graded."""
    n, n_items = len(student_ids), len(items)
    theta = rng.normal(0.0, 1.0, n)
    beta = np.sort(rng.normal(0.0, 1.0, n_items)) * 0.8 + np.linspace(-0.6, 0.6, n_items)
    correct = rng.random((n, n_items)) < 1.0 / (1.0 + np.exp(-(theta[:, None] - beta[None, :])))
    blank = rng.random((n, n_items)) < 0.04
    session_ids = []
    for k, student_id in enumerate(student_ids):
        started = exam.window_start + timedelta(minutes=int(rng.integers(0, 60)))
        deadline = started + timedelta(minutes=exam.duration_minutes, seconds=30)
        deadline = min(deadline, exam.window_end + timedelta(seconds=30))
        auto = bool(rng.random() < 0.08)
        spent = int(rng.integers(60, max(61, exam.duration_minutes - 1)))
        finished = deadline if auto else started + timedelta(minutes=spent)
        row = ExamSession(
            student_id=student_id,
            exam_id=exam.id,
            started_at=started,
            deadline=deadline,
            submitted_at=min(finished, deadline),
            is_auto_submitted=auto,
            status=SessionStatus.SUBMITTED,
        )
        db.add(row)
        db.flush()
        session_ids.append(row.id)
        answer_rows = []
        for c, item in enumerate(items):
            if blank[k, c]:
                continue
            key = item.accepted_answers[0]
            if correct[k, c]:
                value = key
            elif item.kind == ItemKind.MULTIPLE_CHOICE:
                value = str(rng.choice([o for o in item.options if o != key]))
            else:
                value = str(int(key) + int(rng.choice([-2, -1, 1, 3])))
            answer_rows.append(
                {
                    "session_id": row.id,
                    "exam_id": exam.id,
                    "item_id": item.id,
                    "value": value,
                    "saved_at": started,
                }
            )
        if answer_rows:
            db.execute(insert_for(db, Answer).values(answer_rows))
    grade_pending(db, exam.id, limit=len(session_ids))


def demo_student(db) -> Student | None:
    return db.exec(select(Student).where(Student.telegram_id == DEMO_STUDENT_TELEGRAM_ID)).first()
