"""Database engines and `session_scope()` for SQLite and PostgreSQL.

SQLite runs in WAL mode with a busy timeout, and write transactions start
with `BEGIN IMMEDIATE` so two writers queue instead of failing when one
upgrades a read lock. PostgreSQL uses row locks (`SELECT … FOR UPDATE`)
where a rule must be checked and written atomically.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlmodel import Session, create_engine

from mockexam.config import settings

logger = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}


def utcnow() -> datetime:
    """Aware UTC now: every timestamp mockexam stores or compares is aware UTC."""
    return datetime.now(UTC)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "isolation_level": None, "timeout": 60},
            pool_size=20,
            max_overflow=40,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    engine = create_engine(url, pool_size=20, max_overflow=40)
    _ping_when_idle(engine)
    return engine


# A pooled connection that sat unused longer than this is pinged before use (a server
# restart or an idle timeout may have closed it). SQLAlchemy's pool_pre_ping pings at
# every checkout: one more round trip per transaction, 8% of an answer save's CPU
# (bench/sheet_path_bench.py). Under load connections never sit that long, so nothing
# is pinged; a connection that died in the last moment fails its statement instead,
# which marks the whole pool stale (SQLAlchemy's disconnect handling): that one
# caller sees the error (the answer sheet re-sends its batch), the next get fresh ones.
PING_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only when it was idle past PING_IDLE_SECONDS."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as err:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError("a pooled connection was closed by the server") from err


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url` (default: settings.database_url), created once per URL."""
    url = url or settings.database_url
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = _make_engine(url)
    return engine


def driver_sql(sql: str) -> str:
    """`sql` with SQLAlchemy's `:name` parameters as the PostgreSQL driver's `%(name)s`."""
    if "%" in sql:
        raise ValueError("a literal % in driver SQL would need escaping")
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)


def fetch_one_autocommit(engine: Engine, sql: str, params: dict[str, Any]) -> tuple | None:
    """The first row of one statement (`driver_sql`'s form) on a pooled PostgreSQL
    connection in autocommit, through psycopg itself.

    For the answer sheet's save, the backend's most frequent statement: SQLAlchemy
    Core's execute around it (connection, execution context, result, type processing)
    cost more CPU than the driver's own call (`bench/sheet_path_bench.py`). The pool
    is the engine's (the same connections, the idle ping at checkout); a driver error
    comes out as SQLAlchemy's `DBAPIError` as from Core, and a dropped connection is
    taken out of the pool. Values go to and come from psycopg as they are: aware
    datetimes, for instance, stay aware (the columns are `timestamp with time zone`).
    """
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        raw = engine.raw_connection()  # the pool's connect: the driver's own errors
    except dbapi_error as err:  # the server is down or refuses: as Core would raise it
        raise DBAPIError.instance(sql, params, err, dbapi_error) from err
    driver = raw.driver_connection
    try:
        driver.autocommit = True
        try:
            return driver.execute(sql, params).fetchone()
        finally:
            if not driver.closed:
                driver.autocommit = False  # the pool's connections run transactions
    except dbapi_error as err:
        if driver.closed or engine.dialect.is_disconnect(err, driver, None):
            raw.invalidate(err)
        raise DBAPIError.instance(sql, params, err, dbapi_error) from err
    finally:
        raw.close()


def dispose_engines() -> None:
    """Close every pooled connection (tests, forks)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope(*, readonly: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on error.

    `readonly=True` starts a deferred SQLite transaction so readers never wait
    for a writer (WAL); on PostgreSQL it changes nothing.
    """
    engine = get_engine()
    if readonly and engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="DEFERRED")
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            if not readonly:
                session.commit()
            # readonly: closing ends the transaction and keeps loaded objects usable
        except BaseException:
            session.rollback()
            raise


@contextmanager
def connection_scope(*, readonly: bool = False) -> Iterator[Connection]:
    """A Core connection in one transaction that commits on success and rolls back on error.

    For the exam's hot paths (start, save, read, submit), whose statements are all
    Core: no ORM Session to build, begin and commit around them (0.3 ms of CPU per
    transaction here, a tenth of an answer save). `readonly` as in `session_scope`.
    """
    engine = get_engine()
    if readonly and engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="DEFERRED")
    with engine.begin() as conn:
        yield conn


def connection_of(db: Session | Connection) -> Connection:
    """The Core connection of an ORM session (its transaction's), or the connection itself."""
    return db.connection() if isinstance(db, Session) else db


def insert_for(session: Session, table: Any) -> Any:
    """A dialect-specific INSERT that supports ON CONFLICT (upserts)."""
    dialect = session.get_bind().dialect.name
    return pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)


def lock_for_update(session: Session, statement: Any, *, skip_locked: bool = False) -> Any:
    """`SELECT … FOR UPDATE [SKIP LOCKED]` on PostgreSQL; SQLite already serialises writers."""
    if session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=skip_locked)
    return statement
