"""Heartbeats: when each background job of this installation last ran.

The consumer's periodic sweep beats `sweep` every tick; a backup beats `backup`
with where it went. A beat older than its allowance means the job is not
running: `/health`, `python -m mockexam doctor` and the admin panel's banner
all judge that here, with the same rule, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from mockexam.config import settings
from mockexam.db import insert_for, utcnow
from mockexam.models import Heartbeat

SWEEP = "sweep"
BACKUP = "backup"
# The sweep ticks every SWEEP_INTERVAL_SECONDS; two missed ticks, plus one more
# interval (at least 5 s) for a tick that waited behind a busy worker thread,
# mean the consumer is not running: 45 s at the default 15 s interval.
SWEEP_MISSED_TICKS = 2
MIN_SLACK_SECONDS = 5


@dataclass(frozen=True, slots=True)
class Beat:
    """The last beat of one job (None when it never ran here)."""

    name: str
    at: datetime | None
    detail: str = ""

    def age_seconds(self, now: datetime) -> float | None:
        return None if self.at is None else max(0.0, (now - self.at).total_seconds())


def beat(db: Session, name: str, *, detail: str = "", now: datetime | None = None) -> None:
    """Record that job `name` ran now (one row per job, overwritten)."""
    at = now or utcnow()
    table = Heartbeat.__table__
    stmt = insert_for(db, table).values(name=name, beat_at=at, detail=detail[:500])
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.name], set_={"beat_at": at, "detail": detail[:500]}
    )
    db.exec(stmt)  # type: ignore[call-overload]


def last_beat(db: Session, name: str) -> Beat:
    row = db.get(Heartbeat, name)
    if row is None:
        return Beat(name=name, at=None)
    return Beat(name=name, at=row.beat_at, detail=row.detail)


def sweep_allowance_seconds() -> float:
    """How old the sweep's beat may be before the consumer counts as stopped."""
    interval = settings.sweep_interval_seconds
    return SWEEP_MISSED_TICKS * interval + max(MIN_SLACK_SECONDS, interval)


def sweep_fresh(age_seconds: float | None) -> bool:
    """Whether a sweep beat `age_seconds` old means the consumer runs (None: it never ran)."""
    return age_seconds is not None and age_seconds <= sweep_allowance_seconds()


def stale_after(name: str) -> timedelta:
    """The allowance of job `name` (a backup is nightly: a day and a few hours)."""
    if name == BACKUP:
        return timedelta(hours=26)
    return timedelta(seconds=sweep_allowance_seconds())
