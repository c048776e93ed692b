"""The product's three languages (Uzbek Latin, Russian, English), for both apps.

Every string is written once, at the place it is shown, in all three languages.
`make_tr(lang_var)` gives an app its `tr("Salom", "Привет", "Hello")`: a Var that
follows the app's language Var (a client-side lookup, so a language switch
changes every text at once without a round trip and nothing can be left
untranslated). `pick` is the same for text built on the server, `russian_form`
and `count_word` choose the word form after a number (1 минута, 3 минуты,
5 минут; 1 minute, 3 minutes; Uzbek has one form after a numeral).
The Mini App uses it through mockexam/student/i18n.py, the admin panel through
mockexam/admin/i18n.py.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

LANGUAGE_CODES: tuple[str, ...] = ("uz", "ru", "en")
LANGUAGES: tuple[tuple[str, str], ...] = (("uz", "O‘zbekcha"), ("ru", "Русский"), ("en", "English"))


def known_language(value: object, default: str = "uz") -> str:
    """`value` if it is one of the three language codes, else `default`."""
    return value if isinstance(value, str) and value in LANGUAGE_CODES else default


def pick(lang: str, uz: str, ru: str, en: str) -> str:
    """The server-side twin of `tr`, for text built in an event handler (Uzbek by default)."""
    return {"ru": ru, "en": en}.get(lang, uz)


def make_tr(lang: rx.Var[str]) -> Callable[[str, str, str], rx.Var[str]]:
    """`tr(uz, ru, en)` following the language Var `lang`."""

    def tr(uz: str, ru: str, en: str) -> rx.Var[str]:
        """A text in the reader's language (a client-side lookup)."""
        return rx.Var.create({"uz": uz, "ru": ru, "en": en})[lang].to(str)

    return tr


def make_texts(lang: rx.Var[str]) -> Callable[..., rx.Var[dict[str, str]]]:
    """`texts(key=(uz, ru, en), …)` → {key: text} in the reader's language, as one Var
    (the labels handed to a React component as one prop)."""

    def texts(**by_key: tuple[str, str, str]) -> rx.Var[dict[str, str]]:
        by_lang = {
            code: {key: value[index] for key, value in by_key.items()}
            for index, code in enumerate(LANGUAGE_CODES)
        }
        return rx.Var.create(by_lang)[lang].to(dict)

    return texts


def russian_form(n: float, one: str, few: str, many: str) -> str:
    """Russian's word form after the number `n`: 1, 21 минута; 2–4, 22 минуты; 5–20, 11–14
    минут; a fraction takes the "few" form (143,7 балла)."""
    if n != int(n):
        return few
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count_word(
    lang: str, n: float, *, uz: str, ru: tuple[str, str, str], en: tuple[str, str]
) -> str:
    """The word after a count in `lang`, on the server: (ru, 3) → ru[1], (en, 1) → en[0]."""
    if lang == "ru":
        return russian_form(n, *ru)
    if lang == "en":
        return en[0] if n == 1 else en[1]
    return uz


def make_count_text(default_lang: rx.Var[str]) -> Callable[..., rx.Var[str]]:
    """`count_text(n, uz=…, ru=(one, few, many), en=(one, other))`: the word after a count,
    in the reader's language; `n` may be a Var (the form is then chosen in the browser by
    the same rule as `russian_form`)."""

    def count_text(
        n: int | rx.Var[int],
        *,
        uz: str,
        ru: tuple[str, str, str],
        en: tuple[str, str],
        lang: rx.Var[str] | None = None,
    ) -> rx.Var[str]:
        lang = default_lang if lang is None else lang
        if isinstance(n, int):
            forms = {"uz": uz, "ru": russian_form(n, *ru), "en": en[0] if n == 1 else en[1]}
            return rx.Var.create(forms)[lang].to(str)
        ones, hundreds = n % 10, n % 100
        russian = rx.cond(
            (ones == 1) & (hundreds != 11),
            ru[0],
            rx.cond((ones >= 2) & (ones <= 4) & ((hundreds < 12) | (hundreds > 14)), ru[1], ru[2]),
        )
        english = rx.cond(n == 1, en[0], en[1])
        return rx.match(lang, ("ru", russian), ("en", english), uz).to(str)

    return count_text


# The word after a number of minutes (`count_text(n, **MINUTES)`).
MINUTES = {"uz": " daqiqa", "ru": (" минута", " минуты", " минут"), "en": (" minute", " minutes")}
