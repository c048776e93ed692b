"""Taking an exam in a phone browser, against the production build and its database.

One short exam, open now, carries the module's timeline (the tests run in
file order and build on each other):

1. a student starts it, answers multiple-choice and free-response items,
   flags one, reloads: answers, flag and remaining time are intact and in
   the database;
2. the backend goes offline mid-exam: the connection-lost banner shows,
   answers made meanwhile wait in the browser, and after the backend is back
   they are sent and stored;
3. a second student lets the clock run out: the sheet submits by itself and
   the waiting view shows;
4. after the window closes (+ the server's grace) the sweep releases the
   exam: the results page reviews every item.

`create_open_exam` and `retire_exam` are shared with the screenshot tests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlmodel import col, func, select

from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.models import Exam, ExamSession, ExamStatus, SessionStatus
from mockexam.services import exams as exam_service
from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID
from mockexam.services.demo_paper import attach_demo_paper
from mockexam.services.history import get_session_results
from mockexam.services.sessions import session_answers
from mockexam.tasks import run_sweep
from tests.e2e.appserver import AppServer
from tests.e2e.test_miniapp import ConsoleErrors, student_id_of, wait_ready
from tests.factories import DEFAULT_KEY_TEXT

# Seconds from the module's start to the window's end: room for tests 1–2 (about
# 10 s together here), then test 3 waits for the clock to reach zero.
FLOW_WINDOW_SECONDS = 45
GRACE = timedelta(seconds=settings.deadline_grace_seconds)

# Demo students (Uzbek speakers) who sat no exam yet (the demo cohort is the first 80 %): the app's
# student count stays the demo's (tests/e2e/test_smoke.py counts them).
TAKER = DEMO_STUDENT_TELEGRAM_ID + 252  # starts, answers, reloads, goes offline (tests 1, 2, 4)
LATE_TAKER = DEMO_STUDENT_TELEGRAM_ID + 255  # lets the clock run out (tests 3, 4)

# The DEFAULT_KEY_TEXT key: 1–35 cycle A B C D; {n}a = n, {n}b = -n/2.
ANSWERS_BEFORE_RELOAD = {"1": "A", "2": "C", "5": "A", "33": "A", "36a": "36", "37b": "-37/2"}
ANSWERS_OFFLINE = {"10": "B", "11": "C", "40a": "41"}


# --- shared with the screenshot tests --------------------------------------------------------


@contextmanager
def app_uploads(app_server: AppServer) -> Iterator[None]:
    """Write uploads (the question paper) where the running app reads them."""
    previous = settings.upload_dir
    object.__setattr__(settings, "upload_dir", app_server.workdir / "uploads")
    try:
        yield
    finally:
        object.__setattr__(settings, "upload_dir", previous)


def create_open_exam(
    app_server: AppServer,
    *,
    title: str,
    seconds_open: float,
    duration_minutes: int = 150,
    opens_in: float = 0.0,
) -> tuple[int, datetime]:
    """A keyed, published exam with a question paper, open from now (or `opens_in`
    seconds from now) for `seconds_open`.

    Its window starts just after any exam window that has already closed
    (published windows may not overlap). Returns (exam id, window end).
    """
    now = utcnow()
    with app_server.database(), app_uploads(app_server), session_scope() as db:
        latest_end = db.exec(
            select(func.max(Exam.window_end)).where(
                Exam.status != ExamStatus.DRAFT, Exam.window_end <= now
            )
        ).one()
        start = now + timedelta(seconds=opens_in) if opens_in else now - timedelta(seconds=30)
        if latest_end is not None:
            start = max(start, _aware(latest_end) + timedelta(seconds=1))
        end = now + timedelta(seconds=seconds_open)
        exam = exam_service.create_exam(
            db,
            title=title,
            window_start=start,
            window_end=end,
            duration_minutes=duration_minutes,
        )
        exam_service.import_answer_key(db, exam.id, DEFAULT_KEY_TEXT)
        attach_demo_paper(db, exam, seed=exam.id)
        exam_service.publish_exam(db, exam.id, now=start)
        assert exam.id is not None
        return exam.id, end


def retire_exam(app_server: AppServer, exam_id: int) -> None:
    """Close a test exam's window now (sessions end with it), so later windows may open."""
    with app_server.database(), session_scope() as db:
        exam = db.get(Exam, exam_id)
        if exam is None or exam.status != ExamStatus.PUBLISHED:
            return
        end = max(_aware(exam.window_start) + timedelta(seconds=1), utcnow() - GRACE * 2)
        exam.window_end = end
        db.add(exam)
        db.execute(
            update(ExamSession)
            .where(col(ExamSession.exam_id) == exam_id, col(ExamSession.deadline) > end + GRACE)
            .values(deadline=end + GRACE)
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def wait_for(check: Callable[[], Any], *, timeout: float = 20.0, what: str = "") -> Any:
    """Poll `check` (e.g. a database read) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or check}")
        time.sleep(0.25)


def seconds_shown(page: Page) -> int:
    """The exam countdown's figure in seconds ("12:34" or "1:02:03")."""
    text = page.locator("#exam-countdown").inner_text().strip()
    match = re.search(r"(?:(\d+):)?(\d+):(\d\d)", text)
    assert match, f"no time in the countdown: {text!r}"
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def stored_answers(student_id: int, exam_id: int) -> dict[str, tuple[str, bool]]:
    """label → (value, flagged) as the database has them for the student's session."""
    with session_scope(readonly=True) as db:
        own = db.exec(
            select(ExamSession).where(
                ExamSession.student_id == student_id, ExamSession.exam_id == exam_id
            )
        ).first()
        if own is None:
            return {}
        return {
            label: (answer.value, answer.is_flagged)
            for label, answer in session_answers(db, own.id).items()
        }


def own_session(student_id: int, exam_id: int) -> ExamSession | None:
    with session_scope(readonly=True) as db:
        row = db.exec(
            select(ExamSession).where(
                ExamSession.student_id == student_id, ExamSession.exam_id == exam_id
            )
        ).first()
        if row is not None:
            db.expunge(row)
        return row


def answer(page: Page, label: str, value: str) -> None:
    """Tap an option (1–35) or type into a free-response field (36a…45b), then leave it."""
    if label.isdigit():
        page.locator(f"#q-{label}-{value}").click()
        expect(page.locator(f"#q-{label}-{value}")).to_have_attribute("aria-pressed", "true")
    else:
        field = page.locator(f"#q-{label}")
        field.fill(value)
        field.press("Enter")  # blur: sent at once


def start_exam_in_browser(page: Page) -> None:
    expect(page.locator("#exam-open-view")).to_be_visible()
    page.locator("#start-exam").click()
    page.locator("#start-confirm").click()
    expect(page.locator("#answer-sheet")).to_be_visible()


def expect_sheet_shows(page: Page, answers: dict[str, str]) -> None:
    for label, value in answers.items():
        if label.isdigit():
            expect(page.locator(f"#q-{label}-{value}")).to_have_attribute("aria-pressed", "true")
        else:
            expect(page.locator(f"#q-{label}")).to_have_value(value)


# --- the timeline --------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowExam:
    exam_id: int
    window_end: datetime


@pytest.fixture(scope="module")
def flow_exam(app_server: AppServer) -> FlowExam:
    exam_id, end = create_open_exam(
        app_server, title="E2E flow exam", seconds_open=FLOW_WINDOW_SECONDS
    )
    return FlowExam(exam_id, end)


def exam_link(student_link, telegram_id: int, exam_id: int, **options: Any) -> str:
    return student_link(telegram_id, f"/exam/{exam_id}", **options)


def test_exam_start_answer_and_reload_keeps_answers_flag_and_time(
    app_server: AppServer, phone_page: Page, student_link, flow_exam: FlowExam, app_db: str
) -> None:
    errors = ConsoleErrors(phone_page)
    phone_page.goto(exam_link(student_link, TAKER, flow_exam.exam_id))
    start_exam_in_browser(phone_page)
    student_id = student_id_of(TAKER)
    session = own_session(student_id, flow_exam.exam_id)
    assert session is not None and session.submitted_at is None
    assert _aware(session.deadline) == flow_exam.window_end + GRACE

    for label, value in ANSWERS_BEFORE_RELOAD.items():
        answer(phone_page, label, value)
    phone_page.locator("#flag-3").click()
    expect(phone_page.locator("#grid-3")).to_have_attribute("data-flagged", "true")
    expect(phone_page.locator("#answer-sheet")).to_have_attribute("data-pending", "0")
    expect(phone_page.locator("#status-36a")).to_have_attribute("data-status", "saved")
    # Counted by question: 36 and 37 have one part of two answered.
    expect(phone_page.locator("#count-answered")).to_have_text("4")
    expect(phone_page.locator("#count-unanswered")).to_have_text("41")
    expect(phone_page.locator("#count-flagged")).to_have_text("1")
    expect(phone_page.locator("#grid-36")).to_have_attribute("data-answered", "partly")
    expect(phone_page.locator("#grid-1")).to_have_attribute("data-answered", "true")

    stored = wait_for(
        lambda: (
            (s := stored_answers(student_id, flow_exam.exam_id))
            and all(s.get(k, ("",))[0] == v for k, v in ANSWERS_BEFORE_RELOAD.items())
            and s.get("3", ("", False))[1]
            and s
        ),
        what="the answers in the database",
    )
    assert {k: v for k, (v, _) in stored.items() if v} == ANSWERS_BEFORE_RELOAD

    before = seconds_shown(phone_page)
    reloaded_at = time.monotonic()
    phone_page.reload()
    expect(phone_page.locator("#answer-sheet")).to_be_visible()
    expect_sheet_shows(phone_page, ANSWERS_BEFORE_RELOAD)
    expect(phone_page.locator("#grid-3")).to_have_attribute("data-flagged", "true")
    expect(phone_page.locator("#q-36b")).to_have_value("")
    after = seconds_shown(phone_page)
    elapsed = time.monotonic() - reloaded_at
    assert before - elapsed - 3 <= after <= before + 1
    server_left = (flow_exam.window_end - utcnow()).total_seconds()
    assert abs(after - server_left) <= 3
    errors.assert_none()


def test_exam_answers_made_offline_are_sent_when_the_backend_returns(
    app_server: AppServer, phone_page: Page, student_link, flow_exam: FlowExam, app_db: str
) -> None:
    student_id = student_id_of(TAKER)
    # A fresh browser: what the sheet shows now comes from the server.
    phone_page.goto(exam_link(student_link, TAKER, flow_exam.exam_id))
    expect(phone_page.locator("#answer-sheet")).to_be_visible()
    expect_sheet_shows(phone_page, ANSWERS_BEFORE_RELOAD)
    banner = phone_page.locator("#connection-banner")
    expect(banner).to_have_count(0)

    app_server.stop()
    try:
        expect(banner).to_be_visible(timeout=15_000)
        for label, value in ANSWERS_OFFLINE.items():
            answer(phone_page, label, value)
        expect(phone_page.locator("#unsent-count")).to_have_text(str(len(ANSWERS_OFFLINE)))
        expect(phone_page.locator("#answer-sheet")).to_have_attribute(
            "data-pending", str(len(ANSWERS_OFFLINE))
        )
        expect(phone_page.locator("#status-10")).to_have_attribute("data-status", "queued")
        time.sleep(1.0)  # nothing can reach the database meanwhile
        stored = stored_answers(student_id, flow_exam.exam_id)
        assert not set(ANSWERS_OFFLINE) & {k for k, (v, _) in stored.items() if v}
        kept = phone_page.evaluate(
            "() => Object.keys(window.localStorage).filter(k => k.startsWith('mockexam:sheet:'))"
        )
        assert kept, "the unsent answers are not in the browser's storage"
    finally:
        app_server.start()

    expect(banner).to_have_count(0, timeout=30_000)
    expect(phone_page.locator("#answer-sheet")).to_have_attribute(
        "data-pending", "0", timeout=20_000
    )
    stored = wait_for(
        lambda: (
            (s := stored_answers(student_id, flow_exam.exam_id))
            and all(s.get(k, ("",))[0] == v for k, v in ANSWERS_OFFLINE.items())
            and s
        ),
        what="the offline answers in the database",
    )
    assert {k: v for k, (v, _) in stored.items() if v} == {
        **ANSWERS_BEFORE_RELOAD,
        **ANSWERS_OFFLINE,
    }
    expect(phone_page.locator("#status-40a")).to_have_attribute("data-status", "saved")


def test_exam_clock_running_out_submits_by_itself_and_shows_the_waiting_view(
    app_server: AppServer, phone_page: Page, student_link, flow_exam: FlowExam, app_db: str
) -> None:
    left = (flow_exam.window_end - utcnow()).total_seconds()
    assert left > 8, "tests 1–2 took longer than the exam's window; raise FLOW_WINDOW_SECONDS"
    phone_page.goto(exam_link(student_link, LATE_TAKER, flow_exam.exam_id))
    start_exam_in_browser(phone_page)
    student_id = student_id_of(LATE_TAKER)
    answer(phone_page, "4", "D")
    answer(phone_page, "45a", "45")
    expect(phone_page.locator("#answer-sheet")).to_have_attribute("data-pending", "0")

    waiting = phone_page.locator("#exam-waiting")
    expect(waiting).to_be_visible(timeout=(left + 20) * 1000)
    session = own_session(student_id, flow_exam.exam_id)
    assert session is not None
    assert session.submitted_at is not None
    assert session.is_auto_submitted
    # Submitted by the page's own clock at zero, not by the server after its grace.
    assert _aware(session.submitted_at) < flow_exam.window_end + timedelta(seconds=10)
    assert stored_answers(student_id, flow_exam.exam_id) == {
        "4": ("D", False),
        "45a": ("45", False),
    }
    expect(phone_page.locator("#auto-submitted")).to_be_visible()
    expect(phone_page.locator("#answer-sheet")).to_have_count(0)


def test_exam_after_release_results_review_every_item(
    app_server: AppServer, phone_page: Page, student_link, flow_exam: FlowExam, app_db: str
) -> None:
    wait = (flow_exam.window_end + GRACE - utcnow()).total_seconds() + 1
    if wait > 0:
        time.sleep(wait)
    outcome = run_sweep()
    assert outcome["released"] >= 1
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, flow_exam.exam_id)
        assert exam is not None and exam.status == ExamStatus.RELEASED
    student_id = student_id_of(TAKER)
    session = own_session(student_id, flow_exam.exam_id)
    assert session is not None and session.status == SessionStatus.RELEASED
    assert session.is_auto_submitted  # the taker never submitted: the deadline did
    results = get_session_results(student_id=student_id, session_id=session.id)

    errors = ConsoleErrors(phone_page)
    # The exam page of a released exam leads to the results.
    phone_page.goto(exam_link(student_link, TAKER, flow_exam.exam_id))
    phone_page.wait_for_url(f"**/app/results/{session.id}", timeout=20_000)
    wait_ready(phone_page, "results-ready")

    expect(phone_page.locator("#results-items [id^='item-']")).to_have_count(len(results.items))
    right = {i.label for i in results.items if i.is_correct}
    answered = {**ANSWERS_BEFORE_RELOAD, **ANSWERS_OFFLINE}
    assert right == {"1", "5", "33", "36a", "37b", "10", "11"}  # 2 → C, 40a → 41 are wrong
    for item in results.items:
        row = phone_page.locator(f"#item-{item.label}")
        if item.label in right:
            status = "right"
        elif item.label in answered:
            status = "wrong"
        else:
            status = "blank"
        expect(row).to_have_attribute("data-status", status)
        if item.label in answered:
            expect(row.locator(".item-answer")).to_have_text(answered[item.label])
    expect(phone_page.locator("#results-points")).to_have_text(
        re.compile(rf"{results.entry.points}\s*/\s*{results.entry.max_points}")
    )
    if results.entry.grade:  # a provisional result (few takers) shows none
        expect(phone_page.locator("#results-grade")).to_have_text(results.entry.grade)
    else:
        expect(phone_page.locator("#results-grade")).to_have_count(0)
    expect(phone_page.locator("#item-3 .lucide-flag")).to_have_count(1)
    expect(phone_page.locator("#results-auto-submitted")).to_be_visible()
    errors.assert_none()
