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
    "data-phase",  # a prop's name
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
