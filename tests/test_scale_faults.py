"""Scale-out mode under faults: a backend worker SIGKILLed, PostgreSQL and Redis restarted.

The app runs as `make run-scale` runs it (mockexam.scaleserver's backend:
Granian workers, Reflex's Redis state manager, PostgreSQL), with a
PostgreSQL cluster and a redis-server of each test's own (tests/servers.py:
the machine's shared servers are never stopped). Students are tabs speaking
the browser's websocket protocol (tests/examclient.py) with the answer
sheet's rules: every change re-sent until an ack covers it. Afterwards the
database is checked against what each tab was told (tests/scaleapp.py).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from mockexam.config import DEV_WEBAPP_TOKEN
from mockexam.models import ExamSession, metadata
from mockexam.telegram.webapp_auth import sign_init_data
from tests.e2e.appserver import free_port
from tests.examclient import ExamTab
from tests.scaleapp import AppStack, check_sheets, tab_record
from tests.servers import PostgresServer, RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

STUDENTS = 8
TELEGRAM_BASE = 8_100_000_000


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """One production frontend build for the module's port (about 20 s)."""
    port = free_port()
    web_dir = tmp_path_factory.mktemp("scale-web")
    AppStack(
        workdir=tmp_path_factory.mktemp("scale-build"),
        database_url="sqlite://",
        port=port,
        web_dir=web_dir,
    ).build()
    return port, web_dir


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        yield server.init().start()
    finally:
        server.close()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.close()


@pytest.fixture
def stack(built, postgres, redis_server, tmp_path) -> Iterator[AppStack]:
    """Backend with two workers on the test's own PostgreSQL and Redis; one open exam."""
    port, web_dir = built
    url = postgres.create_database("app")
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    app = AppStack(
        workdir=tmp_path / "stack",
        database_url=url,
        redis_url=redis_server.url(),
        workers=2,
        port=port,
        web_dir=web_dir,
    )
    try:
        yield app
    finally:
        app.close()


def _open_exam(database_url: str) -> int:
    from mockexam import db as db_module
    from mockexam.db import session_scope, utcnow
    from tests.e2e.appserver import use_database
    from tests.factories import make_exam

    with use_database(database_url), session_scope() as db:
        exam_id = make_exam(db, start=utcnow() - timedelta(minutes=1), hours=2).id
    db_module.dispose_engines()
    return exam_id


def _init_data(telegram_id: int) -> str:
    user = {"id": telegram_id, "first_name": f"Fault{telegram_id % 1000}", "language_code": "en"}
    fields = {"user": json.dumps(user), "auth_date": str(int(time.time()))}
    return sign_init_data(fields, bot_token=DEV_WEBAPP_TOKEN)


async def _exam_takers(app: AppStack, exam_id: int, n: int = STUDENTS) -> list[ExamTab]:
    """`n` students signed in, started and on the answer sheet."""
    build = app.app_build()
    tabs = [
        ExamTab(build, exam_id=exam_id, init_data=_init_data(TELEGRAM_BASE + k)) for k in range(n)
    ]
    await asyncio.gather(*(tab.open() for tab in tabs))
    for tab in tabs:
        tab.start()
    await asyncio.gather(
        *(tab.wait(lambda t: t.phase == "in_progress" and bool(t.items), 30) for tab in tabs)
    )
    return tabs


async def _keep_answering(tabs: list[ExamTab], seconds: float, every: float = 0.4) -> None:
    """Each tab changes a random answer every `every` seconds, whatever the connection does."""
    rng = random.Random(5)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for tab in tabs:
            if not tab.items:  # the sheet is being reloaded (a reconnect): nothing to tap
                continue
            item = rng.choice(tab.items)
            tab.answer(item["label"], rng.choice(item["options"] or ["12", "3.5", "-7"]))
        await asyncio.sleep(every)


async def _settle_and_submit(tabs: list[ExamTab], timeout: float = 60) -> None:
    """Wait until every change is acked, then submit and wait for the waiting view."""
    await asyncio.gather(*(tab.wait(lambda t: not t.pending, timeout) for tab in tabs))
    for tab in tabs:
        tab.submit()
    await asyncio.gather(*(tab.wait(lambda t: t.waiting, timeout) for tab in tabs))


def _records(tabs: list[ExamTab]) -> list[dict]:
    return [tab_record(tab, TELEGRAM_BASE + k) for k, tab in enumerate(tabs)]


def _deadlines(database_url: str, exam_id: int) -> dict[int, object]:
    engine = create_engine(database_url)
    try:
        with Session(engine) as db:
            return dict(
                db.exec(
                    select(ExamSession.id, ExamSession.deadline).where(
                        col(ExamSession.exam_id) == exam_id
                    )
                ).all()
            )
    finally:
        engine.dispose()


def _assert_everything_stored(app: AppStack, exam_id: int, tabs: list[ExamTab]) -> None:
    check = check_sheets(app.database_url, exam_id, _records(tabs))
    assert check.lost == []
    assert check.duplicated == []
    assert check.not_submitted == []
    for k, tab in enumerate(tabs):
        final = {label: values[-1] for label, values in tab.history.items()}
        assert check.stored[TELEGRAM_BASE + k] == final  # the newest value of every answer


