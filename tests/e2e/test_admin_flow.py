"""The admin panel in a desktop browser, on the production build.

One admin week: log in, create an exam, upload its paper, paste a key with one
bad line (the error names the line and nothing is saved), fix it, publish,
press Notify and watch the live progress reach 100% while a sender delivers
to the fake Telegram Bot API (this process plays the Huey worker; the app
has no bot token), reload and still see the report. Then the seeded released
exam: item analysis and analytics with their Plotly charts drawn, and the
results CSV downloaded (a link to the backend's export route) and checked
row by row against the database.

With MOCKEXAM_SCREENSHOTS=1 each admin page is saved as
docs/screenshots/admin-<page>.png (1440 px wide, the whole page).
"""

from __future__ import annotations

import csv
import os
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func
from sqlmodel import col, select

from mockexam.admin.auth import TOKEN_COOKIE
from mockexam.config import PROJECT_ROOT, settings
from mockexam.db import session_scope, utcnow
from mockexam.models import (
    AuditLog,
    Broadcast,
    Exam,
    ExamSession,
    ExamStatus,
    PracticeQuestion,
    Student,
)
from mockexam.scoring.points import points_number
from mockexam.services import broadcasts as broadcast_service
from mockexam.services import exams as exam_service
from mockexam.services import practice_bank
from mockexam.services.analytics import analytics_totals
from mockexam.services.demo import DEMO_ADMIN_USERNAME, demo_admin_password
from mockexam.telegram.messages import DISPLAY_TZ
from tests.e2e.appserver import AppServer
from tests.e2e.test_exam_flow import wait_for
from tests.e2e.test_miniapp import RELEASED_EXAM_ID, ConsoleErrors
from tests.factories import DEFAULT_KEY_TEXT
from tests.telegram.fake_bot_api import FakeBotAPI

SCREENSHOT_DIR = PROJECT_ROOT / "docs" / "screenshots"
SAVE = os.environ.get("MOCKEXAM_SCREENSHOTS", "") == "1"
DESKTOP = {"width": 1440, "height": 900}
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PLOTS = 30_000  # ms for Plotly (loaded on demand) to draw
WAIT = 20_000  # ms for a server round trip on a busy two-core machine


def shot(page: Page, name: str) -> None:
    """Save the whole admin page as docs/screenshots/admin-<name>.png (MOCKEXAM_SCREENSHOTS=1).

    The window is made as tall as the page first, so the sticky sidebar spans it.
    """
    if not SAVE:
        return
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    height = page.evaluate(
        "() => Math.ceil(document.querySelector('#admin-root').getBoundingClientRect().height)"
    )
    page.set_viewport_size({"width": DESKTOP["width"], "height": max(DESKTOP["height"], height)})
    page.wait_for_timeout(600)  # charts follow the new size
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"admin-{name}.png"))
    page.set_viewport_size(DESKTOP)


@pytest.fixture(autouse=True)
def _patient_expect() -> Iterator[None]:
    """Server round trips here may take longer than Playwright's default 5 s."""
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def desktop_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def admin_page(desktop_page: Page, app_server: AppServer) -> Page:
    """Signed in as the demo admin (the login page is where an anonymous visit lands)."""
    page = desktop_page
    page.goto(app_server.base_url + "/admin")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin$"))
    if SAVE:
        page.fill("#username", DEMO_ADMIN_USERNAME)
        page.screenshot(path=str(SCREENSHOT_DIR / "admin-login.png"))
    page.fill("#username", DEMO_ADMIN_USERNAME)
    page.fill("#password", demo_admin_password())
    page.click("#login-submit")
    # A full page load (the login route's 303): the static server adds the slash.
    expect(page).to_have_url(re.compile(re.escape(app_server.base_url) + r"/admin/?$"))
    expect(page.locator("#admin-name")).to_have_text(DEMO_ADMIN_USERNAME)
    return page


