"""`<html lang>` in a real browser: the language the page is shown in, from the first paint.

Screen readers pick their voice and rules from the document's language, so an
Uzbek or Russian page marked `en` is read out with English rules. Checked here:
the Mini App's first frame already carries the language (Telegram's launch data
on a new device, the last language shown on a known one), it follows the
student's stored choice after the sign-in and every switch without a reload;
the admin panel's follows its language cookie and then the admin's own choice;
the public home page (English) stays `en`. Also here: several new achievements
arrive as one toast whose button opens the achievements page.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func, update
from sqlmodel import col, select

from mockexam.admin.auth import LANGUAGE_COOKIE, TOKEN_COOKIE
from mockexam.db import session_scope
from mockexam.models import AchievementAward, Admin, AdminRole, Student
from mockexam.services import admin_auth
from mockexam.services.admins import set_active, set_admin, set_admin_language
from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID
from tests.e2e.appserver import AppServer, new_phone_context
from tests.e2e.test_miniapp import TAB_LABELS, ConsoleErrors, tab_labels, wait_ready

RUSSIAN_STUDENT = DEMO_STUDENT_TELEGRAM_ID + 1  # the demo's Russian speaker

# Before any page script: the lang once the HTML is parsed (the head script has run, the
# app's own scripts have not: nothing has signed in yet), the lang of the first animation
# frame (the first paint), then every later value of the attribute (a flicker to another
# language would show here).
WATCH_LANG = """
window.__langs = [];
document.addEventListener('readystatechange', () => {
    if (document.readyState === 'interactive') window.__parsedLang = document.documentElement.lang;
});
requestAnimationFrame(() => {
    const html = document.documentElement;
    window.__firstFrameLang = html.lang;
    window.__langs.push(html.lang);
    new MutationObserver(() => window.__langs.push(html.lang))
        .observe(html, {attributes: true, attributeFilter: ['lang']});
});
"""


def html_lang(page: Page) -> str:
    return page.evaluate("document.documentElement.lang")


def first_frame_lang(page: Page) -> str:
    """<html lang> at the first paint; it must be what it was before any app script ran."""
    page.wait_for_function(
        "window.__firstFrameLang !== undefined && window.__parsedLang !== undefined"
    )
    before_the_app, first_frame = page.evaluate("[window.__parsedLang, window.__firstFrameLang]")
    assert before_the_app == first_frame
    return first_frame


def expect_lang(page: Page, lang: str) -> None:
    page.wait_for_function(f"document.documentElement.lang === {lang!r}")


def langs_seen(page: Page) -> list[str]:
    """Every value <html lang> had from the first paint on (repeats dropped)."""
    seen: list[str] = []
    for value in page.evaluate("window.__langs"):
        if not seen or seen[-1] != value:
            seen.append(value)
    return seen


def _student_language(telegram_id: int) -> str:
    with session_scope(readonly=True) as db:
        return db.exec(
            select(Student.language_code).where(Student.telegram_id == telegram_id)
        ).one()


def _set_student_language(telegram_id: int, lang: str) -> None:
    with session_scope() as db:
        db.execute(
            update(Student)
            .where(col(Student.telegram_id) == telegram_id)
            .values(language_code=lang)
        )


def _no_new_awards(telegram_id: int) -> None:
    """Mark the student's awards seen: no toast over the language switch in these tests."""
    with session_scope() as db:
        student_id = db.exec(select(Student.id).where(Student.telegram_id == telegram_id)).one()
        db.execute(
            update(AchievementAward)
            .where(
                col(AchievementAward.student_id) == student_id,
                col(AchievementAward.seen_at).is_(None),
            )
            .values(seen_at=func.now())
        )


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = new_phone_context(browser)
    context.set_default_timeout(20_000)
    context.add_init_script(WATCH_LANG)
    try:
        yield context
    finally:
        context.close()


# --- the Mini App --------------------------------------------------------------------------


def test_miniapp_html_lang_is_the_students_language_from_the_first_paint(
    app_server: AppServer, phone: BrowserContext, student_link, app_db: str
) -> None:
    stored = _student_language(RUSSIAN_STUDENT)
    assert stored == "ru"
    _no_new_awards(RUSSIAN_STUDENT)
    page = phone.new_page()
    errors = ConsoleErrors(page)
    try:
        page.goto(student_link(RUSSIAN_STUDENT, language="ru"))
        wait_ready(page, "dashboard-ready")
        assert tab_labels(page) == TAB_LABELS["ru"]
        assert first_frame_lang(page) == "ru"  # Telegram's language_code, before signing in
        assert html_lang(page) == "ru"
        assert langs_seen(page) == ["ru"]  # never `en` or `uz` on the way

        # A switch changes it at once, without a reload.
        page.locator("#lang-en").click()
        expect(page.locator("#tab-home")).to_have_text(TAB_LABELS["en"][0])
        expect_lang(page, "en")
        page.locator("#lang-uz").click()
        expect(page.locator("#tab-home")).to_have_text(TAB_LABELS["uz"][0])
        expect_lang(page, "uz")

        # The next load on this device starts in the chosen language, though Telegram's
        # launch data still says Russian; moving to another page keeps it.
        page.reload()
        wait_ready(page, "dashboard-ready")
        assert first_frame_lang(page) == "uz"
        assert langs_seen(page) == ["uz"]
        page.locator("#tab-history").click()
        wait_ready(page, "history-ready")
        assert html_lang(page) == "uz"
        errors.assert_none()
    finally:
        _set_student_language(RUSSIAN_STUDENT, stored)


