"""The admin panel as it is shown in Russian and Uzbek: no English text left (issue 21 §4).

Three admins (their panel languages ru, uz, en) look at every `/admin…` page of
mockexam/mockexam.py side by side: the exams list, the new-exam form, the
demo's released and DTM exams with every tab and their item analysis, the
upcoming one (published, nobody started) up to its Notify tab, the new-exam
form's template menu and each template, broadcasts, audit, admins, analytics,
students, the practice bank, and the login page signed out. What is read on
each: the visible text nodes
(`document.body` as the admin sees it), placeholder/title/aria-label
attributes and Plotly's titles, axis names, legends and notes, without what
people wrote (elements marked `data-user-content` and their subtrees; the
demo's titles, names and questions that are not marked yet are taken out by
their value) and without Plotly's own toolbar.

- ru: no Latin word of three letters or more apart from the terms.
- uz: Uzbek is written in Latin letters, so the same page in English is the
  twin: a text shown the same in uz and en that holds an English word (not a
  term nor a word Uzbek writes the same) was left untranslated.

The three pages load at once (one browser, three contexts), so the whole check
takes about as long as one language; after the first page they move inside the
app (React Router, as the sidebar's links do), so no page pays for a new
document, websocket and hydration. A page is read once its data is there (rows,
drawn figures), its websocket's last event has been answered and nothing has
changed for QUIET_MS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page
from sqlmodel import select

from mockexam.admin.auth import LANGUAGE_COOKIE, TOKEN_COOKIE
from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.models import (
    Admin,
    AdminRole,
    Broadcast,
    Exam,
    PracticeQuestion,
    PracticeTopic,
    RosterEntry,
    Student,
    StudentGroup,
)
from mockexam.services import admin_auth
from mockexam.services.admins import set_active, set_admin, set_admin_language
from tests.admin.test_i18n_static import ALLOWED_TERMS, SAME_IN_UZBEK
from tests.e2e.appserver import AppServer

LANGS = ("ru", "uz", "en")
PASSWORD = "i18n-scan-password-2026"
DESKTOP = {"width": 1440, "height": 900}
RELEASED, UPCOMING, DTM = 1, 2, 3  # the demo's exams (mockexam/services/demo.py)
TABS = ("details", "key", "notify", "monitor", "results")
WAIT = 30_000  # ms: a page's data and Plotly's drawing on a busy two-core machine

# Terms shown the same in every language (beyond the static scan's list).
TERMS = ALLOWED_TERMS | {
    "infit",
    "outfit",
    "Infit",
    "Outfit",
    "KaTeX",
    "TELEGRAM_BOT_TOKEN",
    "DTM",
    "SEM",  # standard error of measurement, as SE
    "worker",  # the process's name, as the command names it
    "English",  # the language switch's own names
    "Русский",
    "zbekcha",
}
WORD = re.compile(r"[A-Za-z]{3,}")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# What is not text: `commands`, --options, @handles, the configured zone's name.
# An answer key's letters (ABCDA), ENV_NAMES.
NOT_TEXT = re.compile(
    r"`[^`]*`|--[\w-]+|@\w+|\b[A-F]{3,}\b|\b[A-Z]+(?:_[A-Z]+)+\b|"
    + re.escape(settings.local_timezone)
)
# The libraries' own attributes, not the panel's: Reflex's connection pulser (its title
# is only seen when the backend is gone) and Sonner's toaster region.
LIBRARIES = re.compile(r"^(Connection Error:.*|Notifications alt\+T)$")

# Visible text nodes, attributes and Plotly's texts of the page, without people's content.
_GATHER = """
() => {
    const SKIP = '[data-user-content], .modebar-container, .modebar, .katex, code, '
        + 'script, style, noscript';
    const PLOTLY = '.gtitle, .xtitle, .ytitle, .legendtext, .annotation-text';
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        const text = (node.nodeValue || '').trim();
        if (!text || !parent || parent.closest(SKIP)) continue;
        if (parent.closest('svg')) {
            if (parent.closest(PLOTLY)) found.push(text);
            continue;
        }
        if (parent.checkVisibility({visibilityProperty: true, opacityProperty: true})) {
            found.push(text);
        }
    }
    for (const el of document.querySelectorAll('[placeholder], [title], [aria-label]')) {
        if (el.closest(SKIP)) continue;
        for (const name of ['placeholder', 'title', 'aria-label']) {
            const value = (el.getAttribute(name) || '').trim();
            if (value) found.push(value);
        }
    }
    return found;
}
"""

# Every document notes when its content last changed (texts and elements, not styles)
# and when its websocket last sent an event and received a state update (Socket.IO's
# messages, "4…"; not Engine.IO's pings and pongs).
_WATCH_CHANGES = """
window.__i18nChanged = window.__i18nSent = window.__i18nReceived = performance.now();
new MutationObserver(() => { window.__i18nChanged = performance.now(); }).observe(
    document, {subtree: true, childList: true, characterData: true}
);
window.WebSocket = class extends window.WebSocket {
    constructor(...args) {
        super(...args);
        this.addEventListener('message', (event) => {
            if (String(event.data).startsWith('4')) window.__i18nReceived = performance.now();
        });
    }
    send(data) {
        if (String(data).startsWith('4')) window.__i18nSent = performance.now();
        return super.send(data);
    }
};
"""
# True once the page has been signed in (or shows `ready`), its last event has been
# answered and nothing has changed for `quiet` ms: the loaders' data and figures are in.
_SETTLED = """
([ready, quiet]) => {
    const signed = document.querySelector(ready);
    if (!signed || !signed.textContent.trim()) return false;
    if (window.__i18nReceived < window.__i18nSent) return false;
    const last = Math.max(window.__i18nChanged, window.__i18nSent, window.__i18nReceived);
    return performance.now() - last >= quiet;
}
"""
# A move inside the app (React Router's, as its links do): no new document, websocket
# nor hydration; Reflex runs the route's on_load.
_NAVIGATE = """
url => {
    window.__i18nChanged = performance.now();
    history.pushState({}, '', url);
    dispatchEvent(new PopStateEvent('popstate', {state: {}}));
}
"""
QUIET_MS = 300
# The login page once hydrated (the language cookie read): its form's action is absolute.
HYDRATED_LOGIN = '#login-form[action^="http"]'


@dataclass
class Panel:
    """One admin's browser page (one panel language)."""

    lang: str
    page: Page


