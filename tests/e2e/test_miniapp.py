"""The student Mini App in a phone browser: sign-in, the dashboard's figures against the
database, languages, history, leaderboard, achievements and one exam's results.

Every figure the page shows is compared with what the services compute from
the app's own database for the same student. Helpers used by the other
browser tests (`ConsoleErrors`, `figure`, `wait_ready`) live here too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, expect
from sqlmodel import select

from mockexam.db import session_scope
from mockexam.gamification.leaderboard import Board
from mockexam.models import ExamSession, Student
from mockexam.services.achievements import get_achievements
from mockexam.services.dashboard import get_dashboard
from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID
from mockexam.services.history import get_elo_series, get_history, get_session_results
from mockexam.services.leaderboard import get_leaderboard
from mockexam.telegram.webapp_link import student_link as signed_link
from mockexam.ui.telegram import INIT_DATA_STORAGE_KEY
from tests.e2e.appserver import AppServer

RELEASED_EXAM_ID = 1  # the demo's released exam (mockexam/services/demo.py)

# Texts that only one language has (the tab bar and page headings).
TAB_LABELS = {
    "uz": ("Bosh sahifa", "Tarix", "Yutuqlar", "Reyting"),
    "ru": ("Главная", "История", "Награды", "Рейтинг"),
    "en": ("Home", "History", "Awards", "Ranking"),
}


# --- helpers shared by the browser tests ---------------------------------------------------


class ConsoleErrors:
    """Console errors and uncaught exceptions of one page, collected as they happen."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))
        page.on("response", self._response)

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.messages.append(f"HTTP {response.status}: {response.url}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append(f"console: {message.text} at {message.location}")

    def assert_none(self) -> None:
        assert self.messages == [], "\n".join(self.messages)


def figure(text: str, lang: str) -> float:
    """A number as `LocalNumber` shows it in `lang` ("12,3" in uz/ru, "1,234.5" in en)."""
    compact = re.sub(r"[\s\u00a0\u202f]", "", text).replace("\u2212", "-")
    compact = compact.replace(",", "") if lang == "en" else compact.replace(",", ".")
    return float(compact)


def wait_ready(page: Page, ready_id: str, timeout_ms: float = 30_000) -> None:
    """Wait for a page's `#<ready_id>` marker (rendered once its data is in)."""
    page.locator(f"#{ready_id}").wait_for(state="attached", timeout=timeout_ms)


def student_id_of(telegram_id: int) -> int:
    with session_scope(readonly=True) as db:
        student = db.exec(select(Student).where(Student.telegram_id == telegram_id)).one()
        assert student.id is not None
        return student.id


def tab_labels(page: Page) -> tuple[str, ...]:
    return tuple(
        page.locator(f"#tab-{key}").inner_text().strip()
        for key in ("home", "history", "awards", "ranking")
    )


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def demo_student(app_db: str) -> Iterator[int]:
    """The demo student's id; their language is back to Uzbek afterwards."""
    student_id = student_id_of(DEMO_STUDENT_TELEGRAM_ID)
    yield student_id
    with session_scope() as db:
        student = db.get(Student, student_id)
        assert student is not None
        student.language_code = "uz"
        db.add(student)


def demo_session_id(student_id: int, exam_id: int = RELEASED_EXAM_ID) -> int:
    with session_scope(readonly=True) as db:
        row = db.exec(
            select(ExamSession.id).where(
                ExamSession.student_id == student_id, ExamSession.exam_id == exam_id
            )
        ).one()
        return int(row)


# --- sign-in -----------------------------------------------------------------------------------


def test_miniapp_dashboard_shows_the_students_figures_from_the_database(
    app_server: AppServer, phone_page: Page, student_link, demo_student: int
) -> None:
    errors = ConsoleErrors(phone_page)
    phone_page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID))
    wait_ready(phone_page, "dashboard-ready")
    board = get_dashboard(student_id=demo_student)

    assert board.latest is not None and board.latest.scaled_score is not None
    expect(phone_page.locator("#student-name")).to_have_text(board.name)
    expect(phone_page.locator("#web-sign-out")).to_be_hidden()  # Telegram is the sign-in
    assert figure(phone_page.locator("#scaled-score").inner_text(), "uz") == round(
        board.latest.scaled_score, 1
    )
    expect(phone_page.locator("#grade")).to_have_text(board.latest.grade or "")
    assert board.elo is not None
    assert figure(phone_page.locator("#elo").inner_text(), "uz") == round(board.elo)
    expect(phone_page.locator("#exams-taken")).to_have_text(str(board.exams_taken))
    expect(phone_page.locator("#current-streak")).to_have_text(str(board.current_streak))
    expect(phone_page.locator("#longest-streak")).to_have_text(str(board.longest_streak))
    assert board.exam is not None
    expect(phone_page.locator("#exam-title")).to_have_text(board.exam.title)
    assert board.exams_taken >= 1
    assert tab_labels(phone_page) == TAB_LABELS["uz"]
    errors.assert_none()


