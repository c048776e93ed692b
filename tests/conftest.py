"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL where asked).

With CI=true a test that needs PostgreSQL or Redis fails when the server is
unreachable; on a developer machine it is skipped with the reason.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="mockexam-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ["MOCKEXAM_ENV"] = "test"
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'default.db'}"
os.environ["HUEY_SQLITE_PATH"] = str(_TMP / "huey.db")
os.environ["UPLOAD_DIR"] = str(_TMP / "uploads")
os.environ.pop("REDIS_URL", None)
# The admin panel reads English in the tests that look for its words; the Uzbek and
# Russian panels have their own tests (tests/admin/test_i18n*.py).
os.environ["ADMIN_DEFAULT_LANGUAGE"] = "en"
os.environ.pop("TELEGRAM_BOT_TOKEN", None)

from sqlalchemy import create_engine, text  # noqa: E402

from mockexam import db as db_module  # noqa: E402
from mockexam.config import settings  # noqa: E402
from mockexam.models import metadata  # noqa: E402
from mockexam.worker import huey  # noqa: E402

PG_BASE_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"

_reachable: dict[str, str | None] = {}


def _service_missing(name: str, reason: str) -> None:
    message = f"{name} is unreachable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: tests that need {name} must run)")
    pytest.skip(message)


def require_postgres() -> None:
    if "pg" not in _reachable:
        try:
            engine = create_engine(PG_BASE_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _reachable["pg"] = None
        except Exception as err:  # any failure means "not usable"
            _reachable["pg"] = str(err).splitlines()[0]
    if _reachable["pg"]:
        _service_missing("PostgreSQL", _reachable["pg"])


def require_redis() -> None:
    if "redis" not in _reachable:
        try:
            import redis

            redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3).ping()
            _reachable["redis"] = None
        except Exception as err:
            _reachable["redis"] = str(err).splitlines()[0]
    if _reachable["redis"]:
        _service_missing("Redis", _reachable["redis"])


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_BASE_URL else "?"
    return f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"


def make_database(kind: str, tmp_path: Path, *, create: bool = True) -> Iterator[str]:
    """Yield the URL of a fresh, empty database of `kind` and drop it afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / f'test-{uuid.uuid4().hex[:8]}.db'}"
        if create:
            metadata.create_all(db_module.get_engine(url))
        yield url
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_schema_url(schema)
    try:
        if create:
            metadata.create_all(db_module.get_engine(url))
        yield url
    finally:
        engine = db_module._engines.pop(url, None)
        if engine is not None:
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _use(url: str) -> Iterator[str]:
    previous = settings.database_url
    object.__setattr__(settings, "database_url", url)
    try:
        yield url
    finally:
        object.__setattr__(settings, "database_url", previous)
        engine = db_module._engines.pop(url, None)
        if engine is not None:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on SQLite and on PostgreSQL; settings point at it."""
    for url in make_database(request.param, tmp_path):
        yield from _use(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    for url in make_database("sqlite", tmp_path):
        yield from _use(url)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    for url in make_database("postgres", tmp_path):
        yield from _use(url)


@pytest.fixture
def db(db_url: str) -> Iterator[object]:
    """A session on the fresh database (both backends); commit to make data visible."""
    with db_module.session_scope() as session:
        yield session


@pytest.fixture(autouse=True)
def _huey_immediate() -> Iterator[None]:
    """Tasks run inline in tests unless a test starts a real consumer process."""
    huey.immediate = True
    yield
    huey.immediate = False


@pytest.fixture
def redis_queue_url() -> Iterator[str]:
    """A Redis database for a Huey queue, emptied before and after the test."""
    require_redis()
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run last: the quick tests report first, and nothing runs after
    Playwright's event loop (closed at the end of the e2e package) except more e2e."""
    e2e_dir = Path(__file__).parent / "e2e"
    items.sort(key=lambda item: e2e_dir in item.path.parents)
