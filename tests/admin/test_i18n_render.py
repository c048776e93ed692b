"""The translated admin pages, rendered without a browser (issue 21 §4).

Each page's component tree is rendered to its React code (what Reflex compiles);
a text child written as a plain string literal there is shown the same in every
language, so apart from terms and language names none may hold a word. The
texts written with `t(…)` are a lookup over {"uz", "ru", "en"} that follows
`AdminState.lang`: the Russian and Uzbek words are in the page.
"""

from __future__ import annotations

import re

import pytest

from mockexam.admin import admins, exams, login, students
from mockexam.admin.health_banner import WORKER_COMMAND
from mockexam.admin.i18n import t
from tests.admin.test_i18n_static import ALLOWED_TERMS

PAGES = {
    "exams": exams.exams_page,
    "admins": admins.admins_page,
    "students": students.students_page,
    "login": login.login_page,
}
# Literal children that are the same in every language.
SAME_IN_EVERY_LANGUAGE = {
    "English",
    "O\\u2018zbekcha",
    "Русский",
    "Telegram id",
    "data-phase",  # props' names
    "data-user-content",
    "reachable",  # the filter's values (compared in the page, not shown)
    "unreachable",
    WORKER_COMMAND,
}
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
WORD = re.compile(r"[A-Za-z]{2,}")


def literal_children(code: str) -> set[str]:
    """String literals that follow a `,` `}` or `)`: children and arguments, not prop
    values (`key:"…"`) nor the language lookup's entries (`["en"] : "…"`)."""
    found = set()
    for match in STRING.finditer(code):
        before = code[: match.start()].rstrip()[-1:]
        text = match.group()[1:-1]
        if before in ",})" and WORD.search(text):
            found.add(text)
    return found


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return {name: str(page()) for name, page in PAGES.items()}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_no_page_text_is_left_in_one_language(rendered, page):
    untranslated = {
        text
        for text in literal_children(rendered[page])
        if text not in SAME_IN_EVERY_LANGUAGE
        and any(word not in ALLOWED_TERMS for word in WORD.findall(text))
    }
    assert not untranslated, f"{page}: {sorted(untranslated)}"


@pytest.mark.parametrize(
    ("page", "russian", "uzbek"),
    [
        ("exams", "Экзамены", "Imtihonlar"),
        ("admins", "Завершить сеансы", "Faolsizlantirish"),
        ("students", "Ученики", "O‘quvchilar"),
        ("login", "Войти", "Kirish"),
    ],
)
def test_the_pages_carry_their_texts_in_russian_and_uzbek(rendered, page, russian, uzbek):
    assert russian in _unescaped(rendered[page]), page
    assert uzbek in _unescaped(rendered[page]), page


def _unescaped(code: str) -> str:
    """The page's code with its \\uXXXX escapes read."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), code)


def test_the_check_catches_a_literal_child():
    import reflex as rx

    code = str(rx.text("Exams", size="2"))
    assert "Exams" in literal_children(code)
    assert not literal_children(str(rx.text(t("Imtihonlar", "Экзамены", "Exams"))))


def test_the_login_page_knows_every_refusal_of_the_login_route():
    from mockexam.api import MISSING_CREDENTIALS, SIGN_IN_UNAVAILABLE
    from mockexam.services.admin_auth import WRONG_CREDENTIALS

    english = {en for _, _, en in login.LOGIN_REASONS}
    assert {str(WRONG_CREDENTIALS), MISSING_CREDENTIALS, SIGN_IN_UNAVAILABLE} <= english
    assert login.worded_reason("Something else.", "ru") == "Something else."


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("ru", "Неверное имя пользователя или пароль."),
        ("uz", "Foydalanuvchi nomi yoki parol noto‘g‘ri."),
        ("en", "Wrong username or password."),
    ],
)
def test_the_login_page_words_the_refusal_in_its_language(db_url, lang, shown):
    from urllib.parse import quote

    from reflex.istate.data import RouterData

    from mockexam.admin.auth import LOGIN_ERROR_COOKIE, LOGIN_ROUTE
    from tests.admin.helpers import make_state, run

    state = make_state(login.LoginState, path=LOGIN_ROUTE)
    state.lang = lang
    reason = quote("Wrong username or password.")
    state.router = RouterData.from_router_data(
        {"pathname": LOGIN_ROUTE, "headers": {"cookie": f"{LOGIN_ERROR_COOKIE}={reason}"}}
    )
    run(login.LoginState.load, state)
    assert state.error == shown


def test_an_admin_reading_russian_gets_the_admins_pages_notices_and_refusals_in_russian(admin):
    from sqlmodel import select

    from mockexam.db import session_scope
    from mockexam.models import Admin
    from mockexam.services.admins import set_admin_language
    from tests.admin.helpers import admin_token, make_state, run

    admin_token("bob")
    with session_scope() as db:
        set_admin_language(db, admin.admin_id, "ru")
        bob_id = db.exec(select(Admin.id).where(Admin.username == "bob")).one()
    state = make_state(admins.AdminsState, path=admins.ADMINS_ROUTE, token=admin.token)
    run(admins.AdminsState.load, state)
    assert state.lang == "ru"

    run(admins.AdminsState.deactivate, state, admin.admin_id)
    assert state.error == "Нельзя деактивировать самого себя."
    run(admins.AdminsState.deactivate, state, bob_id)
    assert state.error == "" and state.notice == "bob деактивирован; завершено сеансов: 1."


@pytest.mark.parametrize(
    ("lang", "seconds", "text"),
    [
        ("en", 180, "Its last sweep was 3 min ago."),
        ("ru", 180, "Последний раз он работал 3 минуты назад."),
        ("ru", 61, "Последний раз он работал 61 секунду назад."),
        ("ru", 5 * 3600, "Последний раз он работал 5 часов назад."),
        ("ru", 21 * 86400, "Последний раз он работал 21 день назад."),
        ("uz", 3 * 86400, "Oxirgi marta 3 kun oldin ishlagan."),
    ],
)
def test_the_worker_banner_says_when_it_last_ran_in_the_admins_language(lang, seconds, text):
    from mockexam.admin.health_banner import last_sweep_text

    assert last_sweep_text(lang, seconds) == text
