"""The exam's lobby in a real browser: at the opening it turns into the start button by
itself, from the server's count, without sending the server anything."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, WebSocket, expect

from mockexam.db import session_scope
from mockexam.models import Exam
from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID
from tests.e2e.appserver import AppServer
from tests.e2e.test_exam_flow import create_open_exam, exam_link, retire_exam
from tests.e2e.test_miniapp import ConsoleErrors

LOBBY_STUDENT = DEMO_STUDENT_TELEGRAM_ID + 273  # a demo student who sat no exam
OPENS_IN = 12  # seconds: time for the page to load and show the lobby first


@pytest.fixture(scope="module")
def lobby_exam(app_server: AppServer) -> Iterator[tuple[int, float]]:
    """An exam that opens OPENS_IN seconds from now: (its id, time.monotonic() of it)."""
    exam_id, _ = create_open_exam(
        app_server, title="E2E lobby", seconds_open=300, opens_in=OPENS_IN
    )
    opens_at = time.monotonic() + OPENS_IN
    try:
        yield exam_id, opens_at
    finally:
        # Retired once it has opened (its end is then in the past: later windows may open).
        time.sleep(max(0.0, opens_at + 2 - time.monotonic()))
        retire_exam(app_server, exam_id)


def _window_seconds(app_server: AppServer, exam_id: int) -> float:
    with app_server.database(), session_scope(readonly=True) as db:
        exam = db.get(Exam, exam_id)
        return (exam.window_end - exam.window_start).total_seconds()


class SentEvents:
    """The Reflex events the page sends over its websocket, with when they were sent."""

    def __init__(self, page: Page) -> None:
        self.sent: list[tuple[float, str]] = []
        page.on("websocket", self._socket)

    def _socket(self, socket: WebSocket) -> None:
        socket.on("framesent", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        text = payload if isinstance(payload, str) else payload.decode(errors="replace")
        if text.startswith("42"):  # a socket.io event (not a ping)
            self.sent.append((time.monotonic(), text[:200]))


def test_the_lobby_turns_into_the_start_button_at_the_opening_without_an_event(
    app_server: AppServer, phone_page: Page, student_link, lobby_exam: tuple[int, float]
) -> None:
    exam_id, opens_at = lobby_exam
    errors = ConsoleErrors(phone_page)
    events = SentEvents(phone_page)
    phone_page.goto(exam_link(student_link, LOBBY_STUDENT, exam_id))
    expect(phone_page.locator("#exam-lobby")).to_be_visible(timeout=20_000)
    assert time.monotonic() < opens_at - 2, "the page took too long to show the lobby"
    expect(phone_page.locator("#start-exam")).to_have_count(0)
    quiet_from = time.monotonic()

    # At the opening the start button appears in place of the lobby.
    expect(phone_page.locator("#exam-open-view")).to_be_visible(timeout=(OPENS_IN + 5) * 1000)
    shown_at = time.monotonic()
    assert shown_at >= opens_at - 1.5, "the start button came before the opening"
    expect(phone_page.locator("#exam-lobby")).to_have_count(0)
    # The window's countdown runs from the window's full length at the opening.
    minutes, _, seconds = phone_page.locator("#open-countdown").inner_text().partition(":")
    shown = int(minutes) * 60 + int(seconds)
    assert abs(shown - _window_seconds(app_server, exam_id)) <= 3, shown
    # Nothing of the exam page was sent for it (the Mini App's periodic keep-signed-in
    # tick may fall in these seconds).
    sent = [text for at, text in events.sent if at >= quiet_from]
    assert [text for text in sent if "keep_signed_in" not in text] == [], sent

    # The start button works: the server clock agrees the window is open.
    phone_page.locator("#start-exam").click()
    phone_page.locator("#start-confirm").click()
    expect(phone_page.locator("#answer-sheet")).to_be_visible()
    errors.assert_none()
