"""Practice's sheet: one question at a time, Markdown + KaTeX, answers synced like the exam's.

The React side (`assets/practice_sheet.jsx`) shares the exam sheet's sync
(`assets/sheet_sync.jsx`) and its transport: every change goes to localStorage
first, then as an HTTP POST to `save_url` with `save_token` (mockexam/api.py,
`/api/sheet/practice/<id>`: a batch `{"seq", "changes": {label: {"value": str |
None, "flagged": None}}, "device", "load"}`, answered with the ack); unacked
changes are re-sent, and the submit (a tap, or the clock `seconds_left` at zero)
goes to `save_url + "/submit"` with `"auto"`. Once it is answered the sheet calls
`on_submitted` (the page reads its results); a save refused as closed, or a
credential no longer good, calls `on_closed`. Labels are the questions'
positions ("1" … "10").

The student's place: the sheet shows one question at a time, and a new page
state (a reload, a backend restart: the page's states are then rebuilt from
the database) remounts it. So every move is kept twice: in localStorage
(`PLACE_PREFIX` + the session key, at once, even offline) and on the server
through `on_move(label)` (the session's `current_position`). On each page load
the sheet opens at this browser's place, else at `position` (the server's:
another device, cleared storage), and tells the server if it was behind.

Items: `[{label, kind, text, options, image_url, topic, difficulty}]`, no
answer key. Element ids (browser tests): `#practice-sheet` (`data-pending`),
`#practice-progress`, `#pnav-<label>` (`data-answered`), `#pq-<label>`
(`data-kind`), `#ptext-<label>`, `#pimage-<label>`, `#popt-<label>-<letter>`
(`aria-pressed`), `#pinput-<label>`, `#status-<label>`, `#refused-<label>`,
`#question-position`, `#practice-prev`, `#practice-next`,
`#practice-finish`, `#practice-finish-early`, `#submit-dialog`,
`#submit-confirm`, `#submit-cancel`, `#save-error`.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx
from reflex.components.core.banner import has_connection_errors
from reflex.event import no_args_event_spec, passthrough_event_spec

from mockexam.ui.answer_sheet import SHEET_COLORS

LIBRARY = "$/public/practice_sheet.jsx"
PLACE_PREFIX = "mockexam:place:"  # as in assets/practice_sheet.jsx
# The Markdown stack rx.markdown uses (reflex-components-markdown), so one copy is bundled.
MARKDOWN_PACKAGES = ["react-markdown@10.1.0", "remark-math@6.0.0", "rehype-katex@7.0.1"]


class PracticeLabels(TypedDict):
    """The sheet's words in the student's language; `{n}` is replaced by a count."""

    question: str
    level: str
    placeholder: str
    freeHint: str  # camelCase: the React prop names
    prev: str
    next: str
    submit: str
    submitting: str
    confirmTitle: str
    confirmUnanswered: str
    confirmAllAnswered: str
    confirmFinal: str
    cancel: str
    confirm: str
    saved: str
    saving: str
    queued: str
    refused: str
    notSaved: str  # a save got no answer (network, timeout): shown while it is re-sent


class PracticeSheet(rx.Component):
    """The practice sheet (see the module docstring for the protocol and element ids)."""

    library = LIBRARY
    tag = "PracticeSheet"
    lib_dependencies: list[str] = MARKDOWN_PACKAGES

    session_key: rx.Var[str]
    items: rx.Var[list[dict[str, Any]]]
    saved: rx.Var[dict[str, dict[str, Any]]]
    labels: rx.Var[dict[str, str]]
    colors: rx.Var[dict[str, str]]
    seconds_left: rx.Var[int]
    load_id: rx.Var[str]
    offline: rx.Var[bool]
    position: rx.Var[str]  # the label the server last heard the student was on
    # Saves and the submit as HTTP POSTs here (resolved against the backend), with this
    # credential; the route's refusals and errors come in `lang`.
    save_url: rx.Var[str]
    save_token: rx.Var[str]
    lang: rx.Var[str]

    on_move: rx.EventHandler[passthrough_event_spec(str)]
    on_closed: rx.EventHandler[no_args_event_spec]
    on_submitted: rx.EventHandler[no_args_event_spec]


class MathText(rx.Component):
    """Markdown with `$…$` / `$$…$$` math (KaTeX), no raw HTML: question texts and options."""

    library = LIBRARY
    tag = "MathText"
    lib_dependencies: list[str] = MARKDOWN_PACKAGES

    text: rx.Var[str]


def practice_sheet(**props: Any) -> rx.Component:
    """The practice sheet; `offline` and `colors` default to the connection and the theme."""
    props.setdefault("offline", has_connection_errors)
    props.setdefault("colors", SHEET_COLORS)
    return PracticeSheet.create(**props)


def forget_place(session_key: str) -> rx.event.EventSpec:
    """Remove the browser's note of the question a finished session was on."""
    key = f"{PLACE_PREFIX}{session_key}"
    return rx.call_script(f"try {{ window.localStorage.removeItem({key!r}); }} catch (e) {{}}")


def math_text(text: str | rx.Var[str], **props: Any) -> rx.Component:
    """A question, option or explanation rendered as Markdown with math."""
    return MathText.create(text=text, **props)
