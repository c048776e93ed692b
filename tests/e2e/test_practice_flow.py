"""A light practice session end to end in a phone browser, against the production build.

1. From the dashboard's Practice tab a student starts a light session: six
   questions, one per topic, a 30-minute countdown from the server; they
   answer every question (options and free answers), some right and some
   wrong, reload half-way (answers intact, in the database), finish, and see
   their score, the per-topic chart and every question with its solution —
   all as the database has them. Their Elo rating and streak are untouched.
2. A second session whose clock runs out submits by itself.
3. A Russian student is given the bank's Russian questions, and keeps their place
   (issue 24): across a backend restart (every page state gone) and the page reload
   that follows a restart into a new version (the page reloads itself when the
   backend's state schema changed), the sheet opens at the question they were on;
   with the browser's storage cleared (another device), at the place the server
   kept; and a move the server missed is sent again.
"""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.models import (
    PracticeAnswer,
    PracticeQuestion,
    PracticeSession,
    Streak,
    StudentRating,
)
from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID
from tests.e2e.appserver import AppServer
from tests.e2e.test_exam_flow import wait_for
from tests.e2e.test_miniapp import ConsoleErrors, student_id_of, wait_ready

PRACTISER = DEMO_STUDENT_TELEGRAM_ID + 264  # a demo student who has not practised
PRACTISER_LATE = DEMO_STUDENT_TELEGRAM_ID + 266
PRACTISER_RU = DEMO_STUDENT_TELEGRAM_ID + 271  # a demo student in Russian (k % 3 == 1)


def _session(student_id: int) -> PracticeSession:
    with session_scope(readonly=True) as db:
        return db.exec(
            select(PracticeSession)
            .where(PracticeSession.student_id == student_id)
            .order_by(PracticeSession.id.desc())
        ).first()


def _key(practice_id: int) -> dict[str, tuple[str, str, list[str]]]:
    """label → (kind, stored value, accepted answers) of a session, from the database."""
    with session_scope(readonly=True) as db:
        rows = db.exec(
            select(PracticeAnswer, PracticeQuestion)
            .join(PracticeQuestion, PracticeQuestion.id == PracticeAnswer.question_id)
            .where(PracticeAnswer.practice_session_id == practice_id)
        ).all()
    return {str(a.position): (q.kind, a.value, list(q.accepted_answers)) for a, q in rows}


def _rating(student_id: int) -> tuple:
    with session_scope(readonly=True) as db:
        rating = db.get(StudentRating, student_id)
        streak = db.get(Streak, student_id)
        return (
            (rating.elo, rating.exams_rated) if rating else None,
            (streak.current, streak.longest) if streak else None,
        )


def _answer(page: Page, label: str, kind: str, value: str) -> None:
    if kind == "mcq":
        page.locator(f"#popt-{label}-{value}").tap()
        expect(page.locator(f"#popt-{label}-{value}")).to_have_attribute("aria-pressed", "true")
    else:
        page.locator(f"#pinput-{label}").fill(value)
        page.locator(f"#pinput-{label}").blur()
    expect(page.locator(f"#status-{label}")).to_have_attribute("data-status", "saved")


def _wrong(kind: str, accepted: list[str]) -> str:
    if kind == "mcq":
        return next(letter for letter in "ABCD" if letter != accepted[0])
    return "123456"


