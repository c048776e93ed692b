"""The exam's answer sheet: all typing and tapping in the browser, only changes to the server.

The React side (`assets/answer_sheet.jsx`) keeps every change in
localStorage first (a pending entry with a per-session monotonic `seq`) and
sends batches `{"seq": int, "changes": {label: {"value": str | None,
"flagged": bool | None}}, "load": …, "device": …}` as HTTP POSTs to
`save_url` with `save_token` (mockexam/api.py answers with the ack: the
batch's seq and the refused labels with why). A pending entry is dropped only
when an ack covers it; unacked ones are re-sent after a few seconds, when the
connection returns and after every page load (`load_id` changes), merged over
`saved`. The submit posts the same batch plus `"auto": bool` (true when the
sheet's own clock, `seconds_left`, ran out) to `save_url + "/submit"`; once it
is answered, `SheetGate` shows the page's waiting view. `on_closed` runs when
the route refuses a save as closed (deadline, submit) or its credential as no
longer good. `SheetBanner` is the "connection lost" line with the unsent count.

Element ids (for browser tests): `#answer-sheet` (its `data-pending` is the
unsent count), `#q-<n>-<option>` choice buttons (`aria-pressed`),
`#q-<label>` text inputs, `#keypad-<label>` and its keys, `#status-<label>`
(`data-status` = saved | saving | queued | refused | none),
`#refused-<label>`, `#flag-<n>`, `#row-<n>`, `#grid-<n>` (`data-answered`,
`data-flagged`), `#count-answered`, `#count-unanswered`, `#count-flagged`,
`#save-error`, `#submit-exam`, `#submit-dialog`, `#submit-dialog-unanswered`,
`#submit-confirm`, `#submit-cancel`, `#connection-banner`, `#unsent-count`;
per layout section `#section-<i>` (its rows), `#section-title-<i>`, `#section-note-<i>`
and `#grid-section-<i>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import reflex as rx
from reflex.components.core.banner import has_connection_errors
from reflex.event import no_args_event_spec

from mockexam.scoring.points import format_points
from mockexam.ui import theme
from mockexam.ui.countdown import Countdown
from mockexam.ui.i18n import LANGUAGE_CODES, count_word, pick

LIBRARY = "$/public/answer_sheet.jsx"
SHEET_STORAGE_PREFIX = "mockexam:sheet:"  # as in assets/sheet_sync.jsx

# The sheet's colours: Telegram's theme inside Telegram, the radix theme outside.
SHEET_COLORS: dict[str, str] = {
    "bg": theme.BG,
    "section": theme.SECTION_BG,
    "secondaryBg": theme.SECONDARY_BG,
    "text": theme.TEXT,
    "hint": theme.HINT,
    "button": theme.BUTTON,
    "buttonText": theme.BUTTON_TEXT,
    "destructive": theme.DESTRUCTIVE,
}


class SheetLabels(TypedDict):
    """The sheet's words in the student's language; `{n}` is replaced by a count."""

    answered: str
    unanswered: str
    flagged: str
    flag: str
    unflag: str
    saved: str
    saving: str
    queued: str
    refused: str
    placeholder: str
    submit: str
    submitting: str
    confirmTitle: str  # camelCase: the React prop names
    confirmUnanswered: str
    confirmAllAnswered: str
    confirmFlagged: str
    confirmFinal: str
    cancel: str
    confirm: str
    offline: str
    unsent: str
    notSaved: str  # a save got no answer (network, timeout): shown while it is re-sent


LABEL_KEYS: tuple[str, ...] = tuple(SheetLabels.__annotations__)


class AnswerSheet(rx.Component):
    """The answer sheet (see the module docstring for the protocol and element ids)."""

    library = LIBRARY
    tag = "AnswerSheet"

    # localStorage namespace of this exam session's pending changes.
    session_key: rx.Var[str]
    # [{label, number, sub_part, kind, options, section}] in sheet order.
    items: rx.Var[list[dict[str, Any]]]
    # The layout's sections in sheet order, [{index, titles: {uz, ru, en}, notes: {uz, ru,
    # en}}] (notes: "1,1 ball har biri"); each a heading and its own block of the grid and
    # the rows (items name theirs by `section`). Empty: one block without a heading.
    sections: rx.Var[list[dict[str, Any]]]
    # A preview (the admin's layout builder): taps and typing stay in the browser, no
    # storage, no saves, no clock, no submit button.
    preview: rx.Var[bool]
    # label → {value, flagged} as the server had them at the page load.
    saved: rx.Var[dict[str, dict[str, Any]]]
    disabled: rx.Var[bool]
    labels: rx.Var[dict[str, str]]
    colors: rx.Var[dict[str, str]]
    # Seconds until the sheet submits by itself (server clock); re-based on change.
    seconds_left: rx.Var[int]
    # Seconds until the window closes (the results): the waiting view's countdown after a
    # submit over HTTP (SheetGate), re-based on change.
    results_in: rx.Var[int]
    # Changes on every page load: merge local pending changes again and re-send them.
    load_id: rx.Var[str]
    # True while the websocket is down (the page's connection errors).
    offline: rx.Var[bool]
    # Saves as HTTP POSTs here (resolved against the backend), with this credential.
    save_url: rx.Var[str]
    save_token: rx.Var[str]
    # The student's language: the HTTP route's refusals and errors come in it.
    lang: rx.Var[str]

    on_closed: rx.EventHandler[no_args_event_spec]


class SheetGate(rx.Component):
    """Its children only while the sheet of `session_key` is as `show` says: "running" (not
    submitted from this page), "submitted" (over HTTP, from this page), "auto" (submitted by
    the clock), "counting" (submitted, the results to come), "due" (submitted, the window
    closed). The page's phase stays "in progress" until its next read; the gate is what
    switches it to the waiting view at once."""

    library = LIBRARY
    tag = "SheetGate"

    session_key: rx.Var[str]
    show: rx.Var[str]


class SheetNotice(rx.Component):
    """Why changes sent with the submit were not stored (from its answer); else nothing."""

    library = LIBRARY
    tag = "SheetNotice"

    session_key: rx.Var[str]


class SubmittedCountdown(Countdown):
    """The countdown to the results after a submit over HTTP (the sheet knows the seconds)."""

    library = LIBRARY
    tag = "SubmittedCountdown"

    session_key: rx.Var[str]


class SheetBanner(rx.Component):
    """ "Connection lost — your answers are kept and will be sent", with the unsent count."""

    library = LIBRARY
    tag = "SheetBanner"

    offline: rx.Var[bool]
    labels: rx.Var[dict[str, str]]


def _range(first: int, last: int) -> str:
    return f"{first}–{last}" if last > first else str(first)


def _options_text(options: Sequence[str]) -> str:
    """ "A–D" for consecutive letters from A, else the options listed: "A, B, X"."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if len(options) > 2 and "".join(options) == letters[: len(options)]:
        return f"{options[0]}–{options[-1]}"
    return ", ".join(options)