def _tabs_by_worker(app: AppStack, tabs: list[ExamTab]) -> dict[int, list[ExamTab]]:
    """Which backend worker holds each tab's websocket (from /proc: socket inodes)."""
    ports = {tab.local_port: tab for tab in tabs if tab.local_port}
    inode_port: dict[str, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == app.port:
            inode_port[inode] = int(remote.split(":")[1], 16)
    found: dict[int, list[ExamTab]] = {}
    for pid in app.worker_pids():
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = fd.readlink().as_posix()
            except OSError:
                continue
            if target.startswith("socket:["):
                peer = inode_port.get(target[8:-1])
                if peer in ports:
                    found.setdefault(pid, []).append(ports[peer])
    return found


async def _close(tabs: list[ExamTab]) -> None:
    await asyncio.gather(*(tab.close() for tab in tabs))


def test_backend_worker_sigkilled_mid_exam_clients_reconnect_nothing_lost(stack: AppStack):
    exam_id = _open_exam(stack.database_url)
    stack.start_backend()

    async def scenario() -> tuple[list[ExamTab], list[ExamTab]]:
        tabs = await _exam_takers(stack, exam_id, n=10)
        try:
            await _keep_answering(tabs, 2.0)
            by_worker = _tabs_by_worker(stack, tabs)
            victim, victims = max(by_worker.items(), key=lambda kv: len(kv[1]))
            before = _deadlines(stack.database_url, exam_id)
            stack.kill_worker(victim)
            await _keep_answering(tabs, 6.0)  # answers go on while the tabs reconnect
            await _settle_and_submit(tabs)
            assert _deadlines(stack.database_url, exam_id) == before  # deadlines unchanged
            assert victim not in stack.worker_pids()
            assert len(stack.worker_pids()) == 2  # Granian started a new worker
            return tabs, victims
        finally:
            await _close(tabs)

    tabs, victims = asyncio.run(scenario())
    assert victims, "no tab was connected to the killed worker"
    for tab in tabs:
        hit = tab in victims
        assert (tab.stats.disconnects >= 1) == hit
        assert (tab.stats.reconnects >= 1) == hit
        assert tab.stats.refused == 0
    _assert_everything_stored(stack, exam_id, tabs)


def test_postgres_restarted_while_students_save_saves_fail_visibly_and_are_resent(
    stack: AppStack, postgres: PostgresServer
):
    exam_id = _open_exam(stack.database_url)
    stack.start_backend()

    async def scenario() -> list[ExamTab]:
        tabs = await _exam_takers(stack, exam_id)
        try:
            await _keep_answering(tabs, 1.5)
            await asyncio.gather(*(tab.wait(lambda t: not t.pending, 20) for tab in tabs))
            postgres.stop("fast")
            try:
                await _keep_answering(tabs, 4.0)  # every save now fails
                assert all(tab.pending for tab in tabs), "a save was acked with the database down"
            finally:
                postgres.start()
            # No new answers: what failed goes through only because the tabs re-send it.
            await asyncio.gather(*(tab.wait(lambda t: not t.pending, 30) for tab in tabs))
            await _keep_answering(tabs, 1.0)
            await _settle_and_submit(tabs)
            return tabs
        finally:
            await _close(tabs)

    tabs = asyncio.run(scenario())
    # "not saved" reached every tab during the outage, and each re-sent its answers
    assert all(tab.stats.save_errors >= 1 for tab in tabs)
    assert all(tab.stats.resends >= 1 for tab in tabs)
    assert all(tab.stats.disconnects == 0 for tab in tabs)
    _assert_everything_stored(stack, exam_id, tabs)


@pytest.mark.parametrize("lease", ["held", "expired"])
def test_redis_restarted_the_app_recovers_without_losing_saved_answers(
    stack: AppStack, redis_server: RedisServer, lease: str
):
    """`held`: as run-scale runs, a worker keeps its tabs' states 25 s after their last
    event, so they outlive the outage there; `expired`: a 0.2 s lease puts every state
    back in Redis at once, so the restart loses them all and the pages rebuild them.
    Either way the answers given during the outage are stored during it."""
    if lease == "expired":
        stack.extra_env["REFLEX_OPLOCK_HOLD_TIME"] = "200ms"
    exam_id = _open_exam(stack.database_url)
    stack.start_backend()

    async def scenario() -> list[ExamTab]:
        tabs = await _exam_takers(stack, exam_id)
        try:
            await _keep_answering(tabs, 1.5)
            await asyncio.gather(*(tab.wait(lambda t: not t.pending, 20) for tab in tabs))
            assert all(tab.stats.page_loads == 1 for tab in tabs)
            redis_server.kill()  # every tab's Reflex state goes with it
            try:
                await _keep_answering(tabs, 2.0)
                # Saves are plain HTTP (no Reflex state): stored while Redis is down.
                await asyncio.gather(*(tab.wait(lambda t: not t.pending, 20) for tab in tabs))
            finally:
                redis_server.start()
            await _keep_answering(tabs, 3.0)
            await _settle_and_submit(tabs, timeout=90)
            # The submit is HTTP too: the first page event after the restart is the results
            # countdown's `refresh`. It finds the state (held) or rebuilds it (expired).
            for tab in tabs:
                tab.send_event("refresh", {})
            await asyncio.gather(*(tab.wait(lambda t: t.phase == "submitted", 30) for tab in tabs))
            return tabs
        finally:
            await _close(tabs)

    tabs = asyncio.run(scenario())
    if lease == "expired":
        # The state was rebuilt: the page's on_load ran again and signed in from initData.
        assert all(tab.stats.page_loads >= 2 for tab in tabs)
    assert all(tab.student.get("auth_status") == "ok" for tab in tabs)
    _assert_everything_stored(stack, exam_id, tabs)