def test_miniapp_pages_scroll_on_a_phone(
    app_server: AppServer, phone_page: Page, student_link, demo_student: int
) -> None:
    phone_page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID))
    wait_ready(phone_page, "dashboard-ready")
    awards = phone_page.locator("#recent-awards")
    expect(awards).not_to_be_in_viewport(ratio=1)

    phone_page.mouse.move(195, 420)
    phone_page.mouse.wheel(0, 3000)

    expect(awards).to_be_in_viewport(ratio=1)
    assert phone_page.evaluate("window.scrollY") > 0


def test_miniapp_another_student_sees_their_own_figures(
    app_server: AppServer, phone_page: Page, student_link, app_db: str
) -> None:
    telegram_id = DEMO_STUDENT_TELEGRAM_ID + 1  # a Russian speaker in the demo cohort
    student_id = student_id_of(telegram_id)
    phone_page.goto(student_link(telegram_id))
    wait_ready(phone_page, "dashboard-ready")
    board = get_dashboard(student_id=student_id)

    expect(phone_page.locator("#student-name")).to_have_text(board.name)
    expect(phone_page.locator("#exams-taken")).to_have_text(str(board.exams_taken))
    if board.elo is not None:
        assert figure(phone_page.locator("#elo").inner_text(), "ru") == round(board.elo)
    assert tab_labels(phone_page) == TAB_LABELS["ru"]


@pytest.mark.parametrize(
    "forge",
    ["wrong_token", "tampered_user", "tampered_hash", "no_fragment"],
)
def test_miniapp_forged_link_shows_sign_in_required_and_no_data(
    app_server: AppServer, phone_page: Page, student_link, forge: str
) -> None:
    good = student_link(DEMO_STUDENT_TELEGRAM_ID)
    if forge == "wrong_token":
        link = signed_link(
            DEMO_STUDENT_TELEGRAM_ID,
            base_url=app_server.webapp_url,
            bot_token="123456:not-the-apps-token",
        )
    elif forge == "tampered_user":  # another student's id in the signed user field
        link = good.replace(str(DEMO_STUDENT_TELEGRAM_ID), str(DEMO_STUDENT_TELEGRAM_ID + 5))
        assert link != good
    elif forge == "tampered_hash":
        link = re.sub(r"(hash%3D)([0-9a-f])", lambda m: m[1] + "0f"[m[2] == "0"], good)
        assert link != good
    else:
        link = good.split("#", 1)[0]

    phone_page.goto(link)

    expect(phone_page.locator("#signin-required")).to_be_visible()
    for data_id in ("student-name", "scaled-score", "elo", "exam-card", "dashboard-ready"):
        expect(phone_page.locator(f"#{data_id}")).to_have_count(0)
    expect(phone_page.locator("#tab-home")).to_have_count(0)
    body = phone_page.locator("body").inner_text()
    assert "Aziz" not in body  # the demo student's name
    assert "Weekly mock" not in body


