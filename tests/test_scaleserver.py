"""`make run-scale`'s supervisor: what it starts and the database it prepares."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from mockexam import scaleserver
from tests.conftest import PG_BASE_URL, require_postgres


def test_child_specs_run_two_consumers_and_only_one_periodic() -> None:
    specs = {
        s.name: s for s in scaleserver.child_specs(port=3001, workers=4, telegram_enabled=False)
    }

    assert list(specs) == ["backend", "worker", "worker-2"]
    assert specs["backend"].argv[-5:] == ["backend", "--port", "3001", "--workers", "4"]
    assert "--no-periodic" not in specs["worker"].argv
    assert specs["worker-2"].argv[-1] == "--no-periodic"
    with_bot = scaleserver.child_specs(port=3001, workers=2, telegram_enabled=True)
    assert [s.name for s in with_bot][-1] == "bot"


def test_scale_environment_defaults_to_the_local_servers_and_refuses_sqlite() -> None:
    env = scaleserver.scale_environment({"PATH": "/usr/bin"})

    assert env["DATABASE_URL"] == scaleserver.DEFAULT_DATABASE_URL
    assert env["REDIS_URL"] == scaleserver.DEFAULT_REDIS_URL
    given = scaleserver.scale_environment(
        {"DATABASE_URL": "postgresql+psycopg://u@db/x", "REDIS_URL": "redis://r/1"}
    )
    assert (given["DATABASE_URL"], given["REDIS_URL"]) == (
        "postgresql+psycopg://u@db/x",
        "redis://r/1",
    )
    with pytest.raises(SystemExit, match="PostgreSQL"):
        scaleserver.scale_environment({"DATABASE_URL": "sqlite:///x.db"})


@pytest.mark.postgres
def test_ensure_database_creates_a_missing_database_once() -> None:
    require_postgres()
    name = f"mockexam_scale_{uuid.uuid4().hex[:8]}"
    url = PG_BASE_URL.rsplit("/", 1)[0] + f"/{name}"
    admin = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    try:
        assert scaleserver.ensure_database(url) is True
        assert scaleserver.ensure_database(url) is False
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar() == name
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_bench_runs_as_many_backend_workers_as_run_scale_by_default():
    import importlib.util
    import sys

    from mockexam import scaleserver
    from mockexam.config import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location(
        "load_bench", PROJECT_ROOT / "bench" / "load_bench.py"
    )
    bench = importlib.util.module_from_spec(spec)
    sys.modules["load_bench"] = bench  # its dataclasses look their module up
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules["load_bench"]
    assert bench.DEFAULT_BACKEND_WORKERS == scaleserver.DEFAULT_BACKEND_WORKERS >= 1


def test_sheet_save_threads_share_the_database_connections_among_the_workers():
    from mockexam.scaleserver import SAVE_CONNECTIONS, save_threads_for

    assert save_threads_for(1) == save_threads_for(2) == 24
    assert save_threads_for(3) == 16 and save_threads_for(4) == 12
    assert save_threads_for(64) == 4  # never fewer than 4
    assert all(save_threads_for(w) * w <= SAVE_CONNECTIONS for w in range(1, 13))