@pytest.fixture(scope="module")
def panels(browser: Browser, app_server: AppServer) -> Iterator[dict[str, Panel]]:
    """An admin per language, signed in (a token from the service, as the login route
    sets it), each in its own desktop context."""
    tokens: dict[str, str] = {}
    with app_server.database():
        with session_scope() as db:
            for lang in LANGS:
                admin = set_admin(  # owners: every page, the accounts page too
                    db,
                    username=f"i18n-{lang}",
                    password=PASSWORD,
                    reactivate=True,
                    role=AdminRole.OWNER,
                ).admin
                db.flush()
                set_admin_language(db, admin.id, lang)
        for lang in LANGS:
            tokens[lang] = admin_auth.login(
                username=f"i18n-{lang}", password=PASSWORD, client="e2e-i18n"
            ).token
    contexts = []
    try:
        result = {}
        for lang in LANGS:
            context = browser.new_context(viewport=DESKTOP)
            context.set_default_timeout(WAIT)
            context.add_init_script(_WATCH_CHANGES)
            context.add_cookies(
                [
                    _cookie(app_server, TOKEN_COOKIE, tokens[lang], http_only=True),
                    _cookie(app_server, LANGUAGE_COOKIE, lang),
                ]
            )
            contexts.append(context)
            result[lang] = Panel(lang, context.new_page())
        yield result
    finally:
        for context in contexts:
            context.close()
        with app_server.database(), session_scope() as db:
            for lang in LANGS:
                admin = db.exec(select(Admin).where(Admin.username == f"i18n-{lang}")).one()
                set_active(db, admin, False)


def _cookie(server: AppServer, name: str, value: str, *, http_only: bool = False) -> dict:
    return {
        "name": name,
        "value": value,
        "url": server.base_url,
        "httpOnly": http_only,
        "sameSite": "Strict",
    }


@dataclass
class PeopleWrote:
    """The demo's own content where a page does not mark it yet (taken out by value):
    titles, descriptions, names, topics, messages (`values`, longest first) and the
    practice questions, shown in pieces around their formulas (`questions`)."""

    values: list[str]
    questions: list[str]


