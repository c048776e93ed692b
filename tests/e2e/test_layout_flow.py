"""Answer-sheet layouts end to end in the browser (issue 21): the admin builds the exam in the
new-exam form, pastes its key, students answer on their phones, and the points add up by hand.

1. The DTM block test (the template, five blocks at 1.1/3.1/2.1 points, 189 in all): created
   in the form, the key pasted with ``[s1]``…``[s5]`` headers, two students answer in the Mini
   App (one with 9 of block 1 and all 30 of block 4: 9 × 1.1 + 30 × 3.1 = 102.9), eight more
   through the services (ten takers: the exam is calibrated), released; the admin's results
   table shows 102.9/189 with the block subtotals, the CSV's section columns add up to the
   points, and the student's results page reads 102,9/189 in Uzbek.
2. The certificate template, a custom layout of two sections built in the form (multiple
   choice at 2 points, free response with parts a, b at 0.5) and a five-option weighted
   layout (A–E at 2.5 points): each created in the form, keyed by a paste, answered by one
   student in the browser (an E among the answers), submitted, released (points are graded
   at release; one taker gives provisional scores); the admin's results table shows the
   points and the section subtotals.
3. The form refuses an impossible layout (no items, 301 items, zero points; a duplicate
   option through the JSON box): each problem is named and nothing is created.

One admin page (desktop) is shared by the module; students use fresh phone contexts.
With MOCKEXAM_SCREENSHOTS=1 the DTM form is saved as docs/screenshots/admin-new-exam-dtm.png.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func
from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.models import Exam, ExamSession, ExamStatus
from mockexam.services import exams as exam_service
from mockexam.services import release as release_service
from mockexam.services.demo import (
    DEMO_ADMIN_USERNAME,
    DEMO_STUDENT_TELEGRAM_ID,
    demo_admin_password,
)
from mockexam.services.exam_room import start_exam, submit_sheet
from mockexam.services.sessions import AnswerChange
from tests.e2e.appserver import AppServer, new_phone_context
from tests.e2e.test_admin_flow import DESKTOP, WAIT, _local, shot
from tests.e2e.test_exam_flow import GRACE, _aware, answer, retire_exam, start_exam_in_browser
from tests.e2e.test_miniapp import ConsoleErrors, student_id_of, wait_ready
from tests.factories import DEFAULT_KEY_TEXT

# Demo students who sat no exam (the demo cohorts are the first 80 %) and whom no other
# browser test uses.
DTM_TOP = DEMO_STUDENT_TELEGRAM_ID + 276  # 9 of block 1, all of block 4: 102.9
DTM_SECOND = DEMO_STUDENT_TELEGRAM_ID + 277  # 3 of block 2, 5 of block 5: 13.8
DTM_OTHERS = [DEMO_STUDENT_TELEGRAM_ID + k for k in range(278, 286)]  # through the services
LAYOUT_TAKERS = {
    "certificate": DEMO_STUDENT_TELEGRAM_ID + 286,
    "custom": DEMO_STUDENT_TELEGRAM_ID + 287,
    "five": DEMO_STUDENT_TELEGRAM_ID + 288,
}

# The DTM key: item n is "ABCD"[(n - 1) % 4]; a wrong answer is the next letter.
LETTERS = "ABCD"
DTM_SECTIONS = {"s1": (1, 10), "s2": (11, 20), "s3": (21, 30), "s4": (31, 60), "s5": (61, 90)}


def _right(n: int) -> str:
    return LETTERS[(n - 1) % 4]


def _wrong(n: int) -> str:
    return LETTERS[n % 4]


DTM_KEY = "\n".join(
    f"[{key}]\n" + "".join(_right(n) for n in range(first, last + 1))
    for key, (first, last) in DTM_SECTIONS.items()
)
TOP_ANSWERS = {
    **{str(n): _right(n) for n in range(1, 10)},
    "10": _wrong(10),
    **{str(n): _right(n) for n in range(31, 61)},
}
SECOND_ANSWERS = {
    **{str(n): _right(n) for n in (11, 12, 13)},
    **{str(n): _wrong(n) for n in (21, 22)},
    **{str(n): _right(n) for n in range(61, 66)},
}


@pytest.fixture(autouse=True)
def _patient_expect() -> Iterator[None]:
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def admin(browser: Browser, app_server: AppServer) -> Iterator[Page]:
    """The demo admin, signed in once for the module (a desktop window)."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(app_server.base_url + "/admin/login")
    page.fill("#username", DEMO_ADMIN_USERNAME)
    page.fill("#password", demo_admin_password())
    page.click("#login-submit")
    expect(page.locator("#admin-name")).to_have_text(DEMO_ADMIN_USERNAME, timeout=WAIT)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def phones(browser: Browser) -> Iterator[BrowserContext]:
    """One phone for the module's students (a page each: the launch parameters live in the
    page's sessionStorage), so the app's files are fetched once."""
    context = new_phone_context(browser)
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()


