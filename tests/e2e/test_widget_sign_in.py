"""A student at a classroom computer: no Telegram app, signed in through the Login Widget's
redirect (as Telegram sends it, signed with the app's bot token), then takes an exam in the
browser like in the Mini App. A redirect carrying another tab's state signs nobody in.

Telegram's widget script itself is not reachable here: the test does what it does after
the student confirms, a redirect to /auth/telegram with the signed fields and the state
the page put in the widget's URL.
"""

from __future__ import annotations

import time

from playwright.sync_api import Browser, expect

from mockexam.config import DEV_WEBAPP_TOKEN
from mockexam.telegram.webapp_auth import LOGIN_WIDGET_ROUTE, sign_login_widget
from mockexam.ui.telegram import LOGIN_STATE_KEY, SESSION_STORAGE_KEY
from tests.e2e.appserver import AppServer
from tests.e2e.test_exam_flow import (
    answer,
    create_open_exam,
    retire_exam,
    start_exam_in_browser,
    stored_answers,
)
from tests.e2e.test_miniapp import student_id_of

TELEGRAM_ID = 6_100_000_001


def _redirect(app_server: AppServer, state: str) -> str:
    fields = {
        "id": str(TELEGRAM_ID),
        "first_name": "Malika",
        "last_name": "Yusupova",
        "username": "malika_y",
        "auth_date": str(int(time.time())),
    }
    signed = sign_login_widget(fields, bot_token=DEV_WEBAPP_TOKEN)  # the app runs on it
    return f"{app_server.base_url}{LOGIN_WIDGET_ROUTE}?state={state}&{signed}"


def test_a_student_signed_in_by_the_widget_takes_an_exam_in_the_browser(
    app_server: AppServer, browser: Browser, app_db: str
) -> None:
    exam_id, _end = create_open_exam(app_server, title="Widget exam", seconds_open=600)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(app_server.webapp_url)
        expect(page.locator("#signin-required")).to_be_visible()  # no Telegram, no credential

        # A redirect with a state this tab never asked for: nobody is signed in.
        page.goto(_redirect(app_server, "s" * 32))
        expect(page.locator("#signin-required")).to_be_visible()
        assert page.evaluate(f"window.sessionStorage.getItem('{SESSION_STORAGE_KEY}')") is None
        assert "mx_session" not in page.url  # the fragment is wiped all the same

        # The page put its state in the widget's URL; Telegram sends the student back.
        state = "t" * 16 + "0123456789abcdef"
        page.evaluate(f"window.sessionStorage.setItem('{LOGIN_STATE_KEY}', '{state}')")
        page.goto(_redirect(app_server, state))
        expect(page.locator("#student-name")).to_have_text("Malika Yusupova")
        expect(page.locator("#web-sign-out")).to_be_visible()  # a shared computer's way out
        assert "mx_session" not in page.url
        assert page.evaluate(f"window.sessionStorage.getItem('{LOGIN_STATE_KEY}')") is None

        page.goto(f"{app_server.webapp_url}/exam/{exam_id}")
        start_exam_in_browser(page)
        answer(page, "1", "B")
        answer(page, "36a", "12")
        expect(page.locator("#answer-sheet")).to_have_attribute("data-pending", "0")
        stored = stored_answers(student_id_of(TELEGRAM_ID), exam_id)
        assert {k: v for k, (v, _) in stored.items() if v} == {"1": "B", "36a": "12"}

        # A shared classroom computer: the student signs out, the next one finds the
        # sign-in page, not the last student's account.
        page.goto(app_server.webapp_url)
        expect(page.locator("#student-name")).to_have_text("Malika Yusupova")
        page.locator("#web-sign-out").click()
        expect(page.locator("#signin-required")).to_be_visible()
        assert page.evaluate(f"window.sessionStorage.getItem('{SESSION_STORAGE_KEY}')") is None
        page.reload()
        expect(page.locator("#signin-required")).to_be_visible()
    finally:
        context.close()
        retire_exam(app_server, exam_id)
