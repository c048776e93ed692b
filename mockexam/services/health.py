"""How this installation is doing right now, for `/health` (an uptime monitor polls it).

One report: the database (reachable, at the head migration), the queue (reachable,
tasks waiting), the consumer (the age of its sweep's heartbeat, judged by
services.heartbeat's one rule) and the last backup. It is cheap: one short-lived
database connection with a connect timeout (so an unreachable server answers in
seconds, not minutes), three small reads, and a queue count.

Anyone may call `/health`, so nothing in the report is a secret or says where
things are: no URLs, hosts, paths, exception texts or a backup's detail, only
fixed phrases (the details go to the log). The queue is counted through a callable
the caller hands in (the Huey instance lives above the services).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from mockexam.config import PROJECT_ROOT, settings
from mockexam.db import session_scope, utcnow
from mockexam.services import heartbeat

logger = logging.getLogger(__name__)

# How long a check may wait to connect to the database or Redis.
CONNECT_TIMEOUT_SECONDS = 3

# The fixed phrases `problems` may hold (the JSON says which part failed).
DATABASE_DOWN = "database down"
SCHEMA_BEHIND = "database not at the head migration"
QUEUE_DOWN = "queue down"
CONSUMER_STALE = "consumer stale"


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    """Whether the database answered, and its schema revision against the code's head."""

    ok: bool
    backend: str
    revision: str | None = None
    head: str | None = None

    @property
    def at_head(self) -> bool | None:
        """True/False, or None when unknown (down, or a schema Alembic never stamped)."""
        if not self.ok or self.revision is None:
            return None
        return self.revision == self.head


@dataclass(frozen=True, slots=True)
class QueueHealth:
    """Whether the task queue answered, and how many tasks wait in it."""

    ok: bool
    backend: str
    pending: int | None = None


@dataclass(frozen=True, slots=True)
class BeatHealth:
    """A background job's last heartbeat: when, how old, and whether that is too old.

    `stale` is None when the database could not be read (nobody knows).
    """

    last_at: datetime | None
    age_seconds: float | None
    allowance_seconds: float
    stale: bool | None


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The whole answer of `/health`."""

    checked_at: datetime
    database: DatabaseHealth
    queue: QueueHealth
    consumer: BeatHealth
    backup: BeatHealth
    backup_configured: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        """The JSON body: plain values, times as ISO 8601 UTC."""
        return {
            "status": "ok" if self.ok else "down",
            "problems": list(self.problems),
            "checked_at": _iso(self.checked_at),
            "database": {
                "ok": self.database.ok,
                "backend": self.database.backend,
                "revision": self.database.revision,
                "head": self.database.head,
                "at_head": self.database.at_head,
            },
            "queue": {
                "ok": self.queue.ok,
                "backend": self.queue.backend,
                "pending": self.queue.pending,
            },
            "consumer": {
                "alive": None if self.consumer.stale is None else not self.consumer.stale,
                "stale": self.consumer.stale,
                "last_sweep_at": _iso(self.consumer.last_at),
                "age_seconds": _rounded(self.consumer.age_seconds),
                "allowance_seconds": self.consumer.allowance_seconds,
            },
            "backup": {
                "configured": self.backup_configured,
                "last_at": _iso(self.backup.last_at),
                "age_seconds": _rounded(self.backup.age_seconds),
                "allowance_seconds": self.backup.allowance_seconds,
                "overdue": self.backup.stale,
            },
        }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


@functools.cache
def head_revision() -> str | None:
    """The newest migration this code ships (read once: the code does not change under us)."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    return ScriptDirectory.from_config(config).get_current_head()


