"""Every table of mockexam (plain SQLModel; Alembic owns the schema).

Timestamps are timezone-aware UTC (SQLModel's UTCDateTime). Enumerations are stored as short strings; the
allowed values are the `StrEnum`s below, checked by the services.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from mockexam.db import utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ExamStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # scheduled / open / closed follow from the clock
    RELEASED = "released"  # results calibrated and visible


class ExamPhase(StrEnum):
    """What an exam is right now, from its status and the server clock."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    RELEASED = "released"


class GradingScheme(StrEnum):
    PERCENTILE = "percentile"
    FIXED_BANDS = "fixed_bands"


class ItemKind(StrEnum):
    MULTIPLE_CHOICE = "mcq"
    FREE_RESPONSE = "free"


class SessionStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"  # graded raw score, waiting for the window to close
    RELEASED = "released"  # scaled score, grade and Elo published


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by the sender, request in flight (→ unknown after a crash)
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNKNOWN = "unknown"


class BroadcastKind(StrEnum):
    NEW_EXAM = "new_exam"
    EXAM_OPEN = "exam_open"
    RESULTS_READY = "results_ready"
    CUSTOM = "custom"


class BroadcastStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"


def _json_column(default: Any = None) -> Any:
    return Field(
        default_factory=lambda: default() if callable(default) else default, sa_type=sa.JSON
    )


def _ts() -> Any:
    return Field(default_factory=utcnow, nullable=False)


class AdminRole(StrEnum):
    """What an admin account may do (services/access.py has the rules)."""

    OWNER = "owner"  # everything, and manages the admin accounts
    ADMIN = "admin"  # exams, students, groups, broadcasts
    TEACHER = "teacher"  # reads exams; sees and messages only their own groups


class ExamAudienceKind(StrEnum):
    EVERYONE = "everyone"
    GROUPS = "groups"  # only the members of the exam's ExamAudience groups


class MemberSource(StrEnum):
    """How a student came into a group."""

    INVITE = "invite"  # opened the group's invite link
    ROSTER = "roster"  # matched to a row of the group's roster
    ADMIN = "admin"  # added by hand


class RosterStatus(StrEnum):
    WAITING = "waiting"  # nobody matched yet
    MATCHED = "matched"  # matched for certain (the same Telegram username or phone)
    UNCERTAIN = "uncertain"  # a likely match by name: a teacher or admin confirms or rejects it
    CONFIRMED = "confirmed"  # an uncertain match a person confirmed
    REJECTED = "rejected"  # an uncertain match a person rejected (the row waits again)


class Student(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True, index=True)
    first_name: str = Field(default="", max_length=128)
    last_name: str = Field(default="", max_length=128)
    username: str | None = Field(default=None, max_length=64)
    language_code: str = Field(default="uz", max_length=8)
    is_reachable: bool = Field(default=True)
    unreachable_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    last_seen_at: datetime | None = None
    # The name the centre knows the student by (a roster's, or typed by an admin): what
    # teachers see. display_name stays the Telegram one.
    full_name: str | None = Field(default=None, max_length=128)
    phone: str | None = Field(default=None, max_length=20)  # digits only, with the country code

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (
            self.username or f"#{self.telegram_id}"
        )


