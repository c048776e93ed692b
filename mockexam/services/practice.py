"""Practice sessions (spec §7): start, autosave, submit, the sweep, results and history.

Practice never touches exams, Elo, Rasch calibration, streaks or
achievements: it reads the student's last exam θ (for the adaptive choice)
and nothing else of theirs.

A session's questions are drawn at start (scoring/practice.py: balanced
topics, no repeats until a topic is exhausted, optionally near the
student's ability) and stored as its `PracticeAnswer` rows with their
position; the sheet's labels are those positions ("1" … "10").

Language (issue 24): a question is in uz, ru or en. The topics stay balanced
as before; inside each topic the questions in the student's language come
first, and questions in another language fill a topic's share only when it has
too few in theirs (a Russian student still practises a topic that has only
Uzbek questions, rather than skip it). The draw's own rule ranks a topic's
questions by how often the student has seen them, so a question in another
language is handed to it as seen more often than any in theirs
(`_prefer_language`): repeats of their language's questions come before an
unseen one in another language.

The session keeps the position of the question the student is on
(`current_position`, set by `set_practice_position` as they move), so the
sheet opens there again after a reload or a backend restart. As for
exams, the server clock is the only clock: the deadline is start + the
mode's minutes + the grace, a save after it is refused, the client submits
at zero, and the sweep auto-submits (submitted_at = the deadline) whatever
is left. At most one unsubmitted session per student, enforced by a
partial unique index; a start while one runs returns that one. Grading
happens in the submit, so results show right after it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import lock_for_update, session_scope, utcnow
from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    Msg,
    NotFoundError,
    ValidationError,
    msg,
)
from mockexam.models import (
    ExamSession,
    ItemKind,
    PracticeAnswer,
    PracticeQuestion,
    PracticeSession,
    PracticeSync,
    PracticeTopic,
)
from mockexam.scoring.grading import ItemSpec, free_response_problem, grade_item
from mockexam.scoring.layout_templates import SUBJECTS
from mockexam.scoring.practice import (
    PRACTICE_MODES,
    Candidate,
    ability_estimate,
    difficulty_for_ability,
    draw_questions,
)
from mockexam.services.exam_room import NO_SAVE, SHEET_TOKEN_SLACK, Refusal, SheetSave
from mockexam.services.practice_bank import DEFAULT_SUBJECT, LANGUAGES, LETTERS
from mockexam.services.sheet_claims import claim_batch, submit_retried
from mockexam.services.tokens import check_token, make_token
from mockexam.text import strip_bidi

RECENT_ANSWERS_FOR_ABILITY = 40
HISTORY_LIMIT = 30


class PracticePhase:
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


@dataclass(frozen=True, slots=True)
class PracticeQuestionView:
    """One question as the student sees it while practising (no answer key)."""

    label: str  # its position, "1" …
    question_id: int
    topic_code: str
    topic_names: dict[str, str]
    topic_name: str
    difficulty: int
    kind: str
    text: str
    options: list[str]  # texts; shown as A, B, C …
    image_path: str | None


@dataclass(frozen=True, slots=True)
class ReviewedQuestion:
    """One question of a finished session: the student's answer, the right one, why."""

    label: str
    topic_code: str
    topic_names: dict[str, str]
    topic_name: str
    difficulty: int
    kind: str
    text: str
    options: list[str]
    image_path: str | None
    given: str  # "" = unanswered
    correct_answer: str  # the letter, or the first accepted answer
    accepted_answers: list[str]
    is_correct: bool
    explanation: str


@dataclass(frozen=True, slots=True)
class TopicScore:
    topic_code: str
    topic_names: dict[str, str]
    topic_name: str
    correct: int
    total: int


@dataclass(frozen=True, slots=True)
class PracticeRoom:
    """A practice session of one student, as of `now`."""

    now: datetime
    practice_id: int
    mode: str
    is_adaptive: bool
    target_difficulty: int | None
    phase: str
    started_at: datetime
    deadline: datetime
    submitted_at: datetime | None
    is_auto_submitted: bool
    seconds_left: int  # to the deadline without the grace (what the countdown shows)
    score: int | None
    total: int
    position: int = 1  # the question the student is on (its label as a number)
    questions: list[PracticeQuestionView] = field(default_factory=list)  # while in progress
    saved: dict[str, str] = field(default_factory=dict)  # label → value, while in progress
    review: list[ReviewedQuestion] = field(default_factory=list)  # once submitted
    topics: list[TopicScore] = field(default_factory=list)  # once submitted