def test_miniapp_html_lang_follows_the_stored_choice_over_telegrams_language(
    app_server: AppServer, phone: BrowserContext, student_link, app_db: str
) -> None:
    """A new device guesses from Telegram's language, and the sign-in puts it right."""
    assert _student_language(DEMO_STUDENT_TELEGRAM_ID) == "uz"
    page = phone.new_page()
    page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID, "/history", language="ru"))
    wait_ready(page, "history-ready")
    assert first_frame_lang(page) == "ru"
    expect_lang(page, "uz")
    assert tab_labels(page) == TAB_LABELS["uz"]
    assert langs_seen(page) == ["ru", "uz"]


def test_miniapp_sign_in_refused_is_marked_in_the_language_it_is_shown_in(
    app_server: AppServer, phone: BrowserContext, student_link
) -> None:
    page = phone.new_page()
    page.goto(student_link(RUSSIAN_STUDENT, language="ru").split("#", 1)[0])  # no initData
    expect(page.locator("#signin-required")).to_be_visible()
    expect_lang(page, "uz")  # the refusal is worded in the default language, Uzbek


def test_public_home_page_stays_english(app_server: AppServer, phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto(app_server.base_url + "/")
    assert first_frame_lang(page) == "en"
    assert html_lang(page) == "en"


# --- the admin panel -----------------------------------------------------------------------


@pytest.fixture
def russian_admin(app_server: AppServer) -> Iterator[str]:
    """A signed-in admin whose panel language is Russian: their session token."""
    with app_server.database():
        with session_scope() as db:
            admin = set_admin(
                db,
                username="lang-ru",
                password="lang-check-password-2026",
                reactivate=True,
                role=AdminRole.OWNER,
            ).admin
            db.flush()
            set_admin_language(db, admin.id, "ru")
        token = admin_auth.login(
            username="lang-ru", password="lang-check-password-2026", client="e2e-lang"
        ).token
    try:
        yield token
    finally:
        with app_server.database(), session_scope() as db:
            set_active(db, db.exec(select(Admin).where(Admin.username == "lang-ru")).one(), False)


def _cookie(server: AppServer, name: str, value: str, *, http_only: bool = False) -> dict:
    return {
        "name": name,
        "value": value,
        "url": server.base_url,
        "httpOnly": http_only,
        "sameSite": "Strict",
    }


def test_admin_html_lang_follows_the_cookie_then_the_admins_choice(
    app_server: AppServer, browser: Browser, russian_admin: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    context.add_init_script(WATCH_LANG)
    try:
        # Signed out, the login page in the cookie's language from the first paint.
        context.add_cookies([_cookie(app_server, LANGUAGE_COOKIE, "en")])
        page = context.new_page()
        page.goto(app_server.base_url + "/admin/login")
        assert first_frame_lang(page) == "en"
        page.close()

        # Signed in: the cookie says Uzbek, the admin chose Russian; the panel follows
        # the admin once the session is checked (and keeps it on the next page load).
        context.add_cookies(
            [
                _cookie(app_server, LANGUAGE_COOKIE, "uz"),
                _cookie(app_server, TOKEN_COOKIE, russian_admin, http_only=True),
            ]
        )
        page = context.new_page()
        page.goto(app_server.base_url + "/admin")
        assert first_frame_lang(page) == "uz"
        expect_lang(page, "ru")
        expect(page.locator("#page-title")).to_contain_text("Экзамены")
        page.goto(app_server.base_url + "/admin/students")
        assert first_frame_lang(page) == "ru"
        assert langs_seen(page) == ["ru"]
    finally:
        context.close()


# --- new achievements --------------------------------------------------------------------------


def _student_with_awards(minimum: int) -> tuple[int, int]:
    """A demo student with at least `minimum` awards: (telegram id, their award count)."""
    with session_scope(readonly=True) as db:
        telegram_id, count = db.exec(
            select(Student.telegram_id, func.count(col(AchievementAward.id)))
            .join(AchievementAward, col(AchievementAward.student_id) == Student.id)
            .where(col(Student.telegram_id) != DEMO_STUDENT_TELEGRAM_ID)
            .group_by(col(Student.telegram_id))
            .having(func.count(col(AchievementAward.id)) >= minimum)
            .order_by(col(Student.telegram_id))
        ).first()
    return int(telegram_id), int(count)


def test_several_new_achievements_arrive_as_one_toast_that_opens_them(
    app_server: AppServer, phone: BrowserContext, student_link, app_db: str
) -> None:
    telegram_id, count = _student_with_awards(2)
    language = _student_language(telegram_id)
    _set_student_language(telegram_id, "en")
    with session_scope() as db:
        student_id = db.exec(select(Student.id).where(Student.telegram_id == telegram_id)).one()
        db.execute(
            update(AchievementAward)
            .where(col(AchievementAward.student_id) == student_id)
            .values(seen_at=None)
        )
    try:
        page = phone.new_page()
        page.goto(student_link(telegram_id))
        wait_ready(page, "dashboard-ready")
        toasts = page.locator("[data-sonner-toast]")
        expect(toasts).to_have_count(1)
        expect(toasts.first).to_contain_text(f"{count} new achievements")
        page.wait_for_timeout(500)
        expect(toasts).to_have_count(1)  # still one: nothing stacked behind it
        toasts.first.get_by_role("button", name="See them").click()
        page.wait_for_url("**/app/achievements")
        wait_ready(page, "achievements-ready")
        expect(page.locator("[data-sonner-toast]")).to_have_count(0)  # seen: not again
    finally:
        _set_student_language(telegram_id, language)