def test_miniapp_forged_link_on_an_inner_page_shows_no_results(
    app_server: AppServer, phone_page: Page, student_link, demo_student: int
) -> None:
    session_id = demo_session_id(demo_student)
    good = student_link(DEMO_STUDENT_TELEGRAM_ID, f"/results/{session_id}")
    phone_page.goto(good.replace(str(DEMO_STUDENT_TELEGRAM_ID), str(DEMO_STUDENT_TELEGRAM_ID + 7)))

    expect(phone_page.locator("#signin-required")).to_be_visible()
    expect(phone_page.locator("[id^='item-']")).to_have_count(0)
    expect(phone_page.locator("#results-summary")).to_have_count(0)


class InitDataScripts:
    """How often the server asked this page for its initData (INIT_DATA_JS, a round trip)."""

    def __init__(self, page: Page) -> None:
        self.count = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: str | bytes) -> None:
        if INIT_DATA_STORAGE_KEY in str(payload):
            self.count += 1


def _session_storage(page: Page, key: str) -> str | None:
    return page.evaluate("(key) => window.sessionStorage.getItem(key)", key)


def test_miniapp_launch_signs_in_on_the_server_without_asking_the_browser(
    app_server: AppServer, phone_page: Page, student_link, demo_student: int
) -> None:
    """The launch hash reaches the server with the on_load: no INIT_DATA_JS round trip on
    the launch, on in-app navigation or on a reload; the tab still gets its credential."""
    errors = ConsoleErrors(phone_page)
    scripts = InitDataScripts(phone_page)
    phone_page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID))
    wait_ready(phone_page, "dashboard-ready")
    expect(phone_page.locator("#student-name")).to_be_visible()
    credential = _session_storage(phone_page, "mockexam_session")
    assert credential is not None and credential.startswith("mx2.")
    phone_page.locator("#tab-history").click()  # in-app navigation: the hash is gone
    wait_ready(phone_page, "history-ready")
    assert "#" not in phone_page.url
    phone_page.reload()
    wait_ready(phone_page, "history-ready")
    assert scripts.count == 0
    # The tab knows it was opened by Telegram (the sign-out check keeps the launch's
    # initData, as the sign-in script would have): no web "Sign out" inside Telegram.
    assert _session_storage(phone_page, INIT_DATA_STORAGE_KEY)
    phone_page.locator("#tab-home").click()
    wait_ready(phone_page, "dashboard-ready")
    phone_page.wait_for_timeout(3000)  # the check looks again at 0.8 and 2.5 s
    expect(phone_page.locator("#web-sign-out")).to_be_hidden()
    errors.assert_none()


def test_miniapp_stale_launch_hash_is_left_to_the_script_and_signs_nobody_in(
    app_server: AppServer, phone_page: Page
) -> None:
    scripts = InitDataScripts(phone_page)
    stale = signed_link(
        DEMO_STUDENT_TELEGRAM_ID,
        base_url=app_server.webapp_url,
        bot_token=app_server.bot_token,
        auth_date=int(time.time()) - 25 * 3600,
    )
    phone_page.goto(stale)
    expect(phone_page.locator("#signin-required")).to_be_visible()
    expect(phone_page.locator("#student-name")).to_have_count(0)
    assert scripts.count >= 1
    assert _session_storage(phone_page, INIT_DATA_STORAGE_KEY)  # the script ran and kept it


# --- languages -----------------------------------------------------------------------------------