def test_a_light_practice_session_end_to_end(
    app_server: AppServer, phone_page: Page, app_db: str
) -> None:
    errors = ConsoleErrors(phone_page)
    student_id = student_id_of(PRACTISER)
    before = _rating(student_id)

    phone_page.goto(app_server.student_link(PRACTISER))
    wait_ready(phone_page, "dashboard-ready")
    phone_page.locator("#tab-practice").tap()
    wait_ready(phone_page, "practice-ready")
    expect(phone_page.locator("#practice-history-empty")).to_be_visible()
    phone_page.locator("#start-light").tap()

    expect(phone_page.locator("#practice-sheet")).to_be_visible(timeout=20_000)
    practice = wait_for(lambda: _session(student_id), what="the practice session")
    key = _key(practice.id)
    assert sorted(key, key=int) == ["1", "2", "3", "4", "5", "6"]
    expect(phone_page.locator("#question-position")).to_have_text("1 / 6")
    countdown = phone_page.locator("#practice-countdown").inner_text()
    assert countdown.strip().startswith(("30:", "29:")), countdown
    # Math is typeset by KaTeX: no "$" of the Markdown source is left on the page.
    with session_scope(readonly=True) as db:
        sources = {
            str(a.position): q.text
            for a, q in db.exec(
                select(PracticeAnswer, PracticeQuestion)
                .join(PracticeQuestion, PracticeQuestion.id == PracticeAnswer.question_id)
                .where(PracticeAnswer.practice_session_id == practice.id)
            ).all()
        }

    # Right answers to the odd positions, wrong ones to the even positions.
    given: dict[str, str] = {}
    for position in range(1, 7):
        label = str(position)
        kind, _, accepted = key[label]
        expect(phone_page.locator(f"#pq-{label}")).to_have_attribute("data-kind", kind)
        shown = phone_page.locator(f"#ptext-{label}")
        assert "$" not in shown.inner_text()
        if "$" in sources[label]:
            expect(shown.locator(".katex").first).to_be_attached()
        value = accepted[0] if position % 2 else _wrong(kind, accepted)
        _answer(phone_page, label, kind, value)
        given[label] = value
        if position == 3:
            # Reload half-way: the session, its answers and the clock come back.
            phone_page.reload()
            expect(phone_page.locator("#practice-sheet")).to_be_visible(timeout=20_000)
            expect(phone_page.locator("#pnav-3")).to_have_attribute("data-answered", "true")
            phone_page.locator("#pnav-4").tap()
            continue
        if position < 6:
            phone_page.locator("#practice-next").tap()
    wait_for(lambda: all(_key(practice.id)[label][1] for label in given), what="all answers stored")
    stored = _key(practice.id)
    for label, value in given.items():
        assert stored[label][1].upper() == value.upper()

    phone_page.locator("#practice-finish").tap()
    expect(phone_page.locator("#submit-dialog")).to_be_visible()
    phone_page.locator("#submit-confirm").tap()
    wait_ready(phone_page, "practice-results-ready")

    done = _session(student_id)
    assert done.submitted_at is not None and not done.is_auto_submitted
    assert (done.score, done.total) == (3, 6)
    expect(phone_page.locator("#practice-score")).to_have_text("3")
    expect(phone_page.locator("#practice-percent")).to_have_text("50%")
    expect(phone_page.locator("#topic-chart .main-svg").first).to_be_attached()
    for label in given:
        card = phone_page.locator(f"#review-{label}")
        expect(card).to_have_attribute("data-correct", "true" if int(label) % 2 else "false")
    expect(phone_page.locator(".review-card")).to_have_count(6)
    assert phone_page.get_by_text("Yechim").count() >= 1  # the solutions are shown

    # Back on the hub: the history has it.
    phone_page.locator("#practice-again").tap()
    wait_ready(phone_page, "practice-ready")
    expect(phone_page.locator(".practice-history-row")).to_have_count(1)
    expect(phone_page.locator("#practice-accuracy")).to_have_text("50%")

    assert _rating(student_id) == before  # Elo and streaks untouched
    errors.assert_none()


def test_a_practice_session_submits_itself_when_the_clock_runs_out(
    app_server: AppServer, phone_page: Page, app_db: str
) -> None:
    errors = ConsoleErrors(phone_page)
    student_id = student_id_of(PRACTISER_LATE)
    phone_page.goto(app_server.student_link(PRACTISER_LATE, "/practice"))
    wait_ready(phone_page, "practice-ready")
    phone_page.locator("#start-light").tap()
    expect(phone_page.locator("#practice-sheet")).to_be_visible(timeout=20_000)
    practice = wait_for(lambda: _session(student_id), what="the practice session")
    kind, _, accepted = _key(practice.id)["1"]
    _answer(phone_page, "1", kind, accepted[0])

    # Five seconds left on the clock (the deadline carries the 30-second grace).
    with session_scope() as db:
        db.execute(
            update(PracticeSession)
            .where(PracticeSession.id == practice.id)
            .values(deadline=utcnow() + timedelta(seconds=35))
        )
    phone_page.reload()
    expect(phone_page.locator("#practice-sheet")).to_be_visible(timeout=20_000)
    wait_ready(phone_page, "practice-results-ready", timeout_ms=40_000)
    expect(phone_page.locator("#practice-auto-submitted")).to_be_visible()
    done = _session(student_id)
    assert done.is_auto_submitted and done.score == 1
    errors.assert_none()