# --- helpers ------------------------------------------------------------------------------


def _exam_count() -> int:
    with session_scope(readonly=True) as db:
        return db.exec(select(func.count()).select_from(Exam)).one()


def _new_exam_form(page: Page, base: str, title: str) -> None:
    """The new-exam form with its fields filled (a window 60 days ahead: a draft)."""
    page.goto(base + "/admin/exams/new")
    expect(page.locator("#new-exam-create")).to_be_visible()
    start = (utcnow() + timedelta(days=60)).replace(second=0, microsecond=0)
    page.fill("#exam-title", title)
    page.fill("#exam-window-start", _local(start))
    page.fill("#exam-window-end", _local(start + timedelta(hours=4)))


def _choose(page: Page, trigger, option: str) -> None:
    """Pick `option` in a Radix select opened by `trigger`."""
    trigger.click()
    page.get_by_role("option", name=option, exact=True).click()


def _cell(page: Page, row: int, kind: str):
    """An input of the sections table: count or points of row `row`."""
    selector = {"count": "input[type=number]", "points": "input[maxlength='8']"}[kind]
    return page.locator(f"#layout-row-{row} {selector}")


def _type(page: Page, row: int, kind: str, value: str) -> None:
    field = _cell(page, row, kind)
    field.fill(value)
    field.press("Tab")  # the table's inputs send their value on blur


def _select(page: Page, row: int, which: int, option: str) -> None:
    """Row `row`'s select number `which` (0 subject, 1 kind, 2 options or parts)."""
    _choose(page, page.locator(f"#layout-row-{row} button[role=combobox]").nth(which), option)


