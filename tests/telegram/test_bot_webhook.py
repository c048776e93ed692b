"""The bot in webhook mode, as `python -m mockexam bot --webhook-url …` runs it.

PTB's webhook server needs its `webhooks` extra (tornado); without it the bot refused
to start in webhook mode at all. Here the real command runs against the fake Bot API:
it registers the webhook with its secret, answers an update Telegram posts with the
secret, and refuses one without it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from mockexam.config import PROJECT_ROOT
from tests.e2e.appserver import free_port
from tests.telegram.fake_bot_api import FakeBotAPI
from tests.telegram.test_bot import USER_ID, _command

SECRET = "webhook_Secret-42"
HOOK_URL = "https://exam.example.uz/telegram-hook"


@pytest.fixture
def webhook_bot(sqlite_url: str, fake_api: FakeBotAPI, tmp_path) -> Iterator[int]:
    """The bot's command in webhook mode on a free local port; yields the port."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=sqlite_url,
        TELEGRAM_BOT_TOKEN=fake_api.token,
        TELEGRAM_API_BASE_URL=fake_api.base_url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        WEBAPP_URL="https://exam.example.uz/app",
    )
    log = tmp_path / "bot.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "mockexam", "bot", "--webhook-url", HOOK_URL),
                *("--listen", "127.0.0.1", "--port", str(port)),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while not fake_api.webhook.get("url"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the bot did not set its webhook:\n{log.read_text()}")
            time.sleep(0.1)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _post(port: int, update: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram-hook",
        data=json.dumps(update).encode(),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_bot_webhook_sets_its_secret_and_answers_only_updates_that_carry_it(
    webhook_bot: int, fake_api: FakeBotAPI
) -> None:
    assert fake_api.webhook["url"] == HOOK_URL
    assert fake_api.webhook["secret_token"] == SECRET
    assert fake_api.webhook["allowed_updates"] == ["message"]

    forged = {"update_id": 1, **_command("/help", first_name="Mallory")}
    assert _post(webhook_bot, forged, secret=None) == 403
    assert _post(webhook_bot, forged, secret="guessed") == 403
    time.sleep(0.5)
    assert fake_api.message_count() == 0

    update = {"update_id": 2, **_command("/help", first_name="Ali")}
    assert _post(webhook_bot, update, secret=SECRET) == 200
    deadline = time.monotonic() + 10
    while fake_api.message_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    (reply,) = fake_api.messages
    assert reply.chat_id == USER_ID
    assert "/start" in reply.text
