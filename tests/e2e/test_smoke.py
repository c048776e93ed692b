"""The harness itself: the production build renders database data at a phone's size,
comes back after a stop on the same port, and links carry initData the app accepts."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import func, select

from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.models import Student
from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID
from mockexam.telegram.webapp_auth import validate_init_data
from mockexam.telegram.webapp_link import init_data_from_link
from tests.e2e.appserver import AppServer
from tests.e2e.conftest import measure_load

DEMO_STUDENTS = 300


@pytest.mark.parametrize("phone_page", ["light", "dark"], indirect=True)
def test_home_renders_the_seeded_student_count_on_a_phone(
    app_server: AppServer, phone_page: Page
) -> None:
    seconds = measure_load(phone_page, app_server.base_url + "/", "#student-count")

    expect(phone_page.locator("#student-count")).to_have_text(str(DEMO_STUDENTS))
    assert phone_page.viewport_size == {"width": 390, "height": 844}
    assert phone_page.evaluate("window.devicePixelRatio") == 2
    assert 0 < seconds < 30


def test_app_db_reads_the_servers_database(app_server: AppServer, app_db: str) -> None:
    assert app_db == app_server.database_url == settings.database_url
    with session_scope(readonly=True) as db:
        assert db.exec(select(func.count()).select_from(Student)).one() == DEMO_STUDENTS


def test_student_link_carries_the_stored_student_signed_for_the_app(
    app_server: AppServer, student_link
) -> None:
    link = student_link(DEMO_STUDENT_TELEGRAM_ID, "/exam/2")

    assert link.startswith(app_server.base_url + "/app/exam/2#tgWebAppData=")
    user = validate_init_data(
        init_data_from_link(link),
        bot_token=app_server.bot_token,
        max_age_seconds=settings.initdata_max_age_seconds,
    )
    assert user.id == DEMO_STUDENT_TELEGRAM_ID
    assert user.username == "demo_student_1"


def test_stop_takes_the_app_offline_and_start_brings_it_back_on_the_same_port(
    app_server: AppServer, phone_page: Page
) -> None:
    port = app_server.port
    app_server.stop()
    try:
        with pytest.raises(OSError):
            urllib.request.urlopen(app_server.base_url + "/ping", timeout=2)
    finally:
        app_server.start()

    assert app_server.port == port
    assert not app_server.last_start_rebuilt
    assert app_server.last_start_seconds < 30
    phone_page.goto(app_server.base_url + "/")
    expect(phone_page.locator("#student-count")).to_have_text(str(DEMO_STUDENTS))


def test_the_production_build_itself_forbids_framing_the_admin_panel(app_server: AppServer):
    """The page's HTML as the app serves it, without Caddy in front."""
    with urllib.request.urlopen(app_server.base_url + "/admin/login", timeout=10) as response:
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers.get_all("Content-Security-Policy")
    with urllib.request.urlopen(app_server.base_url + "/app/", timeout=10) as response:
        assert response.headers["X-Frame-Options"] is None