@pytest.fixture(scope="module")
def people_wrote(app_server: AppServer) -> PeopleWrote:
    values: set[str] = set()
    questions: set[str] = set()
    with app_server.database(), session_scope(readonly=True) as db:
        for exam in db.exec(select(Exam)):
            values.update(v for v in (exam.title, exam.description) if v)
        for student in db.exec(select(Student)):
            values.update(v for v in (student.first_name, student.last_name, student.username) if v)
        for admin in db.exec(select(Admin)):
            values.add(admin.username)
        for topic in db.exec(select(PracticeTopic)):
            values.update(v for v in (topic.name, getattr(topic, "code", None)) if v)
        for question in db.exec(select(PracticeQuestion)):
            questions.update(v for v in vars(question).values() if isinstance(v, str) and v)
        for broadcast in db.exec(select(Broadcast)):
            values.update(v for v in vars(broadcast).values() if isinstance(v, str) and v)
        for group in db.exec(select(StudentGroup)):
            values.add(group.name)
        for entry in db.exec(select(RosterEntry)):
            values.update(v for v in (entry.full_name, entry.username, entry.phone) if v)
    return PeopleWrote(
        values=sorted((v.strip() for v in values if len(v.strip()) >= 3), key=len, reverse=True),
        questions=sorted(questions),
    )


def _without_people(text: str, people: PeopleWrote) -> str:
    """`text` without the people's content and what is not text; "" if it is a piece
    of a practice question."""
    if LIBRARIES.match(text) or any(text in question for question in people.questions):
        return ""
    if text.startswith(('{"', "[{")):  # an audit entry's details: codes and values
        return ""
    text = NOT_TEXT.sub(" ", text)
    for value in people.values:
        if value in text:
            text = text.replace(value, " ")
    return text


def _english_words(text: str, *, also_allowed: frozenset[str] = frozenset()) -> list[str]:
    return [w for w in WORD.findall(text) if w not in TERMS and w not in also_allowed]


def _settle(panels: dict[str, Panel], ready: str = "#admin-name") -> None:
    for panel in panels.values():
        panel.page.wait_for_function(_SETTLED, arg=[ready, QUIET_MS], polling=150, timeout=WAIT)


def _visit(
    panels: dict[str, Panel], url: str, ready: str = "#admin-name", data: str | None = None
) -> None:
    """Open `url` in the three pages at once (a new document the first time, then a
    move inside the app) and wait until all three show `data` and have settled."""
    for panel in panels.values():
        if panel.page.url.startswith("http"):
            panel.page.evaluate(_NAVIGATE, url)
        else:
            panel.page.goto(url, wait_until="commit")
    _data_in(panels, data)
    _settle(panels, ready)
    for panel in panels.values():
        assert panel.page.url.rstrip("/") == url.rstrip("/"), panel.page.url


def _gather(panels: dict[str, Panel]) -> dict[str, list[str]]:
    return {lang: panel.page.evaluate(_GATHER) for lang, panel in panels.items()}


def _findings(where: str, shown: dict[str, list[str]], people: PeopleWrote) -> list[str]:
    """What is left in English on this page, per language (and a page not in its
    language at all: nothing Cyrillic in ru, or uz shown exactly as en)."""
    found = []
    if not any(CYRILLIC.search(text) for text in shown["ru"]):
        found.append(f"{where} [ru] no Russian text at all")
    if shown["uz"] == shown["en"]:
        found.append(f"{where} [uz] the page is the English one")
    for text in dict.fromkeys(shown["ru"]):
        words = _english_words(_without_people(text, people))
        if words:
            found.append(f"{where} [ru] {text!r} ({', '.join(words)})")
    english = set(shown["en"])
    for text in dict.fromkeys(shown["uz"]):
        if text not in english:
            continue
        words = _english_words(_without_people(text, people), also_allowed=SAME_IN_UZBEK)
        if words:
            found.append(f"{where} [uz] {text!r} ({', '.join(words)})")
    return found


# What shows that a page's data is in (besides the quiet): its rows, its drawn figures.
PAGE_DATA = {
    "exams": "#exams-table [data-user-content]",
    "new exam": "#layout-sections tbody tr",
    "analysis": "#items-table .item-row",
    "broadcasts": "#broadcasts-table",
    "audit": "#audit-table tbody tr",
    "admins": "#admins-table .admin-row",
    "analytics": "#score-chart .bars .point",
    "students": "#students-table .student-row",
    "practice": "#questions-table .question-row",
    "groups": "#groups-table .group-row",
    "group": "#roster-table .roster-row",
}
TAB_DATA = {"key": "#key-paste", "results": "#results-table .result-row"}


