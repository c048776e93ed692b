"""Settings that must never fall back to public values (issue: secrets with public defaults).

An unset ADMIN_SECRET_KEY is made once, at random, and kept on disk (every process of
the installation reads the same one); a WEBAPP_URL other machines can reach refuses to
start without a bot token, since sign-ins would be checked with the public development
token.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from mockexam.config import (
    DEV_ADMIN_SECRET,
    PROJECT_ROOT,
    Settings,
    is_local_url,
    settings,
    stored_secret,
)
from mockexam.db import utcnow
from mockexam.errors import PermissionDeniedError
from mockexam.services import exam_room


def _settings(tmp_path: Path, **values: object) -> Settings:
    values.setdefault("secret_key_file", tmp_path / "admin_secret.key")
    return Settings(_env_file=None, mockexam_env="development", **values)


def test_an_unset_admin_secret_is_random_kept_on_disk_and_never_the_public_one(tmp_path):
    first = _settings(tmp_path)
    again = _settings(tmp_path)
    elsewhere = _settings(tmp_path, secret_key_file=tmp_path / "other" / "key")

    assert first.admin_secret_key == again.admin_secret_key  # every process agrees
    assert first.admin_secret_key != DEV_ADMIN_SECRET
    assert len(first.admin_secret_key) >= 40
    assert elsewhere.admin_secret_key != first.admin_secret_key
    key_file = tmp_path / "admin_secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first.admin_secret_key
    # A secret that is set wins, and nothing is made for it.
    chosen = _settings(tmp_path, admin_secret_key="x" * 40, secret_key_file=tmp_path / "unused")
    assert chosen.admin_secret_key == "x" * 40
    assert not (tmp_path / "unused").exists()


def test_processes_starting_together_make_one_secret(tmp_path):
    path = tmp_path / "admin_secret.key"
    code = f"from mockexam.config import stored_secret; print(stored_secret({str(path)!r}))"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    secrets_seen = {process.communicate(timeout=60)[0].strip() for process in processes}

    assert len(secrets_seen) == 1
    assert secrets_seen == {stored_secret(path)}


def test_a_token_signed_with_the_old_public_secret_is_refused(monkeypatch):
    """The attack: minting a sheet token with the published development secret."""
    deadline = utcnow() + timedelta(hours=1)
    monkeypatch.setattr(settings, "admin_secret_key", DEV_ADMIN_SECRET)
    forged = exam_room.sheet_token(student_id=7, exam_id=3, deadline=deadline)
    monkeypatch.undo()

    assert settings.admin_secret_key != DEV_ADMIN_SECRET
    with pytest.raises(PermissionDeniedError, match="credential is not valid"):
        exam_room.check_sheet_token(token=forged, exam_id=3)
    genuine = exam_room.sheet_token(student_id=7, exam_id=3, deadline=deadline)
    assert exam_room.check_sheet_token(token=genuine, exam_id=3) == 7


@pytest.mark.parametrize(
    "url",
    ["https://exam.example.uz/app", "http://192.168.1.5:3000/app", "http://10.0.0.2/app"],
)
def test_a_public_webapp_url_without_a_bot_token_refuses_to_start(tmp_path, url):
    with pytest.raises(ValidationError, match="TELEGRAM_BOT_TOKEN") as err:
        _settings(tmp_path, webapp_url=url)
    assert "anyone could sign in as anyone" in str(err.value)

    with_bot = _settings(tmp_path, webapp_url=url, telegram_bot_token="123:real-token")
    assert with_bot.webapp_token == "123:real-token"


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:3000/app", True),
        ("http://127.0.0.1:41234/app", True),
        ("http://[::1]:3000/app", True),
        ("http://app.localhost/app", True),
        ("https://exam.example.uz/app", False),
        ("http://192.168.1.5/app", False),
        ("http://localhost.example.uz/app", False),
        ("not a url", False),
    ],
)
def test_is_local_url(url, local):
    assert is_local_url(url) is local