def _create(page: Page) -> int:
    page.click("#new-exam-create")
    expect(page).to_have_url(re.compile(r"/admin/exams/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def _paste_key(page: Page, key: str) -> None:
    page.click("#tab-key")
    page.fill("#key-paste", key)
    page.click("#key-paste-save")
    expect(page.locator("#key-notice")).to_be_visible()
    expect(page.locator("#key-status")).to_have_text("key complete")


def _open_now(app_server: AppServer, exam_id: int) -> None:
    """Move the draft's window to now (after every closed window) and publish it."""
    now = utcnow()
    with app_server.database(), session_scope() as db:
        latest_end = db.exec(
            select(func.max(Exam.window_end)).where(
                Exam.status != ExamStatus.DRAFT, Exam.window_end <= now
            )
        ).one()
        # Opened ten minutes ago, so the closed window is past the grace at once.
        start = now - timedelta(minutes=10)
        if latest_end is not None:
            start = max(start, _aware(latest_end) + timedelta(seconds=1))
        exam_service.update_exam(
            db, exam_id, window_start=start, window_end=now + timedelta(minutes=10)
        )
        exam_service.publish_exam(db, exam_id, now=start)


def _close_and_release(app_server: AppServer, exam_id: int):
    """Close the window now and release the exam (graded at release)."""
    retire_exam(app_server, exam_id)
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, exam_id)
        assert exam is not None
        end = _aware(exam.window_end)
    summary = release_service.release_exam(exam_id, now=max(utcnow(), end + GRACE))
    assert summary is not None
    return summary


def _answer_in_browser(
    phones: BrowserContext, app_server: AppServer, telegram_id: int, exam_id: int, answers: dict
) -> None:
    """A student opens the exam in the Mini App, answers and submits."""
    page = phones.new_page()
    try:
        errors = ConsoleErrors(page)
        page.goto(app_server.student_link(telegram_id, f"/exam/{exam_id}"))
        start_exam_in_browser(page)
        for label, value in answers.items():
            answer(page, label, value)
        expect(page.locator("#answer-sheet")).to_have_attribute("data-pending", "0")
        page.locator("#submit-exam").click()
        page.locator("#submit-confirm").click()
        expect(page.locator("#exam-waiting")).to_be_visible()
        errors.assert_none()
    finally:
        page.close()


def _session(telegram_id: int, exam_id: int) -> ExamSession:
    student_id = student_id_of(telegram_id)
    with session_scope(readonly=True) as db:
        row = db.exec(
            select(ExamSession).where(
                ExamSession.student_id == student_id, ExamSession.exam_id == exam_id
            )
        ).one()
        db.expunge(row)
        return row


def _results_row(page: Page, telegram_id: int | None = None):
    """The admin's results tab of the exam page the admin is on (it reads the results when
    opened), searched down to one student's row when `telegram_id` is given."""
    page.click("#tab-results")
    if telegram_id is not None:
        page.fill("#results-search", str(telegram_id))
        page.press("#results-search", "Enter")
    rows = page.locator("#results-table .result-row")
    expect(rows).to_have_count(1)
    return rows.first


# --- 1. the DTM block test ------------------------------------------------------------------


def test_dtm_block_test_from_the_form_to_the_results_and_the_export(
    admin: Page, phones: BrowserContext, app_server: AppServer, app_db: str, tmp_path: Path
) -> None:
    page = admin
    base = app_server.base_url
    errors = ConsoleErrors(page)
    _new_exam_form(page, base, "E2E DTM block test")
    page.fill("#exam-duration", "180")
    _choose(page, page.locator("#layout-template"), "DTM test block")
    expect(page.locator("#layout-totals")).to_have_text("90 items, 189 points")
    expect(page.locator("#layout-sections tbody tr")).to_have_count(5)
    expect(page.locator("#layout-preview #q-90-D")).to_be_attached()
    shot(page, "new-exam-dtm")
    exam_id = _create(page)
    with session_scope(readonly=True) as db:
        exam = db.get(Exam, exam_id)
        assert exam is not None and exam.layout["template"] == "dtm_block"
        assert exam.layout["official_score"] == "points"
        items = exam_service.get_items(db, exam_id)
    assert len(items) == 90
    assert [round(sum(i.points for i in items if i.section == s), 2) for s in range(5)] == [
        11.0,
        11.0,
        11.0,
        93.0,
        63.0,
    ]

    _paste_key(page, DTM_KEY)
    keys = {i.label: i.accepted_answers for i in exam_service_items(exam_id)}
    assert all(keys[str(n)] == [_right(n)] for n in range(1, 91))

    _open_now(app_server, exam_id)
    _answer_in_browser(phones, app_server, DTM_TOP, exam_id, TOP_ANSWERS)
    _answer_in_browser(phones, app_server, DTM_SECOND, exam_id, SECOND_ANSWERS)
    # Eight more takers through the services (ten in all: the exam is calibrated).
    rng = np.random.default_rng(21)
    for k, telegram_id in enumerate(DTM_OTHERS):
        student_id = student_id_of(telegram_id)
        chance = 0.2 + 0.04 * k
        changes = {
            str(n): AnswerChange(value=_right(n) if rng.random() < chance else _wrong(n))
            for n in range(1, 91)
        }
        start_exam(student_id=student_id, exam_id=exam_id)
        submit_sheet(student_id=student_id, exam_id=exam_id, changes=changes)
    summary = _close_and_release(app_server, exam_id)
    assert summary.participants == 10 and summary.calibrated
    top = _session(DTM_TOP, exam_id)
    assert round(top.points, 2) == 102.9 and top.max_points == 189
    assert round(_session(DTM_SECOND, exam_id).points, 2) == 13.8

    # The admin's results: the points first, each block's subtotal (the page read again:
    # its header still shows the draft it was).
    page.reload()
    page.click("#tab-results")
    expect(page.locator("#results-table .result-row")).to_have_count(10)
    shot(page, "results-dtm")
    row = _results_row(page, DTM_TOP)
    expect(row.locator("td").nth(2)).to_have_text("102.9/189")
    cells = row.locator(".section-cell")
    expect(cells).to_have_count(5)
    for index, points in enumerate(("9.9", "0", "0", "93", "0")):
        expect(cells.nth(index)).to_have_text(re.compile(rf"^{re.escape(points)}(\(.*\))?$"))

    # The CSV: one points column per block, adding up to the points by hand.
    page.click("#export-menu")
    with page.expect_download() as info:
        page.click("#export-results-csv")
    path = tmp_path / "results.csv"
    info.value.save_as(path)
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 10
    by_telegram = {int(r["telegram_id"]): r for r in rows}
    sections = [f"s{i}_points" for i in range(1, 6)]
    top_row = by_telegram[DTM_TOP]
    assert [float(top_row[c]) for c in sections] == [9.9, 0, 0, 93, 0]
    assert [int(top_row[f"s{i}_exercises"]) for i in range(1, 6)] == [9, 0, 0, 30, 0]
    assert float(top_row["points"]) == 102.9 and float(top_row["max_points"]) == 189
    assert [float(by_telegram[DTM_SECOND][c]) for c in sections] == [0, 3.3, 0, 0, 10.5]
    for r in rows:
        assert round(sum(float(r[c]) for c in sections), 2) == round(float(r["points"]), 2)
    errors.assert_none()

    # The student's results page, in Uzbek: 102,9/189 first.
    student = phones.new_page()
    try:
        student_errors = ConsoleErrors(student)
        student.goto(app_server.student_link(DTM_TOP, f"/results/{top.id}", language="uz"))
        wait_ready(student, "results-ready")
        expect(student.locator("#results-points")).to_have_text(
            re.compile(r"^102,9\s*/\s*189$"), timeout=WAIT
        )
        expect(student.locator(".results-section")).to_have_count(5)
        expect(student.locator("#section-3 .section-points")).to_contain_text("93")
        student_errors.assert_none()
    finally:
        student.close()


def exam_service_items(exam_id: int):
    with session_scope(readonly=True) as db:
        return exam_service.get_items(db, exam_id)


# --- 2. the certificate, a custom layout, five options at 2.5 points -----------------------


def _build_certificate(page: Page) -> None:
    expect(page.locator("#layout-totals")).to_have_text("55 items, 55 points")


def _build_custom(page: Page) -> None:
    _choose(page, page.locator("#layout-template"), "Custom layout")
    expect(page.locator("#layout-totals")).to_have_text("30 items, 30 points")
    _type(page, 0, "count", "5")
    _type(page, 0, "points", "2")
    expect(page.locator("#layout-totals")).to_have_text("5 items, 10 points")
    page.click("#layout-add-section")
    expect(page.locator("#layout-sections tbody tr")).to_have_count(2)
    _select(page, 1, 1, "Free response")
    expect(page.locator("#layout-totals")).to_have_text("25 items, 30 points")  # 10 × a, b
    _type(page, 1, "count", "3")
    _type(page, 1, "points", "0.5")
    expect(page.locator("#layout-totals")).to_have_text("11 items, 13 points")


def _build_five_options(page: Page) -> None:
    _choose(page, page.locator("#layout-template"), "Custom layout")
    _type(page, 0, "count", "4")
    _select(page, 0, 2, "5: A–E")
    _type(page, 0, "points", "2.5")
    expect(page.locator("#layout-totals")).to_have_text("4 items, 10 points")
    expect(page.locator("#layout-preview #q-4-E")).to_be_attached()


# name: (build the layout in the form, key, answers, points shown, section subtotals)
LAYOUTS = {
    "certificate": (
        _build_certificate,
        DEFAULT_KEY_TEXT,
        {"1": "A", "2": "B", "3": "A", "36a": "36", "36b": "-36/2", "37a": "1"},
        "4/55",
        ("2", "2"),
    ),
    "custom": (
        _build_custom,
        "[s1] ABCDA\n6a 6\n6b -3\n7a 7\n7b 1/2\n8a 8 | 8.0\n8b 0",
        {"1": "A", "2": "C", "5": "A", "6a": "6", "7b": "2"},
        "4.5/13",
        ("4", "0.5"),
    ),
    "five": (
        _build_five_options,
        "1 E\n2 B\n3 C\n4 A",
        {"1": "E", "2": "B", "3": "A"},
        "5/10",
        (),
    ),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layout_created_in_the_form_answered_in_the_browser_graded_by_points(
    admin: Page, phones: BrowserContext, app_server: AppServer, app_db: str, name: str
) -> None:
    build, key, answers, shown, subtotals = LAYOUTS[name]
    page = admin
    base = app_server.base_url
    _new_exam_form(page, base, f"E2E layout {name}")
    build(page)
    exam_id = _create(page)
    _paste_key(page, key)
    _open_now(app_server, exam_id)
    try:
        _answer_in_browser(phones, app_server, LAYOUT_TAKERS[name], exam_id, answers)
    finally:
        summary = _close_and_release(app_server, exam_id)
    assert summary.participants == 1 and not summary.calibrated  # provisional scores
    row = _results_row(page)
    expect(row.locator("td").nth(2)).to_have_text(shown)
    cells = row.locator(".section-cell")
    expect(cells).to_have_count(len(subtotals))
    for index, points in enumerate(subtotals):
        expect(cells.nth(index)).to_have_text(points)
    session = _session(LAYOUT_TAKERS[name], exam_id)
    assert f"{round(session.points, 2):g}/{session.max_points:g}" == shown


# --- 3. what the form refuses ----------------------------------------------------------------


def test_new_exam_form_refuses_impossible_layouts_and_creates_nothing(
    admin: Page, app_server: AppServer, app_db: str
) -> None:
    page = admin
    base = app_server.base_url
    before = _exam_count()
    _new_exam_form(page, base, "E2E impossible layout")
    _choose(page, page.locator("#layout-template"), "Custom layout")
    problems = page.locator("#layout-problems")
    refused = page.locator("#new-exam-error")

    for field, value, problem in (
        ("count", "0", "the sheet has no items"),
        ("count", "301", "301 items: one sheet holds at most 300"),
        ("points", "0", "points must be more than 0"),
    ):
        if field == "points":
            _type(page, 0, "count", "10")
        _type(page, 0, field, value)
        expect(problems).to_contain_text(problem)
        page.click("#new-exam-create")
        expect(refused).to_contain_text(problem)
        expect(page).to_have_url(re.compile(r"/admin/exams/new/?$"))
        assert _exam_count() == before

    _type(page, 0, "points", "1")
    expect(page.locator("#layout-totals")).to_have_text("10 items, 10 points")

    # A duplicate option can only come through the JSON box: refused, the table unchanged.
    duplicate = {
        "version": 1,
        "template": "custom",
        "official_score": "points",
        "sections": [
            {
                "key": "s1",
                "titles": {"uz": "Test"},
                "subject": "math",
                "kind": "mcq",
                "count": 5,
                "options": ["A", "B", "A"],
                "points": 1,
            }
        ],
    }
    page.get_by_text("JSON (export / import)").click()
    page.fill("#layout-json", json.dumps(duplicate))
    page.press("#layout-json", "Tab")  # the box sends its text on blur (or after 400 ms)
    page.wait_for_timeout(1000)
    page.click("#layout-import")
    expect(page.locator("#layout-json-error")).to_contain_text("options repeat: A, B, A")
    expect(page.locator("#layout-totals")).to_have_text("10 items, 10 points")
    assert _exam_count() == before
