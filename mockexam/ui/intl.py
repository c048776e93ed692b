"""Dates and numbers shown in the student's language and the device's time zone.

The server keeps and sends UTC; only the browser knows the student's time
zone, so the formatting happens there with `Intl` (`assets/intl.jsx`).
Languages: "uz" (uz-Latn-UZ, with a built-in table if the browser lacks
Uzbek), "ru" (ru-RU), "en" (en-GB); anything else is shown as "en".
Both components render "" until mounted in the browser (no formatting in the
build-time pre-render), then the text.
"""

from __future__ import annotations

from typing import Literal

import reflex as rx

DateVariant = Literal["date", "datetime", "time", "month"]


class LocalDateTime(rx.Component):
    """A `<time>` with a UTC ISO timestamp in the device's time zone.

    Props:
        iso: UTC ISO-8601 text ("2026-11-22T09:00:00Z"; without an offset it
            is read as UTC too); "" or invalid shows nothing.
        lang: "uz" | "ru" | "en".
        variant: "date" (22 Nov 2026), "datetime" (Sun 22 Nov, 14:00),
            "time" (14:00), "month" (Nov 2026).
    """

    library = "$/public/intl.jsx"
    tag = "LocalDateTime"

    iso: rx.Var[str]
    lang: rx.Var[str]
    variant: rx.Var[str]


class LocalNumber(rx.Component):
    """A number with the language's separators (12 345,7 in uz/ru; 12,345.7 in en).

    Props:
        value: the number (None/"" shows nothing).
        lang: "uz" | "ru" | "en".
        digits: fixed number of decimals.
    """

    library = "$/public/intl.jsx"
    tag = "LocalNumber"

    value: rx.Var[float]
    lang: rx.Var[str]
    digits: rx.Var[int]


def local_datetime(
    iso: str | rx.Var[str],
    lang: str | rx.Var[str],
    variant: DateVariant | rx.Var[str] = "datetime",
    **props: object,
) -> rx.Component:
    """A UTC timestamp shown in the device's time zone (see `LocalDateTime`)."""
    return LocalDateTime.create(iso=iso, lang=lang, variant=variant, **props)


def local_number(
    value: float | int | rx.Var[float] | rx.Var[int],
    lang: str | rx.Var[str],
    digits: int | rx.Var[int] = 0,
    **props: object,
) -> rx.Component:
    """A number formatted for `lang` (see `LocalNumber`)."""
    return LocalNumber.create(value=value, lang=lang, digits=digits, **props)