def _languages(practice_id: int) -> list[str]:
    with session_scope(readonly=True) as db:
        return list(
            db.exec(
                select(PracticeQuestion.language)
                .join(PracticeAnswer, PracticeAnswer.question_id == PracticeQuestion.id)
                .where(PracticeAnswer.practice_session_id == practice_id)
            ).all()
        )


def _place(practice_id: int) -> int:
    with session_scope(readonly=True) as db:
        return db.get(PracticeSession, practice_id).current_position


def test_a_russian_student_keeps_their_place_across_a_backend_restart(
    app_server: AppServer, phone_page: Page, app_db: str
) -> None:
    errors = ConsoleErrors(phone_page)
    student_id = student_id_of(PRACTISER_RU)
    phone_page.goto(app_server.student_link(PRACTISER_RU, "/practice"))
    wait_ready(phone_page, "practice-ready")
    phone_page.locator("#start-light").tap()
    expect(phone_page.locator("#practice-sheet")).to_be_visible(timeout=20_000)
    practice = wait_for(lambda: _session(student_id), what="the practice session")
    # The demo bank has Russian questions in every topic: a light session is all Russian.
    assert _languages(practice.id) == ["ru"] * 6

    for position in range(2, 5):  # each tap lands before the next (a quick third was lost once)
        phone_page.locator("#practice-next").tap()
        expect(phone_page.locator("#question-position")).to_have_text(f"{position} / 6")
    wait_for(lambda: _place(practice.id) == 4, what="the place stored on the server")
    errors.assert_none()

    # A backend restart: the page reconnects to a backend that knows nothing of it.
    app_server.stop()
    app_server.start()
    expect(phone_page.locator("#practice-sheet")).to_be_visible(timeout=60_000)
    expect(phone_page.locator("#question-position")).to_have_text("4 / 6", timeout=30_000)
    expect(phone_page.locator("#pnav-4")).to_have_attribute("aria-current", "step")
    errors.messages.clear()  # the refused connections while it was down
    # A restart into a new version reloads the page (as does reopening the Mini App):
    # the sheet is built anew, and still opens at the student's place.
    phone_page.reload()
    expect(phone_page.locator("#practice-sheet")).to_be_visible(timeout=20_000)
    expect(phone_page.locator("#question-position")).to_have_text("4 / 6")

    # Another device (nothing in this browser's storage): the server's place.
    phone_page.locator("#pnav-5").tap()
    wait_for(lambda: _place(practice.id) == 5, what="the new place stored")
    phone_page.evaluate("window.localStorage.clear()")
    phone_page.reload()
    expect(phone_page.locator("#practice-sheet")).to_be_visible(timeout=20_000)
    expect(phone_page.locator("#question-position")).to_have_text("5 / 6")

    # A move the server missed (made while it was away): this browser's place wins and
    # the server hears of it.
    key = f"mockexam:place:p{practice.id}"
    phone_page.evaluate(f"window.localStorage.setItem({key!r}, '2')")
    phone_page.reload()
    expect(phone_page.locator("#practice-sheet")).to_be_visible(timeout=20_000)
    expect(phone_page.locator("#question-position")).to_have_text("2 / 6")
    wait_for(lambda: _place(practice.id) == 2, what="the missed move sent again")

    # Finished: the place is forgotten with the answers.
    phone_page.locator("#practice-finish-early").tap()
    phone_page.locator("#submit-confirm").tap()
    wait_ready(phone_page, "practice-results-ready")
    assert phone_page.evaluate(f"window.localStorage.getItem({key!r})") is None
    errors.assert_none()