def _pages(base: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(name, url, tabs to open after the first) of every admin page of mockexam/mockexam.py:
    the released and the DTM exam with all their tabs and their item analysis, the
    upcoming one (published, nobody started) up to its Notify tab."""
    yield "exams", base + "/admin", ()
    yield "new exam", base + "/admin/exams/new", ()
    for exam_id, tabs in ((RELEASED, TABS), (UPCOMING, TABS[:3]), (DTM, TABS)):
        yield f"exam {exam_id}", f"{base}/admin/exams/{exam_id}", tabs[1:]
        if exam_id == DTM:  # the released certificate's analysis has the same components
            yield f"analysis {exam_id}", f"{base}/admin/exams/{exam_id}/analysis", ()
        if exam_id == RELEASED:  # its scale (it defined it) and its copying pair
            yield f"integrity {exam_id}", f"{base}/admin/exams/{exam_id}/integrity", ()
    for name in ("broadcasts", "audit", "admins", "analytics", "students", "practice", "groups"):
        yield name, f"{base}/admin/{name}", ()
    yield "group", f"{base}/admin/groups/1", ()  # the demo class, with its roster


def _data_in(panels: dict[str, Panel], *selectors: str | None) -> None:
    for selector in filter(None, selectors):
        for panel in panels.values():
            panel.page.locator(selector).first.wait_for(state="attached")


def _each(panels: dict[str, Panel], action, *data: str | None) -> None:
    """`action(page)` on the three pages, then wait until all three show `data` and
    have settled."""
    for panel in panels.values():
        action(panel.page)
    _data_in(panels, *data)
    _settle(panels)


def test_every_admin_page_is_shown_in_russian_and_uzbek(
    panels: dict[str, Panel], app_server: AppServer, people_wrote: PeopleWrote, browser: Browser
):
    found: list[str] = []
    for name, url, tabs in _pages(app_server.base_url):
        _visit(panels, url, data=PAGE_DATA.get(name.rstrip(" 0123456789")))
        found += _findings(name, _gather(panels), people_wrote)
        for tab in tabs:
            _each(
                panels,
                lambda page, tab=tab: page.click(f"#tab-{tab}"),
                f"#tab-{tab}[aria-selected=true]",
                TAB_DATA.get(tab),
            )
            found += _findings(f"{name} › {tab}", _gather(panels), people_wrote)
        if name == "new exam":
            # The template menu open, then each other template's sections and preview.
            for index, template in ((1, "DTM"), (2, "custom")):
                _each(panels, lambda page: page.click("#layout-template"))
                found += _findings(f"{name} › template menu", _gather(panels), people_wrote)
                _each(
                    panels,
                    lambda page, index=index: page.locator("[role=option]").nth(index).click(),
                )
                found += _findings(f"{name} › {template}", _gather(panels), people_wrote)

    # Signed out: the login page in the language cookie's language.
    signed_out = {}
    for lang in LANGS:
        context = browser.new_context(viewport=DESKTOP)
        context.add_init_script(_WATCH_CHANGES)
        context.add_cookies([_cookie(app_server, LANGUAGE_COOKIE, lang)])
        signed_out[lang] = Panel(lang, context.new_page())
    try:
        _visit(signed_out, app_server.base_url + "/admin/login", ready=HYDRATED_LOGIN)
        found += _findings("login", _gather(signed_out), people_wrote)
    finally:
        for panel in signed_out.values():
            panel.page.context.close()

    assert not found, "English left in the panel:\n" + "\n".join(found)


def test_the_check_finds_english_left_in_russian_and_uzbek():
    people = PeopleWrote(values=["Weekly mock #1 — Mathematics"], questions=["Hisoblang: 2+2"])
    shown = {
        "ru": ["Экзамены", "Results", "Weekly mock #1 — Mathematics", "Hisoblang:", "Rasch, SE"],
        "uz": ["Imtihonlar", "Natijalar", "Save", "Admin", "Rasch"],
        "en": ["Exams", "Results", "Save", "Admin", "Rasch"],
    }
    assert _findings("page", shown, people) == [
        "page [ru] 'Results' (Results)",
        "page [uz] 'Save' (Save)",
    ]
    lost = {"ru": ["Results"], "uz": ["Results"], "en": ["Results"]}
    assert _findings("page", lost, people) == [
        "page [ru] no Russian text at all",
        "page [uz] the page is the English one",
        "page [ru] 'Results' (Results)",
        "page [uz] 'Results' (Results)",
    ]