def test_admin_login_refuses_a_wrong_password(desktop_page: Page, app_server: AppServer):
    page = desktop_page
    page.goto(app_server.base_url + "/admin/login")
    page.fill("#username", DEMO_ADMIN_USERNAME)
    page.fill("#password", "not the password")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_contain_text("Wrong username or password")
    page.goto(app_server.base_url + "/admin/audit")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin/audit$"))


def test_admin_session_cookie_is_out_of_reach_of_page_scripts(
    admin_page: Page, app_server: AppServer
):
    """Signed in by the login route: the page's scripts cannot see the token, a reload
    keeps the session (the websocket handshake carries the cookie), sign-out ends it."""
    page = admin_page
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies[TOKEN_COOKIE]
    assert session["httpOnly"] is True and session["sameSite"] == "Strict"
    assert session["path"] == "/"
    assert session["value"] not in page.evaluate("() => document.cookie")
    assert TOKEN_COOKIE not in page.evaluate("() => document.cookie")

    page.reload()
    expect(page.locator("#admin-name")).to_have_text(DEMO_ADMIN_USERNAME)

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    # The logout route cleared the cookie itself (a websocket handler cannot).
    assert TOKEN_COOKIE not in {c["name"] for c in page.context.cookies()}
    page.goto(app_server.base_url + "/admin/audit")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin/audit$"))


def _local(moment) -> str:
    return moment.astimezone(DISPLAY_TZ).strftime("%Y-%m-%dT%H:%M")


def _keys(exam_id: int) -> dict[str, list[str]]:
    with session_scope(readonly=True) as db:
        return {i.label: list(i.accepted_answers) for i in exam_service.get_items(db, exam_id)}


