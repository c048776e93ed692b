"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL where asked).

With CI=true a test that needs PostgreSQL or Redis fails when the server is
unreachable; on a developer machine it is skipped with the reason.
"""

from __future__ import annotations

import atexit
import functools
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
# Database 15 of the machine's Redis; 14, 13, … for the further xdist workers (gw1, gw2, …),
# since the tests that use it empty it before and after.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - _WORKER}")
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
    """The test's schema first on the search path; commits do not wait for the disk (a
    test database is thrown away; what a commit makes visible is the same)."""
    sep = "&" if "?" in PG_BASE_URL else "?"
    return f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"


@functools.cache
def _sqlite_template() -> Path:
    """An empty database with every table, made once per test process: a test's fresh
    SQLite database is a copy of it (a millisecond, where create_all takes ~35 ms)."""
    path = _TMP / "template.db"
    url = f"sqlite:///{path}"
    metadata.create_all(db_module.get_engine(url))
    db_module._engines.pop(url).dispose()  # the last connection's close checkpoints the WAL
    return path


@functools.cache
def _postgres_ddl() -> str:
    """Every CREATE TABLE and CREATE INDEX of the models, as one script: a test's fresh
    schema is made in one round trip (create_all asks about and creates each table
    apart, ~0.2 s a test)."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = postgresql.dialect()
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        statements.extend(
            str(CreateIndex(index).compile(dialect=dialect)).strip() for index in table.indexes
        )
    return ";\n".join(statements) + ";"


def make_database(kind: str, tmp_path: Path, *, create: bool = True) -> Iterator[str]:
    """Yield the URL of a fresh, empty database of `kind` and drop it afterwards.

    `create=False` leaves it without tables (the migration tests build it). With
    tables it is exactly what `metadata.create_all` makes (test_db.py checks that)."""
    if kind == "sqlite":
        path = tmp_path / f"test-{uuid.uuid4().hex[:8]}.db"
        if create:
            shutil.copyfile(_sqlite_template(), path)
        yield f"sqlite:///{path}"
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if create:  # one script: the schema, then the tables in it (psycopg sends it as one query)
            conn.exec_driver_sql(
                f'SET synchronous_commit TO off; CREATE SCHEMA "{schema}"; '
                f'SET search_path TO "{schema}"; {_postgres_ddl()}'
            )
        else:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_schema_url(schema)
    try:
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


@pytest.fixture(autouse=True, scope="session")
def _uploads_outside_the_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Files a test's services write (certificates issued by a sweep, papers) land in a
    folder of the run's, never in the project's data/ (a test may still choose its own)."""
    from mockexam.config import settings

    previous = settings.upload_dir
    object.__setattr__(settings, "upload_dir", tmp_path_factory.mktemp("uploads"))
    yield
    object.__setattr__(settings, "upload_dir", previous)


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


# `make test` runs the suite in PYTEST_WORKERS xdist workers (two by default: the
# Makefile) with `--dist loadgroup`, scheduled here: the browser tests (tests/e2e) are
# one unit of work that one worker takes first and runs in order (one production
# build, one Chromium, `make run` itself), while the other worker goes through the
# rest one test at a time and the first joins it when the browser tests are done.
# (xdist's own xdist_group marks do not work with pytest 9: they rename `_nodeid`,
# which pytest no longer reads.) The tests that flush a Redis database each have
# their own database per worker (REDIS_TEST_URL above).
E2E_PREFIX = "tests/e2e/"


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return E2E_PREFIX if nodeid.startswith(E2E_PREFIX) else nodeid

    # LoadScopeScheduling hands out the biggest unit first: the browser tests.
    return BrowserTestsTogether(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In one process the browser tests run last: the quick tests report first, and
    nothing runs after Playwright's event loop (closed at the end of the e2e package)
    except more e2e. In an xdist worker they come first (and Playwright still closes
    with the e2e package before that worker moves on to other tests)."""
    e2e_dir = Path(__file__).parent / "e2e"
    in_worker = hasattr(config, "workerinput")
    items.sort(key=lambda item: (e2e_dir in item.path.parents) != in_worker)
