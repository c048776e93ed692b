"""The PostgreSQL pool's ping: only a connection idle past PING_IDLE_SECONDS is pinged.

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