def _send_as_the_worker(fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> threading.Thread:
    """The Huey worker's job, from this process: deliver pending broadcasts to the fake API."""
    monkeypatch.setattr(settings, "telegram_bot_token", fake.token)
    monkeypatch.setattr(settings, "telegram_api_base_url", fake.base_url)
    monkeypatch.setattr(settings, "telegram_channel_id", None)
    monkeypatch.setattr(settings, "telegram_bot_username", None)
    monkeypatch.setattr(settings, "webapp_url", "https://mockexam.example/app")
    thread = threading.Thread(
        target=lambda: broadcast_service.deliver_pending(rate=60.0), daemon=True
    )
    thread.start()
    return thread


def test_admin_creates_keys_publishes_and_notifies_an_exam(
    admin_page: Page,
    app_server: AppServer,
    app_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    page = admin_page
    errors = ConsoleErrors(page)
    base = app_server.base_url
    expect(page.locator("#exams-table")).to_be_visible()
    shot(page, "exams")

    # --- create -------------------------------------------------------------
    page.click("#new-exam")
    expect(page).to_have_url(base + "/admin/exams/new")
    start = (utcnow() + timedelta(days=40)).replace(second=0, microsecond=0)
    page.fill("#exam-title", "Browser mock — Mathematics")
    page.fill("#exam-window-start", _local(start))
    page.fill("#exam-window-end", _local(start + timedelta(hours=6)))
    page.fill("#exam-duration", "120")
    shot(page, "new-exam")
    page.click("#new-exam-create")
    expect(page).to_have_url(re.compile(r"/admin/exams/\d+$"))
    exam_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#page-title")).to_have_text("Browser mock — Mathematics")
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, exam_id)
        assert exam.status == ExamStatus.DRAFT and exam.duration_minutes == 120
        assert exam.window_start.replace(tzinfo=start.tzinfo) == start

    # --- question paper ------------------------------------------------------
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(PDF)
    page.set_input_files("#exam-pdf input[type=file]", str(paper))
    page.click("#exam-pdf-upload")
    expect(page.locator("#exam-pdf-path")).to_contain_text(f"papers/exam-{exam_id}-")
    shot(page, "exam-details")

    # --- the key: one bad line, nothing saved; fixed, saved ------------------
    page.click("#tab-key")
    bad = DEFAULT_KEY_TEXT.replace("37a 37", "37a ")  # line 4 has no answer
    page.fill("#key-paste", bad)
    page.click("#key-paste-save")
    expect(page.locator("#key-error")).to_contain_text("Nothing was saved")
    expect(page.locator("#key-paste-errors .paste-error")).to_have_count(1)
    expect(page.locator("#key-paste-errors .paste-error td").first).to_have_text("4")
    assert all(not answers for answers in _keys(exam_id).values())
    shot(page, "answer-key-error")
    page.fill("#key-paste", DEFAULT_KEY_TEXT)
    page.click("#key-paste-save")
    expect(page.locator("#key-notice")).to_contain_text("Saved the key for 55 items")
    expect(page.locator("#key-status")).to_have_text("key complete")
    assert _keys(exam_id)["1"] == ["A"] and _keys(exam_id)["36b"]
    shot(page, "answer-key")

    # --- publish -------------------------------------------------------------
    page.click("#exam-publish")
    expect(page.locator("#exam-notice")).to_contain_text("Published")
    with session_scope(readonly=True) as db:
        assert db.get(Exam, exam_id).status == ExamStatus.PUBLISHED
        reachable = db.exec(
            select(func.count()).select_from(Student).where(col(Student.is_reachable).is_(True))
        ).one()

    # --- notify, and the live progress --------------------------------------
    page.click("#tab-notify")
    page.click("#notify-new")
    expect(page.locator("#notify-progress")).to_be_visible()
    expect(page.locator("#broadcast-total")).to_have_text(str(reachable))
    with FakeBotAPI() as fake:
        sender = _send_as_the_worker(fake, monkeypatch)
        expect(page.locator("#broadcast-sent")).not_to_have_text("0", timeout=20_000)
        shot(page, "notify-progress")
        expect(page.locator("#broadcast-status")).to_have_text("done", timeout=60_000)
        sender.join(timeout=30)
        assert fake.message_count() == reachable and fake.duplicates() == {}
    expect(page.locator("#broadcast-fraction")).to_contain_text("(100")
    expect(page.locator("#broadcast-sent")).to_have_text(str(reachable))
    shot(page, "notify-done")

    # A reload reads the report again from the database.
    page.reload()
    page.click("#tab-notify")
    expect(page.locator("#broadcast-status")).to_have_text("done")
    expect(page.locator("#broadcast-sent")).to_have_text(str(reachable))
    with session_scope(readonly=True) as db:
        broadcast = db.exec(select(Broadcast).where(Broadcast.exam_id == exam_id)).one()
        assert broadcast.created_by_admin_id is not None

    page.goto(base + "/admin/audit")
    expect(page.locator("#audit-table")).to_contain_text("broadcast.create")
    expect(page.locator("#audit-table")).to_contain_text("key.import")
    shot(page, "audit")
    page.goto(base + "/admin/broadcasts")
    expect(page.locator("#broadcasts-table .broadcast-row").first).to_be_visible()
    shot(page, "broadcasts")
    errors.assert_none()

    # Leave the shared database as it was: the exam back to a draft.
    with session_scope() as db:
        exam_service.unpublish_exam(db, exam_id)


def test_admin_item_analysis_and_analytics_draw_their_charts(
    admin_page: Page, app_server: AppServer, app_db: str
):
    page = admin_page
    errors = ConsoleErrors(page)
    base = app_server.base_url

    page.goto(f"{base}/admin/exams/{RELEASED_EXAM_ID}/analysis")
    expect(page.locator("#items-table .item-row")).to_have_count(55)
    for plot in ("wright-map", "difficulty-facility", "fit-chart", "icc-chart", "options-chart"):
        expect(page.locator(f"#{plot} .main-svg").first).to_be_attached(timeout=PLOTS)
    expect(page.locator("#wright-map .bars .point").first).to_be_attached()
    expect(page.locator("#fit-chart .scatterlayer .point").first).to_be_attached()
    page.click("#items-table .item-row >> nth=40 >> a")  # a free-response item
    expect(page.locator("#chosen-item")).to_contain_text(re.compile(r"Item 3\d[ab]"))
    shot(page, "item-analysis")

    page.goto(base + "/admin/analytics")
    totals = analytics_totals()
    expect(page.locator("#total-students")).to_have_text(str(totals.students))
    expect(page.locator("#total-submitted")).to_have_text(str(totals.submitted_sessions))
    for plot in (
        "score-chart",
        "growth-chart",
        "retention-chart",
        "elo-chart",
        "participation-chart",
    ):
        expect(page.locator(f"#{plot} .main-svg").first).to_be_attached(timeout=PLOTS)
    expect(page.locator("#retention-chart .heatmaplayer").first).to_be_attached()
    expect(page.locator("#score-chart .bars .point").first).to_be_attached()
    shot(page, "analytics")

    page.goto(base + "/admin/students")
    expect(page.locator("#students-table .student-row")).to_have_count(50)
    shot(page, "students")
    errors.assert_none()


def test_admin_results_table_and_csv_download(
    admin_page: Page, app_server: AppServer, app_db: str, tmp_path: Path
):
    page = admin_page
    page.goto(f"{app_server.base_url}/admin/exams/{RELEASED_EXAM_ID}")
    page.click("#tab-results")
    with session_scope(readonly=True) as db:
        submitted = db.exec(
            select(func.count())
            .select_from(ExamSession)
            .where(
                ExamSession.exam_id == RELEASED_EXAM_ID,
                col(ExamSession.submitted_at).is_not(None),
            )
        ).one()
        best = points_number(
            db.exec(
                select(func.max(ExamSession.points)).where(ExamSession.exam_id == RELEASED_EXAM_ID)
            ).one()
        )
    expect(page.locator("#results-total")).to_have_text(f"{submitted} submitted")
    expect(page.locator("#results-table .result-row")).to_have_count(min(submitted, 50))
    expect(page.locator("#results-table .result-row td").nth(2)).to_have_text(
        re.compile(rf"^{best}/55$")
    )
    shot(page, "results")

    page.click("#export-menu")
    href = page.locator("#export-results-csv").get_attribute("href") or ""
    with page.expect_download() as info:
        page.click("#export-results-csv")
    download = info.value
    assert download.suggested_filename == f"exam-{RELEASED_EXAM_ID}-results.csv"
    path = tmp_path / "results.csv"
    download.save_as(path)
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:5] == ["rank", "student_id", "telegram_id", "name", "username"]
    assert len(rows) == submitted + 1
    assert float(rows[1][rows[0].index("points")]) == best
    with session_scope(readonly=True) as db:
        student_ids = set(
            db.exec(
                select(ExamSession.student_id).where(
                    ExamSession.exam_id == RELEASED_EXAM_ID,
                    col(ExamSession.submitted_at).is_not(None),
                )
            )
        )
    assert {int(r[1]) for r in rows[1:]} == student_ids
    # The file came over the export route (HTTP, the admin's cookie), which audits it.
    assert href.endswith(f"/admin/api/exams/{RELEASED_EXAM_ID}/export/results.csv")
    with session_scope(readonly=True) as db:
        exports = db.exec(
            select(AuditLog.details).where(
                AuditLog.action == "exam.export", AuditLog.entity_id == RELEASED_EXAM_ID
            )
        ).all()
    assert {"file": "results.csv"} in exports


