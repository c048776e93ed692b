"""A live countdown to a deadline the server knows.

The server sends the number of seconds left. The browser turns each new
value into a deadline once (its clock + seconds) and ticks against it, so a
phone that slept or a hidden tab shows the right figure again on waking; a
wrong phone clock cannot move the deadline because only the difference is
used. `on_visible` fires whenever the page becomes visible again (tab shown,
phone woken, Mini App reopened) so the state can resend the true remaining
seconds. `clock_gate` shows its children only before (or from) the moment such a
count reaches zero, switching in the browser with no event. The React components
live in `assets/countdown.jsx`.
"""

from __future__ import annotations

import reflex as rx
from reflex.event import no_args_event_spec


class Countdown(rx.Component):
    """`2d 03:14:07` counting down from `seconds`; `on_done` fires at zero.

    Props:
        seconds: seconds left when the value was sent; a new value restarts
            the count (send the same figure twice and nothing restarts).
        done_text: shown once the count reaches zero.
        day_suffix: the letter after the day count ("k" uz, "д" ru, "d" en).
        warn_below: when 0 < left <= warn_below the text turns red
            (`var(--red-11)`) and flashes (no flashing under
            prefers-reduced-motion); 0 never warns.
    Events:
        on_done: the count reached zero (once per `seconds` value > 0).
        on_visible: the page became visible again; resend `seconds`.
    """

    library = "$/public/countdown.jsx"
    tag = "Countdown"

    seconds: rx.Var[int]
    done_text: rx.Var[str]
    day_suffix: rx.Var[str]
    warn_below: rx.Var[int]
    on_done: rx.EventHandler[no_args_event_spec]
    on_visible: rx.EventHandler[no_args_event_spec]


countdown = Countdown.create


class ClockGate(rx.Component):
    """Its children only before (`show="before"`) or from (`show="after"`) the moment
    `seconds` (sent by the server, counted as Countdown counts) run out."""

    library = "$/public/countdown.jsx"
    tag = "ClockGate"

    seconds: rx.Var[int]
    show: rx.Var[str]


def clock_gate(*children: rx.Component, seconds: rx.Var[int] | int, show: str) -> rx.Component:
    """`children` only before ("before") or from ("after") zero on the server's count."""
    if show not in ("before", "after"):
        raise ValueError(f"show is 'before' or 'after', not {show!r}")
    return ClockGate.create(*children, seconds=seconds, show=show)
