"""Transactions for entry points: a service call wrapped in its own `session_scope`.

UI handlers (admin and student pages) never open sessions or build queries
themselves: they hand `in_session(lambda db: service(db, …))` to
`rx.run_in_thread`, and the service does the reading and writing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from mockexam.db import session_scope

T = TypeVar("T")


def in_session(fn: Callable[[Session], T], *, readonly: bool = False) -> Callable[[], T]:
    """`fn(db)` inside its own transaction (committed unless `readonly`), as a no-argument call."""

    def run() -> T:
        with session_scope(readonly=readonly) as db:
            return fn(db)

    return run