def test_admin_sees_the_scale_and_the_copying_evidence_of_the_demo_exam(
    admin_page: Page, app_server: AppServer, app_db: str, tmp_path: Path
):
    """The demo's released exam defined the item bank's scale, and two of its takers
    worked together (services/demo.py): the page says both, and the pairs download."""
    page = admin_page
    page.goto(f"{app_server.base_url}/admin/exams/{RELEASED_EXAM_ID}")
    page.locator("#open-integrity").click()
    expect(page).to_have_url(re.compile(rf"/admin/exams/{RELEASED_EXAM_ID}/integrity$"))
    expect(page.locator("#link-status")).to_have_attribute("data-status", "origin")
    rows = page.locator("#copying-table .copying-pair")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(re.compile(r"5\d / \d+\.\d"))
    shot(page, "integrity")
    with page.expect_download() as download:
        page.locator("#copying-export").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("p_value,matches,expected,identical_wrong")
    assert len(lines) == 2


def test_admin_practice_bank_shows_languages_and_saves_a_russian_question_with_a_code(
    admin_page: Page, app_server: AppServer, app_db: str
):
    """Issues 24 and 23 in the bank: each topic's questions per language (the demo bank has
    Russian and English ones), and the form's language and bank code — a malformed code
    named under its field with nothing saved, then the question saved and listed."""

    def bank_rows() -> list[tuple[str, str | None, str]]:
        with session_scope(readonly=True) as db:
            rows = db.exec(
                select(PracticeQuestion.language, PracticeQuestion.bank_code, PracticeQuestion.text)
            ).all()
        return [tuple(r) for r in rows]

    with session_scope(readonly=True) as db:
        summary = practice_bank.bank_summary(db)
    page = admin_page
    page.goto(f"{app_server.base_url}/admin/practice")
    expect(page.locator("#bank-language-ru")).to_be_visible()
    first = page.locator("#bank-summary .summary-row").first
    expect(first.locator(".language-cell")).to_have_text([str(n) for n in summary.languages[0]])
    assert summary.languages[0][1] >= 1 and summary.languages[0][2] >= 1  # ru and en demo ones
    totals = [sum(column) for column in zip(*summary.languages, strict=True)]
    expect(page.locator("#bank-summary .language-total")).to_have_text([str(n) for n in totals])
    before = bank_rows()

    text = "Решите уравнение: $3x = 12$ (проверка языка)."
    page.locator("#new-question").click()
    expect(page.locator("#question-dialog")).to_be_visible()
    page.fill("#q-text", text)
    for letter, value in zip("abcd", ("$2$", "$3$", "$4$", "$5$"), strict=True):
        page.fill(f"#q-option_{letter}", value)
    page.locator("#q-answer").click()
    page.get_by_role("option").nth(2).click()  # C
    page.locator("#q-language").click()
    page.get_by_role("option").nth(1).click()  # uz, ru, en: Russian
    page.fill("#q-bank-code", "ALG 099")
    page.locator("#question-save").click()
    expect(page.locator("#qerr-bank_code")).to_contain_text("'ALG 099'")
    expect(page.locator("#question-dialog")).to_be_visible()
    assert bank_rows() == before  # nothing saved

    page.fill("#q-bank-code", "alg-099")
    page.locator("#question-save").click()
    expect(page.locator("#question-dialog")).to_be_hidden()
    added = wait_for(
        lambda: next((row for row in bank_rows() if row[2] == text), None), what="the question"
    )
    assert added[:2] == ("ru", "ALG-099")
    newest = page.locator("#questions-table .question-row").first
    expect(newest.locator(".question-language")).to_have_text("ru")
    expect(newest.locator(".question-code")).to_contain_text("ALG-099")
    expect(first.locator(".language-cell").nth(1)).to_have_text(str(summary.languages[0][1] + 1))

    # The list by language: only Russian questions.
    page.locator("#filter-language").click()
    page.get_by_role("option").nth(2).click()  # any, uz, ru, en: ru
    expect(page.locator("#questions-total")).to_contain_text(str(totals[1] + 1))
    expect(page.locator("#questions-table .question-language").first).to_have_text("ru")

    with session_scope() as db:  # leave the demo bank as it was for the other browser tests
        question = db.exec(select(PracticeQuestion).where(PracticeQuestion.text == text)).one()
        practice_bank.delete_question(db, question.id)
