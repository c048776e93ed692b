"""The answer sheet saving over HTTP — its one transport — in a real browser.

The sheet posts its saves to /api/sheet/<exam> with its signed credential; a
save held back by the network is not sent again beside itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID
from tests.e2e.appserver import AppServer
from tests.e2e.test_exam_flow import (
    answer,
    create_open_exam,
    exam_link,
    own_session,
    retire_exam,
    start_exam_in_browser,
    stored_answers,
    wait_for,
)
from tests.e2e.test_miniapp import ConsoleErrors, student_id_of

SAVER = DEMO_STUDENT_TELEGRAM_ID + 272  # a demo student who sat no exam
# How long the first save is held, counted from the moment the browser sent it: past
# the sheet's first re-send wait (4 s; the old sheet re-sent beside the held save then),
# well inside its 15 s timeout (a save that times out is sent again, rightly).
HELD_SECONDS = 9


@pytest.fixture(scope="module")
def http_exam(app_server: AppServer) -> Iterator[int]:
    """An open exam."""
    exam_id, _ = create_open_exam(app_server, title="E2E sheet over HTTP", seconds_open=300)
    try:
        yield exam_id
    finally:
        retire_exam(app_server, exam_id)


def test_sheet_saves_over_http_and_a_slow_save_is_not_sent_again_beside_itself(
    app_server: AppServer, phone_page: Page, student_link, http_exam: int, app_db: str
) -> None:
    errors = ConsoleErrors(phone_page)
    posts: list[str] = []
    held: list[Route] = []
    held_at: list[float] = []

    def first_one_waits(route: Route) -> None:
        posts.append(route.request.url)
        held_at.append(time.monotonic())
        if len(posts) == 1:
            held.append(route)  # a server slow to answer: no reply yet
        else:
            route.continue_()

    phone_page.route("**/api/sheet/**", first_one_waits)
    phone_page.goto(exam_link(student_link, SAVER, http_exam))
    start_exam_in_browser(phone_page)
    student_id = student_id_of(SAVER)

    answer(phone_page, "1", "A")
    status = phone_page.locator("#status-1")
    expect(status).to_have_attribute("data-status", "queued", timeout=8_000)
    phone_page.wait_for_timeout(max(0.0, held_at[0] + HELD_SECONDS - time.monotonic()) * 1000)
    # The save on its way is waited for: re-sent beside it, it would only add load.
    assert len(posts) == 1 and posts[0].endswith(f"/api/sheet/{http_exam}")
    assert stored_answers(student_id, http_exam) == {}
    expect(phone_page.locator("#answer-sheet")).to_have_attribute("data-pending", "1")

    held[0].continue_()  # the server answers at last: stored, and the ack arrives
    expect(status).to_have_attribute("data-status", "saved")
    expect(phone_page.locator("#answer-sheet")).to_have_attribute("data-pending", "0")
    wait_for(lambda: stored_answers(student_id, http_exam).get("1") == ("A", False))
    assert len(posts) == 1

    answer(phone_page, "36a", "12")  # the next save goes at once, and is answered
    expect(phone_page.locator("#status-36a")).to_have_attribute("data-status", "saved")
    wait_for(lambda: stored_answers(student_id, http_exam).get("36a") == ("12", False))
    assert len(posts) == 2
    errors.assert_none()


SUBMITTER = DEMO_STUDENT_TELEGRAM_ID + 273  # another demo student who sat no exam


def test_submit_over_http_shows_the_waiting_view_at_once_and_after_a_reload(
    app_server: AppServer, phone_page: Page, student_link, http_exam: int, app_db: str
) -> None:
    """Submitting is a POST beside the saves, not a page event: the sheet's answer switches
    the page to the waiting view; the page's own state says the same after a reload."""
    errors = ConsoleErrors(phone_page)
    posts: list[str] = []
    phone_page.on(
        "request",
        lambda request: posts.append(request.url) if "/api/sheet/" in request.url else None,
    )
    phone_page.goto(exam_link(student_link, SUBMITTER, http_exam))
    start_exam_in_browser(phone_page)
    student_id = student_id_of(SUBMITTER)
    answer(phone_page, "2", "B")
    expect(phone_page.locator("#status-2")).to_have_attribute("data-status", "saved")

    answer(phone_page, "3", "C")  # still pending when the submit goes: sent with it
    phone_page.locator("#submit-exam").click()
    phone_page.locator("#submit-confirm").click()

    waiting = phone_page.locator("#exam-waiting")
    expect(waiting).to_be_visible()
    expect(phone_page.locator("#waiting-countdown")).to_be_visible()
    expect(phone_page.locator("#auto-submitted")).to_have_count(0)
    expect(phone_page.locator("#answer-sheet")).to_have_count(0)
    assert any(url.endswith(f"/api/sheet/{http_exam}/submit") for url in posts)
    session = own_session(student_id, http_exam)
    assert session is not None and session.submitted_at is not None
    assert not session.is_auto_submitted
    assert stored_answers(student_id, http_exam) == {"2": ("B", False), "3": ("C", False)}

    phone_page.reload()
    expect(phone_page.locator("#exam-waiting")).to_be_visible()
    expect(phone_page.locator("#answer-sheet")).to_have_count(0)
    errors.assert_none()
