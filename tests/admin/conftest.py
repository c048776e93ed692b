"""Fixtures for the admin handler tests: a signed-in admin and the fake Telegram Bot API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from mockexam.config import settings
from tests.admin.helpers import admin_token
from tests.telegram.fake_bot_api import FakeBotAPI


@dataclass(frozen=True)
class SignedIn:
    token: str
    admin_id: int


@pytest.fixture
def admin(db_url: str) -> SignedIn:
    """An admin "alice" with a live session token (on the test's fresh database)."""
    from mockexam.services import admin_auth

    token = admin_token("alice")
    identity = admin_auth.admin_for_token(token)
    assert identity is not None
    return SignedIn(token=token, admin_id=identity.admin_id)


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBotAPI]:
    """Settings point at a fresh fake Bot API (token, URL, a fast rate, no channel)."""
    with FakeBotAPI() as fake:
        monkeypatch.setattr(settings, "telegram_bot_token", fake.token)
        monkeypatch.setattr(settings, "telegram_api_base_url", fake.base_url)
        monkeypatch.setattr(settings, "telegram_bot_username", None)
        monkeypatch.setattr(settings, "telegram_channel_id", None)
        monkeypatch.setattr(settings, "webapp_url", "https://mockexam.example/app")
        monkeypatch.setattr(settings, "telegram_messages_per_second", 1000.0)
        yield fake


@pytest.fixture(autouse=True)
def _own_upload_dir(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test stores question papers in its own folder."""
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
