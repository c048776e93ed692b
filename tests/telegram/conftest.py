"""Fixtures for the Telegram tests: the fake Bot API and settings that point at it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import insert
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import utcnow
from mockexam.models import Student
from mockexam.telegram.gateway import TelegramGateway
from tests.telegram.fake_bot_api import FakeBotAPI

WEBAPP_URL = "https://mockexam.example/app"
_bases = itertools.count(7_000_000_000, 1_000_000)


@pytest.fixture
def fake_api() -> Iterator[FakeBotAPI]:
    """A fresh fake Bot API on 127.0.0.1 for this test."""
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
def telegram(fake_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> FakeBotAPI:
    """Settings point at the fake: token, API URL, an HTTPS Mini App URL, a fast rate."""
    monkeypatch.setattr(settings, "telegram_bot_token", fake_api.token)
    monkeypatch.setattr(settings, "telegram_api_base_url", fake_api.base_url)
    monkeypatch.setattr(settings, "telegram_bot_username", None)
    monkeypatch.setattr(settings, "telegram_channel_id", None)
    monkeypatch.setattr(settings, "webapp_url", WEBAPP_URL)
    monkeypatch.setattr(settings, "telegram_messages_per_second", 1000.0)
    return fake_api


def fast_gateway(fake: FakeBotAPI, *, read_timeout: float = 1.0) -> Callable[[], TelegramGateway]:
    """A gateway factory with a short read timeout, so a slow reply times out quickly."""
    return lambda: TelegramGateway(
        token=fake.token, base_url=fake.base_url, read_timeout=read_timeout, connect_timeout=1.0
    )


def add_students(
    session: Session, n: int, *, languages: tuple[str, ...] = ("uz", "ru", "en")
) -> list[int]:
    """`n` reachable students (bulk insert); their Telegram ids, in id order."""
    base = next(_bases)
    now = utcnow()
    session.execute(
        insert(Student),
        [
            {
                "telegram_id": base + k,
                "first_name": f"Talaba{k}",
                "last_name": "",
                "language_code": languages[k % len(languages)],
                "is_reachable": True,
                "created_at": now,
                "updated_at": now,
            }
            for k in range(n)
        ],
    )
    session.flush()
    return list(
        session.exec(
            select(Student.telegram_id)
            .where(col(Student.telegram_id) >= base, col(Student.telegram_id) < base + n)
            .order_by(col(Student.id))
        )
    )