class Admin(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = _ts()
    last_login_at: datetime | None = None
    language: str = Field(default="uz", max_length=8)  # the admin panel's language: uz, ru, en
    role: str = Field(default="admin", max_length=16)  # AdminRole: owner, admin, teacher


class Exam(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    pdf_path: str | None = Field(default=None, max_length=500)
    window_start: datetime = Field(index=True)
    window_end: datetime = Field(index=True)
    duration_minutes: int = Field(default=150)
    status: str = Field(default=ExamStatus.DRAFT, max_length=16, index=True)
    grading_scheme: str = Field(default=GradingScheme.PERCENTILE, max_length=16)
    # The answer sheet's recipe (scoring/layout.py `Layout.to_json()`): template, sections with
    # titles, subjects, kinds, options, parts and points, and which score is official.
    layout: dict[str, Any] = _json_column(dict)
    # Who may take it: ExamAudienceKind.EVERYONE, or GROUPS (the ExamAudience rows).
    audience: str = Field(default="everyone", max_length=16)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    published_at: datetime | None = None
    released_at: datetime | None = None
    # Test-level results of the calibration (null until released)
    is_provisional: bool = Field(default=False)
    n_participants: int | None = None
    cronbach_alpha: float | None = None
    person_separation_reliability: float | None = None
    sem: float | None = None
    calibration_iterations: int | None = None
    # Linking onto the bank's scale at release (LinkStatus; None: not released yet), the
    # shift added to β and θ, and the report: common items used, dropped, displacements.
    link_status: str | None = Field(default=None, max_length=16)
    link_shift: float | None = None
    link_shift_se: float | None = None
    link_report: dict[str, Any] = _json_column(dict)
    # Certificates (issue 24): every release bumps `results_version`; the certificate task
    # brings `certified_version` up to it, re-issuing the certificates whose facts changed.
    results_version: int = Field(default=0)
    certified_version: int = Field(default=0)
    elo_rating: float | None = None  # the rating the exam played at (Elo)
    elo_anchor: float | None = None  # Elo of θ = 0 on the linked scale (origin and linked)


class ExamItem(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("exam_id", "number", "sub_part", name="uq_item_exam_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exam_id: int = Field(foreign_key="exam.id", index=True, ondelete="CASCADE")
    position: int  # 0-based order on the answer sheet
    number: int  # exercise number (1.. the layout's last)
    sub_part: str = Field(default="", max_length=4)  # "" or a part letter ("a", "b", …)
    kind: str = Field(max_length=8)
    options: list[str] = _json_column(list)
    accepted_answers: list[str] = _json_column(list)
    points: float = Field(default=1.0)  # per item, in 0.01 steps (DTM blocks: 1.1, 3.1, 2.1)
    section: int = Field(default=0)  # index into Exam.layout["sections"]
    is_excluded: bool = Field(default=False)
    # The question's code in the centre's item bank (e.g. "ALG-017"): the same code on items
    # of two exams is the same question, which links the exams' scales (scoring/linking.py).
    bank_code: str | None = Field(default=None, max_length=32, index=True)

    @property
    def label(self) -> str:
        return f"{self.number}{self.sub_part}"


class ExamSession(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("student_id", "exam_id", name="uq_session_student_exam"),
        sa.Index("ix_session_exam_submitted", "exam_id", "submitted_at"),
        sa.Index("ix_session_open_deadline", "submitted_at", "deadline"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    exam_id: int = Field(foreign_key="exam.id")
    status: str = Field(default=SessionStatus.IN_PROGRESS, max_length=16)
    started_at: datetime = _ts()
    deadline: datetime
    submitted_at: datetime | None = None
    is_auto_submitted: bool = Field(default=False)
    graded_at: datetime | None = None
    points: float | None = None
    max_points: float | None = None
    # Per layout section, aligned with Exam.layout["sections"]: {"points", "max_points",
    # "exercises", "max_exercises"} and, where the block is calibrated on its own,
    # {"theta", "theta_se", "scaled", "scaled_se"}; parsed by the services.
    section_scores: list[dict[str, Any]] | None = Field(default=None, sa_type=sa.JSON)
    exercises: int | None = None
    max_exercises: int | None = None
    theta: float | None = None
    theta_se: float | None = None
    scaled_score: float | None = None
    scaled_score_se: float | None = None
    is_provisional: bool = Field(default=False)
    is_extreme: bool = Field(default=False)
    grade: str | None = Field(default=None, max_length=4)
    person_infit: float | None = None
    person_outfit: float | None = None
    released_at: datetime | None = None


class Answer(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("session_id", "item_id", name="uq_answer_session_item"),
        sa.Index("ix_answer_exam_item", "exam_id", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="examsession.id", ondelete="CASCADE")
    exam_id: int = Field(foreign_key="exam.id")
    item_id: int = Field(foreign_key="examitem.id")
    value: str = Field(default="", max_length=64)
    is_flagged: bool = Field(default=False)
    is_correct: bool | None = None
    saved_at: datetime = _ts()


class SheetSync(SQLModel, table=True):
    """The newest answer-sheet batch stored per device of a session (its seq).

    The sheet numbers its batches with a seq that only rises on one device
    (kept in the browser's localStorage with its device id), and every batch
    carries every change still pending. A batch at or below the stored seq is
    already covered by a newer one: storing it would put older answers over
    newer ones (HTTP requests of one tab may arrive out of order).
    """

    session_id: int = Field(foreign_key="examsession.id", primary_key=True, ondelete="CASCADE")
    device: str = Field(primary_key=True, max_length=24)
    seq: int = Field(sa_type=sa.BigInteger)
    updated_at: datetime = _ts()


class LinkStatus(StrEnum):
    """How a released exam's scores relate to the linked scale (the item bank's)."""

    ORIGIN = "origin"  # the first exam with bank codes: it defined the scale
    LINKED = "linked"  # shifted onto the scale through its common items
    NOT_LINKED = "not_linked"  # too few (stable) common items: on its own scale
    NO_CODES = "no_codes"  # its items carry no bank codes


COMMON_SCALE: frozenset[str] = frozenset({LinkStatus.ORIGIN, LinkStatus.LINKED})
"""The link statuses whose scores (θ, scaled) are on the item bank's linked scale."""


class BankItem(SQLModel, table=True):
    """A bank code's difficulty on the linked scale, set the first time it was calibrated
    (by `exam_id`'s release, which may set it again when recalibrated)."""

    code: str = Field(primary_key=True, max_length=32)
    beta: float
    beta_se: float | None = None
    exam_id: int = Field(foreign_key="exam.id", index=True)
    item_id: int = Field(foreign_key="examitem.id")
    set_at: datetime = _ts()


class CopyingPair(SQLModel, table=True):
    """Two sessions of an exam whose agreement is improbable for independent work
    (scoring/collusion.py), found at release: evidence for a person, never a penalty."""

    __table_args__ = (
        sa.UniqueConstraint("exam_id", "session_a", "session_b", name="uq_copying_pair"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exam_id: int = Field(foreign_key="exam.id", index=True, ondelete="CASCADE")
    session_a: int = Field(foreign_key="examsession.id", ondelete="CASCADE")
    session_b: int = Field(foreign_key="examsession.id", ondelete="CASCADE")
    matches: int
    identical_wrong: int
    expected: float
    p_value: float
    found_at: datetime = _ts()


class ItemStatistic(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    exam_id: int = Field(foreign_key="exam.id", index=True)
    item_id: int = Field(foreign_key="examitem.id", unique=True)
    n_responses: int = 0
    facility: float | None = None
    discrimination: float | None = None
    beta: float | None = None
    beta_se: float | None = None
    infit: float | None = None
    outfit: float | None = None
    infit_z: float | None = None
    outfit_z: float | None = None
    is_extreme: bool = False
    option_counts: dict[str, int] = _json_column(dict)
    flags: list[str] = _json_column(list)
    computed_at: datetime = _ts()


class StudentRating(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_rating_activity", "exams_rated", "elo"),)

    student_id: int = Field(foreign_key="student.id", primary_key=True)
    elo: float = Field(default=1200.0, index=True)
    exams_rated: int = Field(default=0)
    updated_at: datetime = _ts()
    # Kept by services/leaderboard.py in the transaction that changes the
    # values (a release), so a leaderboard read is a few index lookups:
    # Elo gain over the exams released in the 30 days before the last refresh
    # (null: no exam in that window), and the oldest such exam's release time.
    recent_gain: float | None = Field(default=None, index=True)
    recent_since: datetime | None = None
    # Competition ranks ("1, 2, 2, 4") on each board, and the boards' sizes.
    rank_rated: int | None = None
    rank_active: int | None = None
    rank_improved: int | None = None
    rated_total: int | None = None
    improved_total: int | None = None


class EloHistory(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_elo_student_created", "student_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="examsession.id", unique=True)
    student_id: int = Field(foreign_key="student.id")
    exam_id: int = Field(foreign_key="exam.id", index=True)
    elo_before: float
    elo_after: float
    k_factor: float
    expected: float
    actual: float
    created_at: datetime = _ts()


class Streak(SQLModel, table=True):
    student_id: int = Field(foreign_key="student.id", primary_key=True)
    current: int = 0
    longest: int = 0
    last_exam_id: int | None = Field(default=None, foreign_key="exam.id")
    updated_at: datetime = _ts()


class Achievement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    kind: str = Field(max_length=16)  # milestone / streak / exams / improvement
    name: str = Field(max_length=80)
    description: str = Field(max_length=300)
    icon: str = Field(max_length=40)
    threshold: float
    sort_order: int = 0


class AchievementAward(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("student_id", "achievement_id", name="uq_award_student_achievement"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    achievement_id: int = Field(foreign_key="achievement.id")
    session_id: int | None = Field(default=None, foreign_key="examsession.id")
    awarded_at: datetime = _ts()
    seen_at: datetime | None = None


class Broadcast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    exam_id: int | None = Field(default=None, foreign_key="exam.id", index=True)
    # Unique key for automatic broadcasts so one event never creates two
    dedupe_key: str | None = Field(default=None, unique=True, max_length=80)
    text: str = Field(max_length=4096)
    status: str = Field(default=BroadcastStatus.PENDING, max_length=16)
    total: int = 0
    created_by_admin_id: int | None = Field(default=None, foreign_key="admin.id")
    created_at: datetime = _ts()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    channel_status: str | None = Field(default=None, max_length=16)
    channel_message_id: int | None = None
    channel_error: str | None = Field(default=None, max_length=500)
    # Why sending is stopped or held back (bad token, network down); null when all is well
    error: str | None = Field(default=None, max_length=500)


class Delivery(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("broadcast_id", "chat_id", name="uq_delivery_broadcast_chat"),
        sa.Index("ix_delivery_broadcast_status", "broadcast_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", ondelete="CASCADE")
    student_id: int = Field(foreign_key="student.id")
    chat_id: int = Field(sa_type=sa.BigInteger)
    text: str | None = Field(default=None, max_length=4096)  # personalised text, if any
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16)
    attempts: int = 0
    message_id: int | None = None
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    sent_at: datetime | None = None


class TelegramSender(SQLModel, table=True):
    """The send lease and pacing state of one bot token (one row per token).

    Only the lease holder sends; a lease that is not renewed expires, so a
    killed sender cannot block sending for longer than the lease.
    `next_send_at` is the earliest moment the next message may go out (the
    rate limit and any 429 `retry_after`), kept here so it holds across
    restarts and handovers.
    """

    key: str = Field(primary_key=True, max_length=64)  # "bot:" + hash of the token
    holder: str | None = Field(default=None, max_length=200)
    expires_at: datetime | None = None
    next_send_at: datetime | None = None
    updated_at: datetime = _ts()


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    admin_id: int | None = Field(default=None, foreign_key="admin.id", index=True)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    details: dict[str, Any] = _json_column(dict)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class PracticeMode(StrEnum):
    """The two practice session sizes (spec §7): questions and minutes in services/practice.py."""

    LIGHT = "light"
    MEDIUM = "medium"


class PracticeTopic(SQLModel, table=True):
    """A topic of the practice bank (seeded in migration 0005, editable by admins)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    name: str = Field(max_length=80)  # the admin panel's (English) name
    names: dict[str, str] = _json_column(dict)  # language → the students' name
    subject: str = Field(default="math", max_length=24)  # scoring/layout_templates.SUBJECTS
    sort_order: int = 0


class PracticeQuestion(SQLModel, table=True):
    """One question of the practice bank; never part of an exam, never calibrated.

    `accepted_answers` holds the option letter for multiple choice, or the
    accepted free answers (matched like exam answers). `fingerprint` (hash of
    topic, kind, text and options) keeps an import or an edit from adding the
    same question twice. `language` is the language of its text (uz, ru, en): students
    are given questions in their own language first. `bank_code` optionally names the
    item bank's question it is (`ALG-017`, scoring/bank_codes.py), as exam items do.
    """

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="practicetopic.id", index=True)
    difficulty: int = Field(default=3)  # 1..5
    kind: str = Field(max_length=8)  # ItemKind value
    language: str = Field(default="uz", max_length=8)  # services/practice_bank.LANGUAGES
    bank_code: str | None = Field(default=None, max_length=32, index=True)
    text: str = Field(sa_type=sa.Text)
    image_path: str | None = Field(default=None, max_length=500)  # a file in UPLOAD_DIR/practice
    options: list[str] = _json_column(list)
    accepted_answers: list[str] = _json_column(list)
    explanation: str = Field(default="", sa_type=sa.Text)
    is_active: bool = Field(default=True)
    fingerprint: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class PracticeSession(SQLModel, table=True):
    """A student's practice run: questions are its PracticeAnswer rows (drawn at start).

    At most one unsubmitted session per student (a partial unique index);
    the deadline is the server's, as for exams.
    """

    __table_args__ = (
        sa.Index("ix_practice_student_started", "student_id", "started_at"),
        sa.Index("ix_practice_open_deadline", "submitted_at", "deadline"),
        sa.Index(
            "uq_practice_one_open",
            "student_id",
            unique=True,
            sqlite_where=sa.text("submitted_at IS NULL"),
            postgresql_where=sa.text("submitted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id")
    mode: str = Field(max_length=8)  # PracticeMode value
    is_adaptive: bool = Field(default=False)
    target_difficulty: int | None = None  # adaptive: the difficulty aimed at (1..5)
    started_at: datetime = _ts()
    deadline: datetime
    submitted_at: datetime | None = None
    is_auto_submitted: bool = False
    score: int | None = None
    total: int | None = None
    # The question the student was last on (its position, 1…): the sheet opens there again
    # after a reload or a backend restart.
    current_position: int = Field(default=1)


class PracticeSync(SQLModel, table=True):
    """The newest practice-sheet batch stored per device of a practice session (its seq):
    the same rule as the exam's `SheetSync`, for the same reason (saves over HTTP may
    overtake each other; a batch a newer one covers stores nothing)."""

    session_id: int = Field(foreign_key="practicesession.id", primary_key=True, ondelete="CASCADE")
    device: str = Field(primary_key=True, max_length=24)
    seq: int = Field(sa_type=sa.BigInteger)
    updated_at: datetime = _ts()


class PracticeAnswer(SQLModel, table=True):
    """One question of a practice session, in order, with the student's answer ("" = none)."""

    __table_args__ = (
        sa.UniqueConstraint("practice_session_id", "question_id", name="uq_practice_answer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    practice_session_id: int = Field(foreign_key="practicesession.id", ondelete="CASCADE")
    question_id: int = Field(foreign_key="practicequestion.id", index=True)
    position: int = 0
    value: str = Field(default="", max_length=64)
    is_correct: bool | None = None
    saved_at: datetime = _ts()


class AdminLoginAttempt(SQLModel, table=True):
    """One admin sign-in attempt; the throttling rules count these (services/admin_auth.py).

    A row is written as a failure before the password is checked and turned into a
    success afterwards, so parallel guesses count against the limits at once.
    """

    __table_args__ = (
        sa.Index("ix_loginattempt_username_at", "username", "attempted_at"),
        sa.Index("ix_loginattempt_client_at", "client", "attempted_at"),
        # Per (address, username): the throttle's pair and known-address reads (migration 0008).
        sa.Index("ix_loginattempt_client_username_at", "client", "username", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)  # as typed (trimmed, cut to 64), known or not
    client: str = Field(max_length=64)  # the client's address
    succeeded: bool = Field(default=False)
    attempted_at: datetime = _ts()


class AdminSession(SQLModel, table=True):
    """A signed-in admin browser; only the SHA-256 of its random token is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)  # hex SHA-256 of the token
    admin_id: int = Field(foreign_key="admin.id", index=True, ondelete="CASCADE")
    client: str = Field(default="", max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime
    revoked_at: datetime | None = None


class StudentGroup(SQLModel, table=True):
    """A class of a centre: a name, its teachers and students, an invite code.

    ("group" is an SQL keyword.) A live group's name is unique (services/groups.py
    checks it, case-insensitively); an archived group keeps its members and
    results but takes no one new.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, index=True)
    invite_code: str = Field(max_length=16, unique=True)  # t.me/<bot>?start=g_<code>
    created_at: datetime = _ts()
    created_by: int | None = Field(default=None, foreign_key="admin.id", ondelete="SET NULL")
    archived_at: datetime | None = None


class GroupTeacher(SQLModel, table=True):
    group_id: int = Field(foreign_key="studentgroup.id", primary_key=True, ondelete="CASCADE")
    admin_id: int = Field(foreign_key="admin.id", primary_key=True, index=True, ondelete="CASCADE")


class GroupMember(SQLModel, table=True):
    group_id: int = Field(foreign_key="studentgroup.id", primary_key=True, ondelete="CASCADE")
    student_id: int = Field(
        foreign_key="student.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    joined_at: datetime = _ts()
    source: str = Field(default=MemberSource.ADMIN, max_length=16)


class RosterEntry(SQLModel, table=True):
    """A row of a group's imported roster, kept until a student who joins matches it."""

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="studentgroup.id", index=True, ondelete="CASCADE")
    full_name: str = Field(max_length=128)
    phone: str | None = Field(default=None, max_length=20)
    username: str | None = Field(default=None, max_length=64)  # lower case, no @
    student_id: int | None = Field(
        default=None, foreign_key="student.id", index=True, ondelete="SET NULL"
    )
    status: str = Field(default=RosterStatus.WAITING, max_length=16)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ExamAudience(SQLModel, table=True):
    """A group an exam with audience "groups" is for."""

    exam_id: int = Field(foreign_key="exam.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(
        foreign_key="studentgroup.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class Heartbeat(SQLModel, table=True):
    """The last time a background job of this installation ran: one row per job.

    `sweep` is written by the consumer's periodic sweep, `backup` by every backup
    (`detail` says where it went). /health, `doctor` and the admin panel's banner
    read these rows (services/heartbeat.py); nothing else does.
    """

    name: str = Field(primary_key=True, max_length=32)
    beat_at: datetime = _ts()
    detail: str = Field(default="", max_length=500)


class Certificate(SQLModel, table=True):
    """A result certificate of one released session (services/certificates.py).

    `code` (10 characters of Crockford's base32, 50 random bits) is printed on the
    certificate and in its QR code, and opens the public verification page. `facts` is
    what the certificate says, in its language, as the page shows it. A recalibration
    or an excluded item that changes a result re-issues it: the old row gets
    `superseded_at` and the new one's code in `superseded_by`; at most one current row
    per session. The PDF is `upload_dir/certificates/<code>.pdf`.
    """

    __table_args__ = (
        sa.Index(
            "uq_certificate_current_session",
            "session_id",
            unique=True,
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    session_id: int = Field(foreign_key="examsession.id", index=True, ondelete="CASCADE")
    exam_id: int = Field(foreign_key="exam.id", index=True, ondelete="CASCADE")
    student_id: int = Field(foreign_key="student.id", index=True, ondelete="CASCADE")
    lang: str = Field(default="uz", max_length=8)
    facts: dict[str, Any] = _json_column(dict)
    issued_at: datetime = _ts()
    superseded_at: datetime | None = None
    superseded_by: str | None = Field(default=None, max_length=16)


class BulkJob(SQLModel, table=True):
    """A ZIP an admin asked for, made in the background (services/bulk.py): an exam's
    certificates (all, or one group's) or a group's progress reports. `done` of
    `total` is the progress the page shows; the file lives under
    `upload_dir/exports/` until it is pruned a day later."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # certificates, reports
    exam_id: int | None = Field(default=None, foreign_key="exam.id", ondelete="CASCADE")
    group_id: int | None = Field(default=None, foreign_key="studentgroup.id", ondelete="CASCADE")
    admin_id: int = Field(foreign_key="admin.id", index=True, ondelete="CASCADE")
    status: str = Field(default="queued", max_length=16)  # queued, running, done, failed
    done: int = 0
    total: int = 0
    file: str | None = Field(default=None, max_length=200)  # relative to upload_dir
    error: str = Field(default="", max_length=500)
    created_at: datetime = _ts()
    finished_at: datetime | None = None


# An index the admin read paths need on a table defined above (migration 0004):
# per-student submitted sessions, read from the index alone (exams taken per
# student, retention cohorts, sorting students by exams taken).
sa.Index(
    "ix_session_student_submitted",
    ExamSession.__table__.c.student_id,
    ExamSession.__table__.c.submitted_at,
)


metadata = SQLModel.metadata