@dataclass(frozen=True, slots=True)
class PracticeSubmit:
    practice_id: int
    score: int
    total: int
    is_auto_submitted: bool
    saved: SheetSave
    late: bool  # after the deadline: the changes sent along were not stored
    # Changes were sent along but not stored: it came late, or the session was already
    # submitted (by the clock's sweep or another device). Not to be taken as saved.
    dropped: bool = False


@dataclass(frozen=True, slots=True)
class HistoryItem:
    practice_id: int
    mode: str
    is_adaptive: bool
    started_at: datetime
    submitted_at: datetime | None
    is_auto_submitted: bool
    score: int | None
    total: int


@dataclass(frozen=True, slots=True)
class ModeAvailability:
    mode: str
    questions: int
    minutes: int
    available: int  # questions the draw would give now (fewer when the bank is small)


@dataclass(frozen=True, slots=True)
class SubjectAvailability:
    subject: str  # a code of scoring/layout_templates.SUBJECTS
    questions: int  # active questions of its topics


@dataclass(frozen=True, slots=True)
class PracticeHub:
    """The practice page: what is running, what can start, what was done."""

    open_session: PracticeRoom | None
    modes: list[ModeAvailability]
    bank_size: int  # active questions
    topic_count: int  # topics with active questions
    ability: float
    target_difficulty: int
    has_exam_ability: bool
    history: list[HistoryItem]
    sessions_done: int
    questions_answered: int
    accuracy: float | None  # share right over every finished session
    topics: list[TopicScore]  # overall per topic, over finished sessions
    subjects: list[SubjectAvailability] = field(default_factory=list)  # with active questions


SYNC = PracticeSync.__table__  # "newest batch per device" (services/sheet_claims.py)


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, math.ceil((end - start).total_seconds()))


def _grace() -> timedelta:
    return timedelta(seconds=settings.deadline_grace_seconds)


def _mode_rule(mode: str):
    rule = PRACTICE_MODES.get(mode)
    if rule is None:
        raise ValidationError(
            msg(
                "Mashq turini tanlang: {modes}.",
                "Выберите режим тренировки: {modes}.",
                "Choose a practice mode: {modes}.",
                modes=", ".join(PRACTICE_MODES),
            )
        )
    return rule


def _spec(kind: str, options: list[str], position: int) -> ItemSpec:
    letters = tuple(LETTERS[: len(options)]) if kind == ItemKind.MULTIPLE_CHOICE else ()
    return ItemSpec(number=max(1, position), sub_part="", kind=kind, options=letters)


def _topic_name(names: Mapping[str, str] | None, fallback: str, lang: str) -> str:
    names = names or {}
    return names.get(lang) or names.get("uz") or fallback


# --- drawing -------------------------------------------------------------------------------


def _candidates(
    session: Session,
    student_id: int,
    subject: str | None = None,
    language: str | None = None,
) -> list[Candidate]:
    """Active questions (of `subject`'s topics, or all) with how many of this student's
    sessions gave each (one query); with `language`, those in it first (`_prefer_language`)."""
    seen = (
        select(PracticeAnswer.question_id, func.count().label("n"))
        .join(PracticeSession, col(PracticeSession.id) == PracticeAnswer.practice_session_id)
        .where(PracticeSession.student_id == student_id)
        .group_by(col(PracticeAnswer.question_id))
        .subquery()
    )
    rows = session.execute(
        select(
            PracticeQuestion.id,
            PracticeTopic.code,
            PracticeQuestion.difficulty,
            func.coalesce(seen.c.n, 0),
            PracticeQuestion.language,
        )
        .join(PracticeTopic, col(PracticeTopic.id) == PracticeQuestion.topic_id)
        .outerjoin(seen, seen.c.question_id == PracticeQuestion.id)
        .where(col(PracticeQuestion.is_active), *_in_subject(subject))
        .order_by(col(PracticeQuestion.id))  # a seeded draw is repeatable
    ).all()
    candidates = [
        Candidate(question_id=qid, topic=code, difficulty=difficulty, times_seen=int(n))
        for qid, code, difficulty, n, _ in rows
    ]
    if language is None:
        return candidates
    return _prefer_language(candidates, [lang for *_, lang in rows], language)