@functools.cache
def probe_engine(url: str) -> Engine:
    """An engine for checks: no pool (nothing stays open between polls), a connect
    timeout, and an SQLite file that must already exist (a check never creates one)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        uri = f"sqlite:///file:{quote(path)}?mode=rw&uri=true"
        return create_engine(
            uri, poolclass=NullPool, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS}
        )
    return create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    )


def backend_name(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else url.split(":", 1)[0].split("+", 1)[0]


@dataclass(frozen=True, slots=True)
class DatabaseReading:
    """What one visit to the database found (the beats are None when it was unreachable)."""

    health: DatabaseHealth
    sweep: heartbeat.Beat | None
    backup: heartbeat.Beat | None
    error: str = ""


def _first_line(err: SQLAlchemyError) -> str:
    lines = str(getattr(err, "orig", None) or err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def read_database(url: str | None = None) -> DatabaseReading:
    """Connect once: the schema revision, then the sweep's and the backup's last beats.

    A database that answers but lacks the heartbeat table (a schema behind the code)
    is up, with the beats unknown.
    """
    url = url or settings.database_url
    backend = backend_name(url)
    head = head_revision()
    sweep = backup = None
    try:
        with probe_engine(url).connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
            try:
                with Session(bind=conn) as db:
                    sweep = heartbeat.last_beat(db, heartbeat.SWEEP)
                    backup = heartbeat.last_beat(db, heartbeat.BACKUP)
            except SQLAlchemyError as err:
                logger.warning("health: the heartbeats could not be read: %s", _first_line(err))
    except SQLAlchemyError as err:
        reason = _first_line(err)
        logger.warning("health: the database could not be read: %s", reason)
        down = DatabaseHealth(ok=False, backend=backend, head=head)
        return DatabaseReading(down, sweep=None, backup=None, error=reason)
    health = DatabaseHealth(ok=True, backend=backend, revision=revision, head=head)
    return DatabaseReading(health, sweep=sweep, backup=backup)


def judge_beat(beat: heartbeat.Beat | None, allowance: float, now: datetime) -> BeatHealth:
    """A beat against its allowance (a job that never beat is stale: it never ran)."""
    if beat is None:
        return BeatHealth(last_at=None, age_seconds=None, allowance_seconds=allowance, stale=None)
    age = beat.age_seconds(now)
    return BeatHealth(
        last_at=beat.at,
        age_seconds=age,
        allowance_seconds=allowance,
        stale=age is None or age > allowance,
    )


def check_queue(pending: Callable[[], int]) -> QueueHealth:
    """Redis answers a ping (with a timeout) and the queue counts its tasks."""
    backend = "redis" if settings.redis_url else "sqlite"
    try:
        if settings.redis_url:
            redis_ping(settings.redis_url)
        return QueueHealth(ok=True, backend=backend, pending=int(pending()))
    except Exception as err:  # any failure of the queue's client means "down"
        logger.warning("health: the queue could not be read: %s", type(err).__name__)
        return QueueHealth(ok=False, backend=backend)


def redis_ping(url: str) -> None:
    """Raise unless Redis at `url` answers PING within the connect timeout."""
    import redis

    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=CONNECT_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def health_report(*, pending: Callable[[], int], now: datetime | None = None) -> HealthReport:
    """Check everything once (blocking: run it in a thread from async code)."""
    reading = read_database()
    queue = check_queue(pending)
    now = now or utcnow()
    consumer = judge_beat(reading.sweep, heartbeat.sweep_allowance_seconds(), now)
    backup = judge_beat(
        reading.backup, heartbeat.stale_after(heartbeat.BACKUP).total_seconds(), now
    )
    problems: list[str] = []
    if not reading.health.ok:
        problems.append(DATABASE_DOWN)
    elif reading.health.at_head is False:
        problems.append(SCHEMA_BEHIND)
    if not queue.ok:
        problems.append(QUEUE_DOWN)
    if consumer.stale:
        problems.append(CONSUMER_STALE)
    return HealthReport(
        checked_at=now,
        database=reading.health,
        queue=queue,
        consumer=consumer,
        backup=backup,
        backup_configured=settings.backup_dir is not None,
        problems=problems,
    )


@dataclass(frozen=True, slots=True)
class ConsumerStatus:
    """Whether the consumer runs (its sweep beat within the allowance) and the beat's age."""

    alive: bool
    age_seconds: float | None  # None: it never ran on this installation


def consumer_status(*, now: datetime | None = None) -> ConsumerStatus:
    """The admin panel's banner: one read of the sweep's heartbeat (the shared engine)."""
    with session_scope(readonly=True) as db:
        beat = heartbeat.last_beat(db, heartbeat.SWEEP)
    age = beat.age_seconds(now or utcnow())
    return ConsumerStatus(alive=heartbeat.sweep_fresh(age), age_seconds=age)


def ago(seconds: float) -> str:
    """`12 s`, `5 min`, `3 h`, `2 days`: an age as a person reads it."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"
