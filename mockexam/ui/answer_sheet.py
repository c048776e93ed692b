"""The exam's answer sheet: all typing and tapping in the browser, only changes to the server.

The React side (`assets/answer_sheet.jsx`) keeps every change in
localStorage first (a pending entry with a per-session monotonic `seq`) and
sends batches `{"seq": int, "changes": {label: {"value": str | None,
"flagged": bool | None}}, "load": …, "device": …}` as HTTP POSTs to
`save_url` with `save_token` (mockexam/api.py answers with the ack), or,
without a `save_url`, through `on_save`: then the state answers with a tiny
ack: `ack_seq` (the batch's seq) and `rejected` (label → reason). A pending
entry is dropped only when an ack covers it; unacked ones are re-sent after
a few seconds, when the connection returns and after every page load
(`load_id` changes), merged over `saved`. `on_submit` gets the same batch
plus `"auto": bool` (true when the sheet's own clock, `seconds_left`, ran
out). `on_closed` runs when the HTTP route refuses a save as closed (deadline,
submit) or its credential as no longer good. `SheetBanner` is the "connection
lost" line with the unsent count.

Element ids (for browser tests): `#answer-sheet` (its `data-pending` is the
unsent count), `#q-<n>-<option>` choice buttons (`aria-pressed`),
`#q-<label>` text inputs, `#keypad-<label>` and its keys, `#status-<label>`
(`data-status` = saved | saving | queued | refused | none),
`#refused-<label>`, `#flag-<n>`, `#row-<n>`, `#grid-<n>` (`data-answered`,
`data-flagged`), `#count-answered`, `#count-unanswered`, `#count-flagged`,
`#save-error`, `#submit-exam`, `#submit-dialog`, `#submit-dialog-unanswered`,
`#submit-confirm`, `#submit-cancel`, `#connection-banner`, `#unsent-count`.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx
from reflex.components.core.banner import has_connection_errors
from reflex.event import no_args_event_spec, passthrough_event_spec

from mockexam.ui import theme

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
    # [{label, number, sub_part, kind, options}] in sheet order.
    items: rx.Var[list[dict[str, Any]]]
    # label → {value, flagged} as the server had them at the page load.
    saved: rx.Var[dict[str, dict[str, Any]]]
    # The seq of the last batch the server stored.
    ack_seq: rx.Var[int]
    # label → why the server refused the value sent (shown under the answer).
    rejected: rx.Var[dict[str, str]]
    disabled: rx.Var[bool]
    labels: rx.Var[dict[str, str]]
    colors: rx.Var[dict[str, str]]
    # Seconds until the sheet submits by itself (server clock); re-based on change.
    seconds_left: rx.Var[int]
    # Changes on every page load: merge local pending changes again and re-send them.
    load_id: rx.Var[str]
    # True while the websocket is down (the page's connection errors).
    offline: rx.Var[bool]
    # A server-side failure to store ("not saved yet"); "" when fine.
    save_error: rx.Var[str]
    # Saves as HTTP POSTs here (resolved against the backend), with this credential.
    save_url: rx.Var[str]
    save_token: rx.Var[str]
    # The student's language: the HTTP route's refusals and errors come in it.
    lang: rx.Var[str]

    on_save: rx.EventHandler[passthrough_event_spec(dict)]
    on_submit: rx.EventHandler[passthrough_event_spec(dict)]
    on_closed: rx.EventHandler[no_args_event_spec]


class SheetBanner(rx.Component):
    """ "Connection lost — your answers are kept and will be sent", with the unsent count."""

    library = LIBRARY
    tag = "SheetBanner"

    offline: rx.Var[bool]
    labels: rx.Var[dict[str, str]]


def answer_sheet(**props: Any) -> rx.Component:
    """The answer sheet; `offline` and `colors` default to the page's connection and the theme."""
    props.setdefault("offline", has_connection_errors)
    props.setdefault("colors", SHEET_COLORS)
    return AnswerSheet.create(**props)


def sheet_banner(labels: rx.Var[dict[str, str]] | dict[str, str], **props: Any) -> rx.Component:
    """The connection-lost banner (renders nothing while connected)."""
    props.setdefault("offline", has_connection_errors)
    return SheetBanner.create(labels=labels, **props)


def forget_sheet(sheet_key: str) -> rx.event.EventSpec:
    """Remove the browser's copy of a finished session's pending answers."""
    key = f"{SHEET_STORAGE_PREFIX}{sheet_key}"
    return rx.call_script(f"try {{ window.localStorage.removeItem({key!r}); }} catch (e) {{}}")
