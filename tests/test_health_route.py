"""GET /health through the real ASGI app, on a migrated SQLite and PostgreSQL database.

Requests go into `create_api()` through httpx's ASGI transport (a fresh app per
request, so no report is reused across a test's steps). The consumer's heartbeat
is written as the periodic sweep writes it (services.heartbeat.beat), with `now`
moved back for an old one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command

from mockexam.api import HEALTH_ROUTE, create_api
from mockexam.config import settings
from mockexam.services import heartbeat
from mockexam.services.health import CONSUMER_STALE, DATABASE_DOWN, QUEUE_DOWN, SCHEMA_BEHIND
from mockexam.worker import huey
from tests.health_helpers import alembic_config, beat_seconds_ago, closed_port, migrated_database

SECRET = "s3cret-Passw0rd"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh database brought to the head migration by Alembic; settings point at it."""
    for url in migrated_database(request.param, tmp_path):
        monkeypatch.setattr(settings, "database_url", url)
        yield url


def get(path: str = HEALTH_ROUTE, app=None) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app or create_api())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(path)

    return asyncio.run(send())


def test_health_with_a_fresh_consumer_beat_is_200_ok(migrated_url):
    beat_seconds_ago(1)
    response = get()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["problems"] == []
    assert body["database"]["ok"] is True
    assert body["database"]["at_head"] is True
    assert body["database"]["revision"] == body["database"]["head"] is not None
    assert body["database"]["backend"] == ("sqlite" if "sqlite" in migrated_url else "postgresql")
    assert body["queue"] == {"ok": True, "backend": "sqlite", "pending": 0}
    consumer = body["consumer"]
    assert consumer["alive"] is True
    assert consumer["stale"] is False
    assert 0.5 < consumer["age_seconds"] < 60
    assert consumer["allowance_seconds"] == heartbeat.sweep_allowance_seconds()
    assert consumer["last_sweep_at"].endswith("Z")
    assert body["backup"]["last_at"] is None
    assert response.headers["cache-control"] == "private, no-store"


def test_health_with_an_old_consumer_beat_is_503_consumer_stale(migrated_url):
    beat_seconds_ago(heartbeat.sweep_allowance_seconds() + 5)
    response = get()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["problems"] == [CONSUMER_STALE]
    assert body["consumer"]["alive"] is False
    assert body["consumer"]["stale"] is True
    assert body["database"]["ok"] is True


def test_health_of_a_consumer_that_never_ran_is_503_consumer_stale(migrated_url):
    body = get().json()
    assert body["problems"] == [CONSUMER_STALE]
    assert body["consumer"]["last_sweep_at"] is None


def test_health_reports_the_last_backup_without_its_detail(migrated_url):
    beat_seconds_ago(1)
    beat_seconds_ago(3600, heartbeat.BACKUP, detail="/srv/secret/place")
    response = get()
    assert response.status_code == 200  # an old backup is the doctor's business, not a page
    backup = response.json()["backup"]
    assert 3590 < backup["age_seconds"] < 3700
    assert backup["overdue"] is False
    assert "/srv/secret" not in response.text

    beat_seconds_ago(27 * 3600, heartbeat.BACKUP)
    backup = get().json()["backup"]
    assert backup["overdue"] is True


def assert_no_secrets(text: str, *secrets: str) -> None:
    """No secret, host, path, URL or stack trace in the body."""
    for secret in (*secrets, "Traceback", 'File "', "sqlite:", "://", "@"):
        assert secret not in text, f"{secret!r} in {text}"


def test_health_with_postgres_unreachable_is_503_database_down_without_secrets(monkeypatch):
    port = closed_port()
    url = f"postgresql+psycopg://mockexam:{SECRET}@127.0.0.1:{port}/production_db"
    monkeypatch.setattr(settings, "database_url", url)
    response = get()
    assert response.status_code == 503
    body = response.json()
    assert body["problems"] == [DATABASE_DOWN]
    assert body["database"] == {
        "ok": False,
        "backend": "postgresql",
        "revision": None,
        "head": body["database"]["head"],
        "at_head": None,
    }
    assert body["consumer"]["stale"] is None  # unknown: the beat could not be read
    assert_no_secrets(response.text, SECRET, str(port), "127.0.0.1", "production_db", "mockexam:")


def test_health_with_the_sqlite_file_gone_is_503_database_down_without_the_path(
    tmp_path, monkeypatch
):
    missing = tmp_path / "gone" / "private-name.db"
    monkeypatch.setattr(settings, "database_url", f"sqlite:///{missing}")
    response = get()
    assert response.status_code == 503
    assert response.json()["problems"] == [DATABASE_DOWN]
    assert not missing.parent.exists()  # a health check creates nothing
    assert_no_secrets(response.text, "private-name", str(tmp_path))


def test_health_with_the_schema_behind_the_code_is_503(migrated_url):
    beat_seconds_ago(1)  # the consumer is fine: the schema alone is the problem
    command.downgrade(alembic_config(migrated_url), "-1")
    response = get()
    assert response.status_code == 503
    body = response.json()
    assert body["problems"] == [SCHEMA_BEHIND]
    assert body["database"]["ok"] is True
    assert body["database"]["at_head"] is False
    assert body["database"]["revision"] != body["database"]["head"]


def test_health_with_redis_unreachable_is_503_queue_down(migrated_url, monkeypatch):
    beat_seconds_ago(1)
    monkeypatch.setattr(settings, "redis_url", f"redis://:{SECRET}@127.0.0.1:{closed_port()}/0")
    response = get()
    assert response.status_code == 503
    body = response.json()
    assert body["problems"] == [QUEUE_DOWN]
    assert body["queue"] == {"ok": False, "backend": "redis", "pending": None}
    assert_no_secrets(response.text, SECRET, "127.0.0.1")


def test_health_with_redis_reachable_is_200(migrated_url, redis_queue_url, monkeypatch):
    beat_seconds_ago(1)
    monkeypatch.setattr(settings, "redis_url", redis_queue_url)
    response = get()
    assert response.status_code == 200
    assert response.json()["queue"]["backend"] == "redis"
    assert response.json()["queue"]["ok"] is True


def test_health_counts_the_tasks_waiting_in_the_queue(migrated_url):
    from mockexam.tasks import grade_pending_task

    beat_seconds_ago(1)
    huey.immediate = False  # the real SQLite queue, not the inline one
    huey.flush()
    try:
        grade_pending_task()
        grade_pending_task()
        assert get().json()["queue"]["pending"] == 2
    finally:
        huey.flush()


def test_health_reuses_one_report_for_polls_close_together(migrated_url):
    app = create_api()
    beat_seconds_ago(1)
    first = get(app=app).json()
    beat_seconds_ago(heartbeat.sweep_allowance_seconds() + 5)
    second = get(app=app)
    assert second.status_code == 200
    assert second.json()["checked_at"] == first["checked_at"]
    assert get().status_code == 503  # a fresh app reads again