def _parts_text(parts: Sequence[str], conjunction: str) -> str:
    named = [f"{part})" for part in parts]
    if len(named) == 1:
        return named[0]
    return f"{', '.join(named[:-1])} {conjunction} {named[-1]}"


def section_rule(
    *, kind: str, options: Sequence[str], parts: Sequence[str], first: int, last: int, lang: str
) -> str:
    """The lobby's rule line of a section: "1–35: bitta variant (A–D).", "36–45: a) va b)
    javoblarini yozing." in `lang`."""
    span = _range(first, last)
    if kind == "mcq":
        choices = _options_text(options)
        return pick(
            lang,
            f"{span}: bitta variant ({choices}).",
            f"{span}: один вариант ({choices}).",
            f"{span}: one option ({choices}).",
        )
    if parts:
        return pick(
            lang,
            f"{span}: {_parts_text(parts, 'va')} javoblarini yozing.",
            f"{span}: впишите ответы {_parts_text(parts, 'и')}.",
            f"{span}: type the {_parts_text(parts, 'and')} answers.",
        )
    return pick(
        lang,
        f"{span}: javobni yozing.",
        f"{span}: впишите ответ.",
        f"{span}: type the answer.",
    )


def section_note(
    *, kind: str, parts: Sequence[str], points: float, first: int, last: int, lang: str
) -> str:
    """Under a section's heading: "1–10 · har biri 1,1 ball", "11–20 · 1,1 балла за задание",
    "36–45 · 1 point per part"."""
    amount = format_points(points, lang)
    word = count_word(
        lang, points, uz="ball", ru=("балл", "балла", "баллов"), en=("point", "points")
    )
    span = _range(first, last)
    if kind == "free" and len(parts) > 1:
        each = pick(
            lang,
            f"har bir qismi {amount} {word}",
            f"{amount} {word} за каждую часть",
            f"{amount} {word} per part",
        )
    else:
        each = pick(
            lang,
            f"har biri {amount} {word}",
            f"{amount} {word} за задание",
            f"{amount} {word} each",
        )
    return f"{span} · {each}"