def test_miniapp_language_switch_changes_the_texts_and_persists(
    app_server: AppServer, browser, phone_page: Page, student_link, demo_student: int
) -> None:
    link = student_link(DEMO_STUDENT_TELEGRAM_ID)
    phone_page.goto(link)
    wait_ready(phone_page, "dashboard-ready")
    assert tab_labels(phone_page) == TAB_LABELS["uz"]

    for lang in ("ru", "en"):
        phone_page.locator(f"#lang-{lang}").click()
        expect(phone_page.locator("#tab-home")).to_have_text(TAB_LABELS[lang][0])
        assert tab_labels(phone_page) == TAB_LABELS[lang]
    with session_scope(readonly=True) as db:
        assert db.get(Student, demo_student).language_code == "en"  # type: ignore[union-attr]

    phone_page.reload()
    wait_ready(phone_page, "dashboard-ready")
    assert tab_labels(phone_page) == TAB_LABELS["en"]

    # A new Telegram launch (fresh browser, new initData) keeps the stored choice.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        fresh = context.new_page()
        fresh.goto(student_link(DEMO_STUDENT_TELEGRAM_ID))
        wait_ready(fresh, "dashboard-ready")
        assert tab_labels(fresh) == TAB_LABELS["en"]
        fresh.goto(student_link(DEMO_STUDENT_TELEGRAM_ID, "/history"))
        wait_ready(fresh, "history-ready")
        expect(fresh.get_by_role("heading", name="Exam history")).to_be_visible()
    finally:
        context.close()

    phone_page.locator("#lang-uz").click()
    expect(phone_page.locator("#tab-home")).to_have_text(TAB_LABELS["uz"][0])
    with session_scope(readonly=True) as db:
        assert db.get(Student, demo_student).language_code == "uz"  # type: ignore[union-attr]


# --- history, leaderboard, achievements ---------------------------------------------------------


def test_miniapp_history_lists_the_released_exam_with_the_elo_chart(
    app_server: AppServer, phone_page: Page, student_link, demo_student: int
) -> None:
    errors = ConsoleErrors(phone_page)
    phone_page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID, "/history"))
    wait_ready(phone_page, "history-ready")
    entries = get_history(student_id=demo_student)
    series = get_elo_series(student_id=demo_student)

    rows = phone_page.locator("[id^='history-row-']")
    expect(rows).to_have_count(len(entries))
    released = next(e for e in entries if e.exam_id == RELEASED_EXAM_ID)
    row = phone_page.locator(f"#history-row-{released.session_id}")
    expect(row).to_contain_text(released.exam_title)
    expect(row).to_contain_text(f"{released.points}/{released.max_points}")
    expect(row).to_have_attribute("href", f"/app/results/{released.session_id}")
    assert series.current is not None
    assert figure(phone_page.locator("#history-elo-now").inner_text(), "uz") == round(
        series.current
    )
    chart = phone_page.locator("#elo-chart")
    expect(chart).to_be_visible()
    expect(chart.locator(".main-svg").first).to_be_attached()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150

    row.click()
    phone_page.wait_for_url(f"**/app/results/{released.session_id}")
    wait_ready(phone_page, "results-ready")
    errors.assert_none()


def _own_rank_text(rank: int, total: int) -> str:
    return f"{total} tadan #{rank}"


def test_miniapp_leaderboard_tabs_switch_and_pin_the_own_rank(
    app_server: AppServer, phone_page: Page, student_link, demo_student: int
) -> None:
    errors = ConsoleErrors(phone_page)
    phone_page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID, "/leaderboard"))
    wait_ready(phone_page, "leaderboard-ready")

    for board in (Board.TOP_RATED, Board.MOST_ACTIVE, Board.MOST_IMPROVED, Board.TOP_RATED):
        phone_page.locator(f"#board-{board.value}").click()
        expected = get_leaderboard(student_id=demo_student, board=board)
        expect(phone_page.locator(f"#board-{board.value}")).to_have_attribute("data-state", "on")
        rows = phone_page.locator("#leaderboard-rows .rank-row")
        expect(rows).to_have_count(len(expected.rows))
        expect(rows.first).to_contain_text(expected.rows[0].name)
        assert expected.you is not None
        expect(phone_page.locator("#own-rank-text")).to_have_text(
            _own_rank_text(expected.you.rank, expected.total)
        )
        own = phone_page.locator("#own-rank")
        expect(own).to_be_in_viewport()
        in_top = any(r.is_you for r in expected.rows)
        expect(own).to_have_attribute("data-in-top", "true" if in_top else "false")
        expect(phone_page.locator("#leaderboard-rows .rank-row.you")).to_have_count(int(in_top))

    # Pinned: still on screen after scrolling to the bottom of the list.
    phone_page.mouse.wheel(0, 20_000)
    expect(phone_page.locator("#own-rank")).to_be_in_viewport()
    errors.assert_none()


