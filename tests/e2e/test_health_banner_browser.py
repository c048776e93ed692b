"""The worker banner in a real browser on the production build (which runs no consumer).

The app server's installation never ran a consumer, so a signed-in admin sees the
banner at once. With a beat 30 s old (within the 45 s allowance) the reloaded page
shows none, and the page's own 30 s re-check brings it up once the beat has aged
past the allowance, without a reload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from mockexam.admin.health_banner import NEVER_RAN, WORKER_DOWN
from mockexam.db import session_scope
from mockexam.models import Heartbeat
from mockexam.services import heartbeat
from mockexam.services.demo import DEMO_ADMIN_USERNAME, demo_admin_password
from tests.e2e.appserver import AppServer
from tests.health_helpers import beat_seconds_ago

DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def signed_in(browser: Browser, app_server: AppServer) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(app_server.base_url + "/admin")
        expect(page).to_have_url(re.compile(r"/admin/login"), timeout=30_000)
        page.fill("#username", DEMO_ADMIN_USERNAME)
        page.fill("#password", demo_admin_password())
        page.click("#login-submit")
        expect(page.locator("#admin-name")).to_have_text(DEMO_ADMIN_USERNAME, timeout=30_000)
        yield page
    finally:
        context.close()


def _forget_beats() -> None:
    with session_scope() as db:
        row = db.get(Heartbeat, heartbeat.SWEEP)
        if row is not None:
            db.delete(row)


def test_worker_banner_shows_until_the_consumer_beats_and_again_when_it_stops(
    signed_in: Page, app_db: str
):
    page = signed_in
    _forget_beats()
    page.reload()
    banner = page.locator("#worker-banner")
    expect(banner).to_be_visible(timeout=30_000)
    expect(banner).to_contain_text(WORKER_DOWN[2])  # (uz, ru, en): English here
    expect(banner).to_contain_text(NEVER_RAN[2])
    expect(page.locator("#page-title")).to_be_visible()  # the page itself still works

    try:
        assert heartbeat.sweep_allowance_seconds() == 45
        beat_seconds_ago(30)
        page.reload()
        expect(page.locator("#admin-name")).to_have_text(DEMO_ADMIN_USERNAME, timeout=30_000)
        expect(page.locator("#exams-table")).to_be_visible(timeout=30_000)
        expect(banner).to_have_count(0)
        # No reload: the page's 30 s re-check finds the beat past its 45 s allowance.
        expect(banner).to_be_visible(timeout=75_000)
        expect(banner).to_contain_text("Its last sweep was")
    finally:
        _forget_beats()
