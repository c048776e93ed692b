"""A live countdown that trusts the server's clock, not the device's.

The server sends the number of seconds left; the browser only measures how
much time has passed since (a monotonic clock), so a wrong phone clock cannot
move an exam. The React component lives in `assets/countdown.jsx`.
"""

from __future__ import annotations

import reflex as rx
from reflex.event import no_args_event_spec


class Countdown(rx.Component):
    """`2d 03:14:07` counting down from `seconds`; `on_done` fires at zero."""

    library = "$/public/countdown.jsx"
    tag = "Countdown"

    # Seconds left when the value was sent; a new value restarts the count.
    seconds: rx.Var[int]
    # Shown once the count reaches zero.
    done_text: rx.Var[str]
    on_done: rx.EventHandler[no_args_event_spec]


countdown = Countdown.create