def sheet_section(
    *,
    index: int,
    titles: Mapping[str, str],
    kind: str,
    options: Sequence[str],
    parts: Sequence[str],
    points: float,
    first: int,
    last: int,
) -> dict[str, Any]:
    """One entry of the sheet's `sections` prop: titles, notes and lobby rules in uz/ru/en."""
    uz = titles.get("uz") or next(iter(titles.values()), "")

    def each(build: Any) -> dict[str, str]:
        return {lang: build(lang) for lang in LANGUAGE_CODES}

    return {
        "index": index,
        "titles": {lang: titles.get(lang) or uz for lang in LANGUAGE_CODES},
        "notes": each(
            lambda lang: section_note(
                kind=kind, parts=parts, points=points, first=first, last=last, lang=lang
            )
        ),
        "rules": each(
            lambda lang: section_rule(
                kind=kind, options=options, parts=parts, first=first, last=last, lang=lang
            )
        ),
    }


def layout_sections(layout: Any) -> list[dict[str, Any]]:
    """The sheet's `sections` prop for a `scoring.layout.Layout` (numbers from its firsts)."""
    return [
        sheet_section(
            index=index,
            titles=section.titles,
            kind=section.kind,
            options=section.options,
            parts=section.parts,
            points=section.points,
            first=first,
            last=first + section.count - 1,
        )
        for index, (section, first) in enumerate(zip(layout.sections, layout.firsts(), strict=True))
    ]


def answer_sheet(**props: Any) -> rx.Component:
    """The answer sheet; `offline` and `colors` default to the page's connection and the theme."""
    props.setdefault("offline", has_connection_errors)
    props.setdefault("colors", SHEET_COLORS)
    return AnswerSheet.create(**props)


def sheet_banner(labels: rx.Var[dict[str, str]] | dict[str, str], **props: Any) -> rx.Component:
    """The connection-lost banner (renders nothing while connected)."""
    props.setdefault("offline", has_connection_errors)
    return SheetBanner.create(labels=labels, **props)


def sheet_clock(clock: rx.Component, *, clock_id: str) -> rx.Component:
    """The sheet's clock in its header: a timer icon and `clock` (a countdown) in a pill."""
    return rx.hstack(
        rx.icon("timer", size=16, color=theme.HINT),
        rx.text(clock, size="4", weight="bold", style={"font_variant_numeric": "tabular-nums"}),
        align="center",
        spacing="1",
        padding_x="0.7rem",
        padding_y="0.3rem",
        border_radius="999px",
        background_color=theme.SECONDARY_BG,
        id=clock_id,
    )


def forget_sheet(sheet_key: str) -> rx.event.EventSpec:
    """Remove the browser's copy of a finished session's pending answers."""
    key = f"{SHEET_STORAGE_PREFIX}{sheet_key}"
    return rx.call_script(f"try {{ window.localStorage.removeItem({key!r}); }} catch (e) {{}}")


def sheet_gate(*children: rx.Component, session_key: rx.Var[str], show: str) -> rx.Component:
    """`children` only while the sheet of `session_key` is as `show` says (SheetGate)."""
    return SheetGate.create(*children, session_key=session_key, show=show)


def sheet_notice(session_key: rx.Var[str], **props: Any) -> rx.Component:
    """The submit's notice of changes not stored (SheetNotice)."""
    return SheetNotice.create(session_key=session_key, **props)


def submitted_countdown(session_key: rx.Var[str], **props: Any) -> rx.Component:
    """The results countdown after a submit over HTTP (SubmittedCountdown)."""
    return SubmittedCountdown.create(session_key=session_key, **props)