def _prefer_language(
    candidates: list[Candidate], languages: list[str], language: str
) -> list[Candidate]:
    """The candidates with each question in another language than `language` counted as
    seen more often than any question of the bank: the draw (which takes a topic's least
    seen questions first) then gives a topic's questions in `language` first, and one in
    another language only for a share the topic cannot fill in `language`. Topics keep
    their balance; what is shown to the student is unchanged."""
    offset = 1 + max((c.times_seen for c in candidates), default=0)
    return [
        c if lang == language else replace(c, times_seen=c.times_seen + offset)
        for c, lang in zip(candidates, languages, strict=True)
    ]


def _in_subject(subject: str | None) -> list:
    """The condition on PracticeTopic for a draw in `subject` (none: every subject)."""
    return [] if subject is None else [PracticeTopic.subject == subject]


def _subject_sizes(session: Session) -> list[SubjectAvailability]:
    """Subjects with active questions, in the order of SUBJECTS (one grouped query)."""
    sizes = dict(
        session.execute(
            select(PracticeTopic.subject, func.count())
            .join(PracticeQuestion, col(PracticeQuestion.topic_id) == PracticeTopic.id)
            .where(col(PracticeQuestion.is_active))
            .group_by(col(PracticeTopic.subject))
        ).all()
    )
    order = {code: i for i, code in enumerate(SUBJECTS)}
    return [
        SubjectAvailability(subject=code or DEFAULT_SUBJECT, questions=int(n))
        for code, n in sorted(sizes.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
        if n
    ]


def _last_exam_theta(session: Session, student_id: int) -> float | None:
    return session.exec(
        select(ExamSession.theta)
        .where(
            ExamSession.student_id == student_id,
            col(ExamSession.theta).is_not(None),
            col(ExamSession.released_at).is_not(None),
            col(ExamSession.is_provisional).is_(False),
        )
        .order_by(col(ExamSession.released_at).desc())
        .limit(1)
    ).first()


def student_ability(session: Session, student_id: int) -> tuple[float, int, bool]:
    """(θ, target level, whether an exam θ was known): MAP from the recent practice answers
    around the last calibrated exam's θ (scoring/practice.ability_estimate)."""
    exam_theta = _last_exam_theta(session, student_id)
    recent = session.execute(
        select(PracticeQuestion.difficulty, PracticeAnswer.is_correct)
        .join(PracticeAnswer, col(PracticeAnswer.question_id) == PracticeQuestion.id)
        .join(PracticeSession, col(PracticeSession.id) == PracticeAnswer.practice_session_id)
        .where(
            PracticeSession.student_id == student_id,
            col(PracticeSession.submitted_at).is_not(None),
            col(PracticeAnswer.is_correct).is_not(None),
        )
        .order_by(col(PracticeSession.submitted_at).desc(), col(PracticeAnswer.position))
        .limit(RECENT_ANSWERS_FOR_ABILITY)
    ).all()
    theta = ability_estimate(
        [d for d, _ in recent],
        [bool(c) for _, c in recent],
        prior_mean=float(exam_theta) if exam_theta is not None else 0.0,
    )
    return theta, difficulty_for_ability(theta), exam_theta is not None


# --- starting ------------------------------------------------------------------------------


def _open_session(session: Session, student_id: int, *, lock: bool = False):
    statement = select(PracticeSession).where(
        PracticeSession.student_id == student_id, col(PracticeSession.submitted_at).is_(None)
    )
    if lock:
        statement = lock_for_update(session, statement)
    return session.exec(statement).first()


def start_practice(
    *,
    student_id: int,
    mode: str,
    adaptive: bool = False,
    subject: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
    rng: np.random.Generator | None = None,
) -> PracticeRoom:
    """Start a session (or return the one in progress); ValidationError when the bank is empty.

    `subject` (a code of SUBJECTS) keeps the draw to that subject's topics; None draws
    from the whole bank. `language` (uz, ru or en: the student's) puts each topic's
    questions in that language first; None draws regardless of language. A session of
    the caller's whose deadline has passed is auto-submitted first.
    """
    now = now or utcnow()
    rule = _mode_rule(mode)
    if not isinstance(adaptive, bool):
        raise ValidationError(
            msg(
                "Moslash — ha yoki yo‘q.",
                "«Под мой уровень» — да или нет.",
                "Adaptive is yes or no.",
            )
        )
    if subject is not None and (not isinstance(subject, str) or subject not in SUBJECTS):
        raise ValidationError(
            msg(
                "Bunday fan yo‘q.",
                "Такого предмета нет.",
                "There is no such subject.",
            )
        )
    if language is not None and (not isinstance(language, str) or language not in LANGUAGES):
        raise ValidationError(
            msg(
                "Bunday til yo‘q; tillar: {codes}.",
                "Такого языка нет; языки: {codes}.",
                "There is no such language; the languages are {codes}.",
                codes=", ".join(LANGUAGES),
            )
        )
    rng = rng or np.random.default_rng()
    with session_scope() as session:
        current = _open_session(session, student_id, lock=True)
        if current is not None and now <= current.deadline:
            practice_id = current.id
        else:
            if current is not None:
                _finish(session, current, now=now, auto=True)
            target = None
            if adaptive:
                _, target, _ = student_ability(session, student_id)
            chosen = draw_questions(
                _candidates(session, student_id, subject, language),
                rule.questions,
                rng,
                target_difficulty=target,
            )
            if not chosen:
                raise ValidationError(
                    msg(
                        "Mashq savollari banki hali bo‘sh; birozdan so‘ng qayta urinib ko‘ring.",
                        "В банке вопросов для тренировок пока нет вопросов; попробуйте позже.",
                        "The practice bank has no questions yet; please try again later.",
                    )
                )
            new = PracticeSession(
                student_id=student_id,
                mode=mode,
                is_adaptive=adaptive,
                target_difficulty=target,
                started_at=now,
                deadline=now + timedelta(minutes=rule.minutes) + _grace(),
            )
            try:
                with session.begin_nested():
                    session.add(new)
                    session.flush()
                    session.add_all(
                        PracticeAnswer(
                            practice_session_id=new.id,
                            question_id=question_id,
                            position=position,
                            saved_at=now,
                        )
                        for position, question_id in enumerate(chosen, start=1)
                    )
                    session.flush()
                practice_id = new.id
            except IntegrityError:
                # Another tab of the same student started one at the same moment: theirs it is.
                session.expire_all()
                other = _open_session(session, student_id)
                if other is None:
                    raise
                practice_id = other.id
    return get_practice_room(student_id=student_id, practice_id=practice_id, now=now)


# --- reading -------------------------------------------------------------------------------


def _own(session: Session, *, student_id: int, practice_id: int, lock: bool = False):
    statement = select(PracticeSession).where(PracticeSession.id == practice_id)
    if lock:
        statement = lock_for_update(session, statement)
    row = session.exec(statement).first()
    if row is None or row.student_id != student_id:
        raise NotFoundError(
            msg(
                "Bunday mashq yo‘q yoki u sizniki emas.",
                "Такой тренировки нет, или она не ваша.",
                "This practice session does not exist or is not yours.",
            )
        )
    return row


def _questions(session: Session, practice_id: int):
    """(answer row, question, topic code, topic names, topic name, topic order) by position."""
    return session.execute(
        select(
            PracticeAnswer,
            PracticeQuestion,
            PracticeTopic.code,
            PracticeTopic.names,
            PracticeTopic.name,
            PracticeTopic.sort_order,
        )
        .join(PracticeQuestion, col(PracticeQuestion.id) == PracticeAnswer.question_id)
        .join(PracticeTopic, col(PracticeTopic.id) == PracticeQuestion.topic_id)
        .where(PracticeAnswer.practice_session_id == practice_id)
        .order_by(col(PracticeAnswer.position))
    ).all()


def _correct_answer(question: PracticeQuestion) -> str:
    accepted = list(question.accepted_answers)
    return accepted[0] if accepted else ""


def _topic_scores(rows: list[ReviewedQuestion], order: dict[str, int]) -> list[TopicScore]:
    """Right / given per topic, in the topics' order."""
    scores: dict[str, list] = {}
    for row in sorted(rows, key=lambda r: order.get(r.topic_code, 0)):
        entry = scores.setdefault(row.topic_code, [row.topic_names, row.topic_name, 0, 0])
        entry[2] += int(row.is_correct)
        entry[3] += 1
    return [
        TopicScore(code, names, name, correct, total)
        for code, (names, name, correct, total) in scores.items()
    ]


def _read_room(
    session: Session, practice: PracticeSession, *, now: datetime, lang: str = "uz"
) -> PracticeRoom:
    rows = _questions(session, practice.id)
    in_progress = practice.submitted_at is None and now <= practice.deadline
    questions: list[PracticeQuestionView] = []
    saved: dict[str, str] = {}
    review: list[ReviewedQuestion] = []
    order: dict[str, int] = {}
    for answer, question, code, names, name, sort_order in rows:
        order[code] = sort_order
        label = str(answer.position)
        topic_name = _topic_name(names, name, lang)
        if in_progress:
            questions.append(
                PracticeQuestionView(
                    label=label,
                    question_id=question.id,
                    topic_code=code,
                    topic_names=dict(names or {}),
                    topic_name=topic_name,
                    difficulty=question.difficulty,
                    kind=question.kind,
                    text=question.text,
                    options=list(question.options),
                    image_path=question.image_path,
                )
            )
            if answer.value:
                saved[label] = answer.value
        elif practice.submitted_at is not None:
            review.append(
                ReviewedQuestion(
                    label=label,
                    topic_code=code,
                    topic_names=dict(names or {}),
                    topic_name=topic_name,
                    difficulty=question.difficulty,
                    kind=question.kind,
                    text=question.text,
                    options=list(question.options),
                    image_path=question.image_path,
                    given=answer.value,
                    correct_answer=_correct_answer(question),
                    accepted_answers=list(question.accepted_answers),
                    is_correct=bool(answer.is_correct),
                    explanation=question.explanation,
                )
            )
    phase = PracticePhase.IN_PROGRESS if in_progress else PracticePhase.SUBMITTED
    return PracticeRoom(
        now=now,
        practice_id=practice.id,
        mode=practice.mode,
        is_adaptive=practice.is_adaptive,
        target_difficulty=practice.target_difficulty,
        phase=phase,
        started_at=practice.started_at,
        deadline=practice.deadline,
        submitted_at=practice.submitted_at,
        is_auto_submitted=practice.is_auto_submitted,
        seconds_left=_seconds(now, practice.deadline - _grace()),
        score=practice.score,
        total=practice.total if practice.total is not None else len(rows),
        position=min(max(1, practice.current_position or 1), max(1, len(rows))),
        questions=questions,
        saved=saved,
        review=review,
        topics=_topic_scores(review, order),
    )


def get_practice_room(
    *, student_id: int, practice_id: int, now: datetime | None = None, lang: str = "uz"
) -> PracticeRoom:
    """The caller's session: its questions while running; its review once submitted.

    A session past its deadline that the sweep has not reached yet is
    submitted here first (its results are what the student asks for).
    NotFoundError for a session that is not the caller's.
    """
    now = now or utcnow()
    with session_scope(readonly=True) as session:
        practice = _own(session, student_id=student_id, practice_id=practice_id)
        if practice.submitted_at is not None or now <= practice.deadline:
            return _read_room(session, practice, now=now, lang=lang)
    _finish_overdue(student_id, now)
    with session_scope(readonly=True) as session:
        practice = _own(session, student_id=student_id, practice_id=practice_id)
        return _read_room(session, practice, now=now, lang=lang)


def _finish_overdue(student_id: int, now: datetime) -> None:
    """Submit the caller's open session if its deadline has passed (a short write)."""
    with session_scope() as session:
        current = _open_session(session, student_id, lock=True)
        if current is not None and now > current.deadline:
            _finish(session, current, now=now, auto=True)


# --- answers -------------------------------------------------------------------------------


def _check_changes(
    rows: list, changes: Mapping[str, str | None]
) -> tuple[dict[str, str], dict[str, Refusal]]:
    """Storable label → value (mcq letters upper-cased, free trimmed) and the refusals."""
    by_label = {str(answer.position): (answer, question) for answer, question, *_ in rows}
    valid: dict[str, str] = {}
    rejected: dict[str, Refusal] = {}
    limit = settings.free_response_max_chars
    for label, value in changes.items():
        found = by_label.get(label)
        if found is None:
            rejected[label] = Refusal.UNKNOWN_ITEM
            continue
        if value is None:
            continue
        if not isinstance(value, str):
            rejected[label] = Refusal.INVALID
            continue
        _, question = found
        text = strip_bidi(value).strip()  # bidi controls would show it as another answer
        if question.kind == ItemKind.MULTIPLE_CHOICE:
            letters = LETTERS[: len(question.options)]
            if text and (len(text) != 1 or text.upper() not in letters):
                rejected[label] = Refusal.NOT_AN_OPTION
                continue
            valid[label] = text.upper()
            continue
        if len(text) > limit:
            rejected[label] = Refusal.TOO_LONG
            continue
        problem = free_response_problem(text, max_chars=limit)
        if problem:
            rejected[label] = Refusal.TOO_LONG if "characters long" in problem else Refusal.INVALID
            continue
        valid[label] = text
    return valid, rejected


def _store(session: Session, rows: list, values: Mapping[str, str], now: datetime) -> None:
    by_label = {str(answer.position): answer for answer, *_ in rows}
    for label, value in values.items():
        answer = by_label[label]
        if answer.value != value:
            answer.value = value
            answer.saved_at = now
            session.add(answer)
    session.flush()


def _check_open(practice: PracticeSession, now: datetime) -> None:
    if practice.submitted_at is not None:
        raise AlreadySubmittedError(
            msg(
                "Bu mashq topshirilgan; javoblarni endi o‘zgartirib bo‘lmaydi.",
                "Эта тренировка сдана; ответы больше нельзя изменить.",
                "This practice was submitted; answers can no longer change.",
            )
        )
    if now > practice.deadline:
        raise DeadlinePassedError(
            msg(
                "Vaqt tugadi: muddatdan keyingi javoblar qabul qilinmaydi.",
                "Время вышло: ответы после срока не принимаются.",
                "Time is up: answers after the deadline are not accepted.",
            )
        )


SHEET_PURPOSE = "practice-sheet"


def practice_sheet_token(*, student_id: int, practice_id: int, deadline: datetime) -> str:
    """The practice sheet's credential for saving and submitting over HTTP (services.tokens),
    for this student and session until a little past its deadline."""
    return make_token(
        SHEET_PURPOSE,
        student_id=student_id,
        exam_id=practice_id,
        expires_at=deadline + SHEET_TOKEN_SLACK,
    )


def check_practice_sheet_token(*, practice_id: int, token: str, now: datetime | None = None) -> int:
    """The student a practice sheet token was made for; PermissionDeniedError if forged or
    moved, TokenExpiredError once expired."""
    return check_token(
        SHEET_PURPOSE,
        exam_id=practice_id,
        token=token,
        now=now or utcnow(),
        invalid="This practice sheet's credential is not valid: reload the page.",
        expired="This practice sheet's credential has expired: reload the page.",
    )


def save_practice(
    *,
    student_id: int,
    practice_id: int,
    changes: Mapping[str, str | None],
    device: str | None = None,
    seq: int = 0,
    now: datetime | None = None,
) -> SheetSave:
    """Store the caller's answer changes; refused labels are reported, not raised.

    `device` + `seq`: the batch's device and seq (services/sheet_claims.py): a batch
    that a newer one of the same device already covers stores nothing, and its ack is
    the newer seq. DeadlinePassedError / AlreadySubmittedError store nothing;
    NotFoundError for a session that is not the caller's.
    """
    now = now or utcnow()
    with session_scope() as session:
        practice = _own(session, student_id=student_id, practice_id=practice_id, lock=True)
        _check_open(practice, now)
        return _store_batch(session, practice_id, changes, now, device=device, seq=seq)


def _store_batch(
    session: Session,
    practice_id: int,
    changes: Mapping[str, str | None],
    now: datetime,
    *,
    device: str | None,
    seq: int,
) -> SheetSave:
    """Check each change on its own and store the valid ones, unless a newer batch of the
    device covers this one (the caller holds the session's row)."""
    rows = _questions(session, practice_id)
    valid, rejected = _check_changes(rows, changes)
    options = {
        str(answer.position): tuple(LETTERS[: len(question.options)])
        for answer, question, *_ in rows
        if str(answer.position) in rejected and question.options
    }
    if device is not None and changes:
        covering = claim_batch(
            session.connection(), SYNC, session_id=practice_id, device=device, seq=seq, now=now
        )
        if covering is not None:
            return SheetSave(
                accepted=(), stored={}, rejected=rejected, ack=covering, options=options
            )
    _store(session, rows, valid, now)
    return SheetSave(
        accepted=tuple(valid), stored=valid, rejected=rejected, ack=seq, options=options
    )


def set_practice_position(
    *,
    student_id: int,
    practice_id: int,
    position: int,
    now: datetime | None = None,
) -> int:
    """Remember the question the student is on (1 … the session's size); returns it.

    ValidationError for a position the session does not have (nothing changes);
    DeadlinePassedError / AlreadySubmittedError once it is over; NotFoundError for a
    session that is not the caller's. One short write, and none when it is unchanged.
    """
    now = now or utcnow()
    if type(position) is not int:  # True or 2.0 are not positions
        raise ValidationError(_no_position(position))
    with session_scope() as session:
        practice = _own(session, student_id=student_id, practice_id=practice_id)
        _check_open(practice, now)
        count = session.exec(
            select(func.count()).where(PracticeAnswer.practice_session_id == practice_id)
        ).one()
        if not 1 <= position <= count:
            raise ValidationError(_no_position(position, count))
        if practice.current_position != position:
            practice.current_position = position
            session.add(practice)
    return position


def _no_position(position: object, count: int | None = None) -> Msg:
    shown = repr(position)[:24]
    if count is None:
        return msg(
            "Savol raqami butun son bo‘lishi kerak, {value} emas.",
            "Номер вопроса должен быть целым числом, а не {value}.",
            "A question's position is a whole number, not {value}.",
            value=shown,
        )
    return msg(
        "Bu mashqda {value}-savol yo‘q: savollar 1 dan {count} gacha.",
        "В этой тренировке нет вопроса {value}: вопросы с 1 по {count}.",
        "This practice has no question {value}: its questions are 1 to {count}.",
        value=shown,
        count=count,
    )


def _finish(session: Session, practice: PracticeSession, *, now: datetime, auto: bool) -> None:
    """Grade every answer and mark the session submitted (the caller holds the row)."""
    rows = _questions(session, practice.id)
    score = 0
    for answer, question, *_ in rows:
        right = grade_item(
            _spec(question.kind, list(question.options), answer.position),
            list(question.accepted_answers),
            answer.value or "",
        )
        if answer.is_correct != right:
            answer.is_correct = right
            session.add(answer)
        score += int(right)
    late = now > practice.deadline
    practice.submitted_at = practice.deadline if late else now
    practice.is_auto_submitted = auto or late
    practice.score = score
    practice.total = len(rows)
    session.add(practice)
    session.flush()


def submit_practice(
    *,
    student_id: int,
    practice_id: int,
    changes: Mapping[str, str | None],
    auto: bool = False,
    device: str | None = None,
    seq: int = 0,
    now: datetime | None = None,
) -> PracticeSubmit:
    """Store the last changes (while in time), grade and submit; idempotent.

    After the deadline the changes are dropped and it counts as auto-submitted.
    `auto` (the client's clock ran out) counts only when the server agrees.
    `device` + `seq` as in `save_practice`; a retried submit whose first answer was
    lost acknowledges the changes its first try stored (exam_room.submit_sheet's rule).
    """
    now = now or utcnow()
    with session_scope() as session:
        practice = _own(session, student_id=student_id, practice_id=practice_id, lock=True)
        saved = NO_SAVE
        submitted_before = practice.submitted_at is not None
        late = not submitted_before and now > practice.deadline
        dropped = bool(changes) and (late or submitted_before)
        if (
            dropped
            and submitted_before
            and submit_retried(
                session.connection(), SYNC, session_id=practice_id, device=device, seq=seq
            )
        ):  # its first try stored these changes before submitting: not lost, acked
            dropped, saved = False, replace(NO_SAVE, ack=seq)
        if not submitted_before:
            if not late:
                saved = _store_batch(session, practice_id, changes, now, device=device, seq=seq)
            time_over = now >= practice.deadline - _grace() - timedelta(seconds=5)
            _finish(session, practice, now=now, auto=bool(auto) and time_over)
        return PracticeSubmit(
            practice_id=practice.id,
            score=practice.score or 0,
            total=practice.total or 0,
            is_auto_submitted=practice.is_auto_submitted,
            saved=saved,
            late=late,
            dropped=dropped,
        )


def auto_submit_overdue_practice(now: datetime | None = None, *, batch: int = 200) -> int:
    """Grade and submit every practice session past its deadline (submitted_at = the deadline).

    Batches of `batch` sessions, each batch in one transaction, claimed with
    SKIP LOCKED on PostgreSQL, so two consumers never grade the same one (each
    session's questions are read on their own: at most `batch` small reads).
    """
    now = now or utcnow()
    done = 0
    while True:
        with session_scope() as session:
            overdue = session.exec(
                lock_for_update(
                    session,
                    select(PracticeSession)
                    .where(
                        col(PracticeSession.submitted_at).is_(None),
                        PracticeSession.deadline < now,
                    )
                    .order_by(col(PracticeSession.deadline))
                    .limit(batch),
                    skip_locked=True,
                )
            ).all()
            for practice in overdue:
                _finish(session, practice, now=now, auto=True)
        done += len(overdue)
        if len(overdue) < batch:
            return done


# --- the hub -------------------------------------------------------------------------------


def _history(session: Session, student_id: int) -> list[HistoryItem]:
    rows = session.exec(
        select(PracticeSession)
        .where(
            PracticeSession.student_id == student_id,
            col(PracticeSession.submitted_at).is_not(None),
        )
        .order_by(col(PracticeSession.started_at).desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return [
        HistoryItem(
            practice_id=p.id,
            mode=p.mode,
            is_adaptive=p.is_adaptive,
            started_at=p.started_at,
            submitted_at=p.submitted_at,
            is_auto_submitted=p.is_auto_submitted,
            score=p.score,
            total=p.total or 0,
        )
        for p in rows
    ]


def overall_topic_scores(session: Session, student_id: int, lang: str) -> list[TopicScore]:
    """Right / given per topic over the student's finished sessions (one grouped query)."""
    per_topic = (
        select(
            PracticeQuestion.topic_id,
            func.sum(case((col(PracticeAnswer.is_correct), 1), else_=0)).label("right"),
            func.count().label("n"),
        )
        .join(PracticeAnswer, col(PracticeAnswer.question_id) == PracticeQuestion.id)
        .join(PracticeSession, col(PracticeSession.id) == PracticeAnswer.practice_session_id)
        .where(
            PracticeSession.student_id == student_id,
            col(PracticeSession.submitted_at).is_not(None),
        )
        .group_by(col(PracticeQuestion.topic_id))
        .subquery()
    )
    rows = session.execute(
        select(
            PracticeTopic.code,
            PracticeTopic.names,
            PracticeTopic.name,
            per_topic.c.right,
            per_topic.c.n,
        )
        .join(per_topic, per_topic.c.topic_id == PracticeTopic.id)
        .order_by(col(PracticeTopic.sort_order), col(PracticeTopic.id))
    ).all()
    return [
        TopicScore(code, dict(names or {}), _topic_name(names, name, lang), int(right or 0), int(n))
        for code, names, name, right, n in rows
    ]


def practice_hub(*, student_id: int, now: datetime | None = None, lang: str = "uz") -> PracticeHub:
    """Everything the practice page shows for the caller (a handful of small queries)."""
    now = now or utcnow()
    with session_scope(readonly=True) as session:
        current = _open_session(session, student_id)
    if current is not None and now > current.deadline:
        _finish_overdue(student_id, now)
    with session_scope(readonly=True) as session:
        current = _open_session(session, student_id)
        open_room = _read_room(session, current, now=now, lang=lang) if current else None
        candidates = _candidates(session, student_id)
        theta, target, has_exam = student_ability(session, student_id)
        history = _history(session, student_id)
        topics = overall_topic_scores(session, student_id, lang)
        subjects = _subject_sizes(session)
        totals = session.execute(
            select(func.count(), func.coalesce(func.sum(PracticeSession.total), 0)).where(
                PracticeSession.student_id == student_id,
                col(PracticeSession.submitted_at).is_not(None),
            )
        ).one()
    topic_sizes: dict[str, int] = {}
    for candidate in candidates:
        topic_sizes[candidate.topic] = topic_sizes.get(candidate.topic, 0) + 1
    answered = sum(t.total for t in topics)
    right = sum(t.correct for t in topics)
    return PracticeHub(
        open_session=open_room,
        modes=[
            ModeAvailability(
                mode=mode,
                questions=rule.questions,
                minutes=rule.minutes,
                available=min(rule.questions, len(candidates)),
            )
            for mode, rule in PRACTICE_MODES.items()
        ],
        bank_size=len(candidates),
        topic_count=len(topic_sizes),
        ability=theta,
        target_difficulty=target,
        has_exam_ability=has_exam,
        history=history,
        sessions_done=int(totals[0]),
        questions_answered=int(totals[1] or 0),
        accuracy=(right / answered) if answered else None,
        topics=topics,
        subjects=subjects,
    )
