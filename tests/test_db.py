"""The PostgreSQL pool's ping: only a connection idle past PING_IDLE_SECONDS is pinged;
one statement through the driver itself (`fetch_one_autocommit`).

SQLAlchemy's pool_pre_ping would ping at every checkout (a round trip per
transaction); mockexam.db pings only connections that sat unused, so a server
restart during a quiet spell is still survived without an error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from mockexam import db as db_module
from tests.servers import PostgresServer, own_postgres


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with own_postgres() as server:
        yield server


def _select_one(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar_one()


def _count_pings(engine, monkeypatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_conn):
        pings.append(1)
        return real(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_busy_connection_is_not_pinged_an_idle_one_is(postgres, monkeypatch):
    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 0.3)
    engine = db_module._make_engine(postgres.url())
    try:
        pings = _count_pings(engine, monkeypatch)
        for _ in range(5):  # checked out again at once: no ping
            assert _select_one(engine) == 1
        assert pings == []
        time.sleep(0.5)
        assert _select_one(engine) == 1
        assert len(pings) == 1
        assert _select_one(engine) == 1  # used a moment ago
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_a_restart_in_a_quiet_spell_costs_no_error_a_restart_mid_use_one(postgres, monkeypatch):
    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 0.3)
    engine = db_module._make_engine(postgres.url())
    try:
        assert _select_one(engine) == 1
        postgres.restart()
        time.sleep(0.4)
        # The pooled connection died with the server; the ping finds it and the pool
        # hands out a fresh one.
        assert _select_one(engine) == 1

        # Checked out again within the idle time: not pinged, so the dead connection
        # fails its statement once (the pool is then marked stale) and the next works.
        monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 3600.0)
        assert _select_one(engine) == 1
        postgres.restart()
        with pytest.raises(OperationalError):
            _select_one(engine)
        assert _select_one(engine) == 1
    finally:
        engine.dispose()


# --- one statement through the driver (the answer sheet's save) ----------------------


def test_driver_sql_names_the_parameters_as_psycopg_does():
    sql = "SELECT :a, CAST(:b AS integer[]), x::text FROM t WHERE y = :a_b"
    assert db_module.driver_sql(sql) == (
        "SELECT %(a)s, CAST(%(b)s AS integer[]), x::text FROM t WHERE y = %(a_b)s"
    )
    with pytest.raises(ValueError, match="literal %"):
        db_module.driver_sql("SELECT 1 WHERE x LIKE 'a%'")


def _in_transaction_mode(engine) -> bool:
    """The next pooled connection runs its statements in a transaction again (a row
    written and rolled back is not there)."""
    with engine.connect() as conn:
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS scratch (n int)"))
        conn.commit()
        conn.execute(text("INSERT INTO scratch VALUES (1)"))
        conn.rollback()
        return conn.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 0


def test_one_statement_in_autocommit_leaves_the_pool_as_it_was(postgres):
    engine = db_module._make_engine(postgres.url())
    try:
        engine.pool.dispose()
        sql = db_module.driver_sql("SELECT :n + 1, now() AT TIME ZONE 'UTC' IS NOT NULL")
        assert db_module.fetch_one_autocommit(engine, sql, {"n": 41}) == (42, True)
        # Autocommit for that statement only: the connection went back in transaction mode.
        assert engine.pool.checkedout() == 0
        assert _in_transaction_mode(engine)
        assert (
            db_module.fetch_one_autocommit(engine, db_module.driver_sql("SELECT 1 WHERE false"), {})
            is None
        )
    finally:
        engine.dispose()


def test_a_driver_error_is_sqlalchemys_and_a_dead_connection_leaves_the_pool(postgres, monkeypatch):
    from sqlalchemy.exc import DBAPIError

    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 3600.0)  # no ping saves it
    engine = db_module._make_engine(postgres.url())
    try:
        with pytest.raises(DBAPIError, match="division by zero"):
            db_module.fetch_one_autocommit(engine, "SELECT 1 / 0", {})
        # The statement's error leaves the connection good: it stays in the pool.
        assert engine.pool.checkedout() == 0 and engine.pool.checkedin() == 1
        assert db_module.fetch_one_autocommit(engine, "SELECT 2", {}) == (2,)
        assert _in_transaction_mode(engine)

        postgres.restart()  # the pooled connection dies with the server
        with pytest.raises(OperationalError):  # Core's class for it, as through Core
            db_module.fetch_one_autocommit(engine, "SELECT 3", {})
        # The pool's one connection was dropped (not pinged, it would fail again): the
        # next statement gets a new one.
        assert engine.pool.checkedout() == 0
        assert db_module.fetch_one_autocommit(engine, "SELECT 4", {}) == (4,)

        postgres.stop()  # no server to connect to: SQLAlchemy's error too (the route's 503)
        try:
            engine.pool.dispose()
            with pytest.raises(OperationalError):
                db_module.fetch_one_autocommit(engine, "SELECT 5", {})
        finally:
            postgres.start()
        assert db_module.fetch_one_autocommit(engine, "SELECT 6", {}) == (6,)
    finally:
        engine.dispose()