def test_miniapp_achievements_show_earned_and_locked_with_progress(
    app_server: AppServer, phone_page: Page, student_link, demo_student: int
) -> None:
    errors = ConsoleErrors(phone_page)
    phone_page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID, "/achievements"))
    wait_ready(phone_page, "achievements-ready")
    overview = get_achievements(student_id=demo_student)

    expect(phone_page.locator("#awards-count")).to_have_text(
        f"{overview.total} tadan {len(overview.earned)}"
    )
    expect(phone_page.locator(".award.earned")).to_have_count(len(overview.earned))
    expect(phone_page.locator(".award.locked")).to_have_count(len(overview.locked))
    for award in overview.earned:
        expect(phone_page.locator(f"#award-{award.code}")).to_have_class(re.compile("earned"))
    for locked in overview.locked:
        row = phone_page.locator(f"#award-{locked.code}")
        expect(row).to_contain_text(f"{int(locked.value)} / {int(locked.threshold)}")
        expect(row.get_by_role("progressbar")).to_be_attached()
    assert overview.earned or overview.locked
    errors.assert_none()


# --- results ---------------------------------------------------------------------------------------


def test_miniapp_results_review_every_item_of_the_released_exam(
    app_server: AppServer, phone_page: Page, student_link, demo_student: int
) -> None:
    errors = ConsoleErrors(phone_page)
    session_id = demo_session_id(demo_student)
    phone_page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID, f"/results/{session_id}"))
    wait_ready(phone_page, "results-ready")
    results = get_session_results(student_id=demo_student, session_id=session_id)
    entry = results.entry

    rows = phone_page.locator("#results-items [id^='item-']")
    expect(rows).to_have_count(len(results.items))
    for item in results.items:
        row = phone_page.locator(f"#item-{item.label}")
        status = (
            "excluded"
            if item.is_excluded
            else "blank"
            if item.answer is None
            else "right"
            if item.is_correct
            else "wrong"
        )
        expect(row).to_have_attribute("data-status", status)
        if item.answer is not None:
            expect(row.locator(".item-answer")).to_have_text(item.answer)
        expect(row.locator(".item-correct")).to_contain_text(item.accepted_answers[0])
    expect(phone_page.locator("#results-points")).to_have_text(
        re.compile(rf"{entry.points}\s*/\s*{entry.max_points}")
    )
    assert entry.scaled_score is not None
    assert figure(phone_page.locator("#results-scaled").inner_text(), "uz") == round(
        entry.scaled_score, 1
    )
    expect(phone_page.locator("#results-grade")).to_have_text(entry.grade or "")

    # The "wrong" filter leaves only the wrong answers on screen.
    wrong = sum(1 for r in results.items if r.answer is not None and r.is_correct is False)
    phone_page.locator("#filter-wrong").click()
    expect(phone_page.locator("#results-items [data-status='wrong']:visible")).to_have_count(wrong)
    expect(phone_page.locator("#results-items [data-status='right']:visible")).to_have_count(0)
    errors.assert_none()


def test_miniapp_results_of_another_students_session_are_not_found(
    app_server: AppServer, phone_page: Page, student_link, demo_student: int
) -> None:
    other = demo_session_id(student_id_of(DEMO_STUDENT_TELEGRAM_ID + 3))
    phone_page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID, f"/results/{other}"))

    expect(phone_page.locator("#results-not-found")).to_be_visible()
    expect(phone_page.locator("[id^='item-']")).to_have_count(0)
    expect(phone_page.locator("#results-summary")).to_have_count(0)
