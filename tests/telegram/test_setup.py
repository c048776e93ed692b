"""`telegram-setup`: the real python-telegram-bot client against the fake Bot API.

The fake keeps the bot's set-up as Telegram does (what set* stored, get*
returns) and records every call, so these tests assert the exact payloads of
the first run and that a second run sends no set* call at all.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from mockexam.bot import build_application, configure_bot
from mockexam.cli import main
from mockexam.config import settings
from mockexam.telegram import setup
from mockexam.telegram.setup import (
    BotTexts,
    Change,
    TelegramSetupError,
    bot_texts,
    check_texts,
    run_telegram_setup,
)
from tests.telegram.conftest import WEBAPP_URL
from tests.telegram.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

HOOK = "https://mockexam.example/telegram/webhook"
SECRET = "s3cret_Token-for-the-webhook"
LANGUAGES = [None, "uz", "ru", "en"]
COMMANDS = {
    None: [
        {"command": "start", "description": "Ilovani ochish"},
        {"command": "help", "description": "Yordam"},
    ],
    "uz": [
        {"command": "start", "description": "Ilovani ochish"},
        {"command": "help", "description": "Yordam"},
    ],
    "ru": [
        {"command": "start", "description": "Открыть приложение"},
        {"command": "help", "description": "Помощь"},
    ],
    "en": [
        {"command": "start", "description": "Open the app"},
        {"command": "help", "description": "Help"},
    ],
}
MENU = {"type": "web_app", "text": "Imtihonlar", "web_app": {"url": WEBAPP_URL}}


def _by_language(calls: list[tuple[str, dict[str, Any]]], key: str) -> dict[str | None, Any]:
    """{language_code (None for the default): the `key` parameter} of the calls."""
    result = {c[1].get("language_code"): c[1][key] for c in calls}
    assert len(result) == len(calls), "one call per language"
    return result


@pytest.fixture
def webhook_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(settings, "telegram_webhook_secret", SECRET)
    return SECRET


def test_setup_first_run_sets_everything_with_the_exact_payloads(telegram, webhook_secret):
    report = run_telegram_setup(webhook_url=HOOK)

    assert telegram.calls()[0][0] == "getMe"
    assert _by_language(telegram.calls("setMyCommands"), "commands") == COMMANDS
    descriptions = _by_language(telegram.calls("setMyDescription"), "description")
    shorts = _by_language(telegram.calls("setMyShortDescription"), "short_description")
    assert set(descriptions) == set(shorts) == set(LANGUAGES)
    # the default (no language_code) is the Uzbek text, as the bot's replies are
    assert descriptions[None] == descriptions["uz"] == setup.DESCRIPTIONS["uz"]
    assert shorts[None] == shorts["uz"] == setup.SHORT_DESCRIPTIONS["uz"]
    assert descriptions["ru"].startswith("Еженедельные пробные экзамены")
    assert descriptions["en"].startswith("Weekly mock exams")
    assert shorts["en"] == (
        "Weekly timed mock exams in Telegram: your results, the leaderboard and practice."
    )
    assert all(len(d) <= 512 for d in descriptions.values())
    assert all(len(s) <= 120 for s in shorts.values())
    (menu,) = telegram.calls("setChatMenuButton")
    assert menu[1] == {"menu_button": MENU}  # no chat_id: the default for every chat
    (hook,) = telegram.calls("setWebhook")
    assert hook[1] == {"url": HOOK, "secret_token": SECRET, "allowed_updates": ["message"]}
    # what Telegram now holds
    assert telegram.commands("ru") == COMMANDS["ru"]
    assert telegram.menu_button() == MENU
    assert telegram.webhook == {
        "url": HOOK,
        "secret_token": SECRET,
        "allowed_updates": ["message"],
    }

    assert report.bot_username == "mockexam_test_bot"
    assert [i.change for i in report.items] == [Change.SET] * 14
    lines = report.lines()
    assert lines[0] == "bot: @mockexam_test_bot (id 123456789): token accepted"
    assert "commands (default): set" in lines
    assert "commands (ru): set" in lines
    assert "short description (en): set" in lines
    assert f"menu button: set (Imtihonlar → {WEBAPP_URL})" in lines
    assert f"webhook: set ({HOOK}, updates: message)" in lines
    assert lines[-1] == "14 item(s) changed."


def test_setup_second_run_changes_nothing(telegram, webhook_secret):
    run_telegram_setup(webhook_url=HOOK)
    calls_before = len(telegram.calls())

    report = run_telegram_setup(webhook_url=HOOK)

    second = [c[0] for c in telegram.calls()[calls_before:]]
    assert not [m for m in second if m.startswith(("set", "delete"))]
    assert second[0] == "getMe"
    assert set(second) == {
        "getMe",
        "getMyCommands",
        "getMyDescription",
        "getMyShortDescription",
        "getChatMenuButton",
        "getWebhookInfo",
    }
    assert all(i.change == Change.UNCHANGED for i in report.items)
    assert report.changed == ()
    assert report.lines()[-1] == "Nothing changed: the bot was already set up."


def test_setup_changed_webapp_url_changes_only_the_menu_button(telegram, monkeypatch):
    run_telegram_setup()
    setters_before = len(telegram.setup_calls())
    new_url = "https://exam.example.uz/app"
    monkeypatch.setattr(settings, "webapp_url", new_url)

    report = run_telegram_setup()

    new_calls = telegram.setup_calls()[setters_before:]
    assert new_calls == [
        (
            "setChatMenuButton",
            {"menu_button": {"type": "web_app", "text": "Imtihonlar", "web_app": {"url": new_url}}},
        )
    ]
    assert [i.name for i in report.changed] == ["menu button"]


def test_setup_after_the_bot_started_finds_its_commands_and_menu_unchanged(telegram):
    """The bot's start-up (configure_bot) and telegram-setup set the same values."""

    async def start_bot() -> None:
        application = build_application()
        async with application:
            await configure_bot(application)

    asyncio.run(start_bot())
    setters_before = len(telegram.setup_calls())

    report = run_telegram_setup()

    changed = {i.name for i in report.changed}
    assert not any(name.startswith("commands") for name in changed)
    assert "menu button" not in changed
    assert {m for m, _ in telegram.setup_calls()[setters_before:]} == {
        "setMyDescription",
        "setMyShortDescription",
    }


def test_setup_bad_token_is_a_clear_error_and_changes_nothing(telegram, monkeypatch):
    monkeypatch.setattr(settings, "telegram_bot_token", "123456789:NotTheRightToken")

    with pytest.raises(TelegramSetupError) as caught:
        run_telegram_setup()

    message = str(caught.value)
    assert "rejected TELEGRAM_BOT_TOKEN" in message and "BotFather" in message
    assert "NotTheRightToken" not in message  # the token is not printed
    assert [m for m, _ in telegram.calls()] == ["getMe"]


def test_setup_without_a_token_says_where_to_get_one(telegram, monkeypatch):
    monkeypatch.setattr(settings, "telegram_bot_token", None)
    with pytest.raises(TelegramSetupError, match=r"TELEGRAM_BOT_TOKEN is unset.*BotFather"):
        run_telegram_setup()
    assert telegram.calls() == []


def test_setup_refuses_http_webapp_url_in_production_before_any_call(telegram, monkeypatch):
    monkeypatch.setattr(settings, "mockexam_env", "production")
    monkeypatch.setattr(settings, "webapp_url", "http://exam.example.uz/app")

    with pytest.raises(TelegramSetupError) as caught:
        run_telegram_setup()

    assert "only over HTTPS" in str(caught.value)
    assert "http://exam.example.uz/app" in str(caught.value)
    assert telegram.calls() == []


def test_setup_https_webapp_url_in_production_is_accepted(telegram, monkeypatch):
    monkeypatch.setattr(settings, "mockexam_env", "production")
    report = run_telegram_setup()
    assert telegram.menu_button() == MENU
    assert report.warnings == ()


def test_setup_http_webapp_url_in_development_skips_the_menu_button_with_a_warning(
    telegram, monkeypatch
):
    monkeypatch.setattr(settings, "mockexam_env", "development")
    monkeypatch.setattr(settings, "webapp_url", "http://localhost:3000/app")

    report = run_telegram_setup()

    assert telegram.calls("setChatMenuButton") == []
    assert telegram.calls("getChatMenuButton") == []
    assert len(telegram.calls("setMyCommands")) == 4  # the rest is still set up
    (menu,) = [i for i in report.items if i.name == "menu button"]
    assert menu.change == Change.SKIPPED
    assert any("only over HTTPS" in w for w in report.warnings)


def test_setup_refuses_a_webapp_url_that_is_not_a_web_address(telegram, monkeypatch):
    monkeypatch.setattr(settings, "webapp_url", "localhost:3000/app")
    with pytest.raises(TelegramSetupError, match="not a web address"):
        run_telegram_setup()
    assert telegram.calls() == []


@pytest.mark.parametrize(
    ("url", "secret", "reason"),
    [
        ("http://mockexam.example/hook", SECRET, "only over HTTPS"),
        ("https://mockexam.example:8080/hook", SECRET, "only to ports 443, 80, 88, 8443"),
        (HOOK, None, "needs TELEGRAM_WEBHOOK_SECRET"),
        (HOOK, "has spaces and !", "must be 1-256 characters"),
    ],
)
def test_setup_refuses_a_webhook_telegram_would_not_accept(
    telegram, monkeypatch, url, secret, reason
):
    monkeypatch.setattr(settings, "telegram_webhook_secret", secret)
    with pytest.raises(TelegramSetupError, match=reason):
        run_telegram_setup(webhook_url=url)
    assert telegram.calls() == []


def test_setup_in_polling_mode_reports_a_webhook_and_leaves_it(telegram):
    telegram.configure(webhook_url=HOOK, webhook_allowed_updates=["message"])

    report = run_telegram_setup()

    assert telegram.calls("deleteWebhook") == []
    assert telegram.webhook["url"] == HOOK
    (hook,) = [i for i in report.items if i.name == "webhook"]
    assert hook.line() == f"webhook: unchanged ({HOOK} is set)"
    (warning,) = report.warnings
    assert "409 Conflict" in warning and "--delete-webhook" in warning


def test_setup_delete_webhook_removes_it_once(telegram):
    telegram.configure(webhook_url=HOOK, webhook_secret=SECRET)

    report = run_telegram_setup(delete_webhook=True)

    assert len(telegram.calls("deleteWebhook")) == 1
    assert telegram.webhook["url"] == ""
    assert f"webhook: removed ({HOOK}; polling mode)" in report.lines()
    again = run_telegram_setup(delete_webhook=True)
    assert len(telegram.calls("deleteWebhook")) == 1
    assert "webhook: unchanged (none: polling mode)" in again.lines()


def test_setup_warns_about_the_webhooks_last_delivery_error(telegram, webhook_secret):
    run_telegram_setup(webhook_url=HOOK)
    telegram.configure(webhook_last_error="Wrong response from the webhook: 502 Bad Gateway")

    report = run_telegram_setup(webhook_url=HOOK)

    (warning,) = report.warnings
    assert "502 Bad Gateway" in warning and HOOK in warning


def test_setup_dry_run_reads_but_sets_nothing(telegram, webhook_secret):
    report = run_telegram_setup(webhook_url=HOOK, dry_run=True)

    assert telegram.setup_calls() == []
    assert [i.change for i in report.items] == [Change.WOULD_SET] * 14
    assert report.lines()[-1] == ("Dry run: 14 item(s) would change; nothing was sent to Telegram.")
    assert telegram.commands() == [] and telegram.menu_button() == {"type": "default"}


def test_setup_force_sets_the_rotated_webhook_secret(telegram, monkeypatch, webhook_secret):
    run_telegram_setup(webhook_url=HOOK)
    monkeypatch.setattr(settings, "telegram_webhook_secret", "a_new_secret")

    # Telegram never shows the secret back: without --force the webhook looks unchanged
    plain = run_telegram_setup(webhook_url=HOOK)
    assert plain.changed == () and telegram.webhook["secret_token"] == SECRET

    forced = run_telegram_setup(webhook_url=HOOK, force=True)

    assert telegram.webhook["secret_token"] == "a_new_secret"
    assert [i.change for i in forced.items] == [Change.SET] * 14


def test_setup_a_refusal_from_telegram_names_the_item(telegram, webhook_secret, monkeypatch):
    # let a port Telegram refuses through our own check, to see Telegram's 400 handled
    monkeypatch.setattr(setup, "WEBHOOK_PORTS", (8080,))

    with pytest.raises(TelegramSetupError) as caught:
        run_telegram_setup(webhook_url="https://mockexam.example:8080/hook")

    message = str(caught.value)
    assert message.startswith("Telegram refused to set the webhook: ")
    assert "ports 80, 88, 443 or 8443" in message
    assert "Set before it: commands (default), commands (uz)," in message
    assert message.endswith("menu button. Running telegram-setup again is safe.")
    assert telegram.menu_button() == MENU  # what came before it was applied


def test_setup_texts_are_within_telegrams_limits():
    texts = bot_texts()
    check_texts(texts)  # raises on a broken limit
    assert [t.language for t in texts] == LANGUAGES
    assert len({t.description for t in texts}) == 3  # uz (also the default), ru, en


def test_setup_check_texts_names_every_broken_limit():
    bad = BotTexts(
        language="ru",
        commands=(("Start", "x" * 257),),
        description="x" * 513,
        short_description="",
    )
    with pytest.raises(TelegramSetupError) as caught:
        check_texts((bad,))
    message = str(caught.value)
    assert "description (ru) has 513 characters" in message
    assert "short description (ru) has 0 characters" in message
    assert "command 'Start' (ru)" in message
    assert "/Start description (ru) has 257 chars" in message


def test_cli_telegram_setup_prints_each_item_then_unchanged(telegram, capsys):
    assert main(["telegram-setup"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0] == "bot: @mockexam_test_bot (id 123456789): token accepted"
    assert first[1:5] == [
        "commands (default): set",
        "commands (uz): set",
        "commands (ru): set",
        "commands (en): set",
    ]
    assert f"menu button: set (Imtihonlar → {WEBAPP_URL})" in first
    assert "webhook: unchanged (none: polling mode)" in first
    assert first[-1] == "13 item(s) changed."

    assert main(["telegram-setup"]) == 0
    second = capsys.readouterr().out.splitlines()
    assert all(": unchanged" in line for line in second[1:-1])
    assert len(second) == len(first)
    assert second[-1] == "Nothing changed: the bot was already set up."


def test_cli_telegram_setup_logs_no_token(telegram, monkeypatch, caplog):
    # httpx logs each request URL (which holds the token) at INFO unless quietened
    monkeypatch.setattr(logging.getLogger("httpx"), "level", logging.NOTSET)
    caplog.set_level(logging.INFO)  # the CLI's level without --verbose
    assert main(["telegram-setup"]) == 0
    assert telegram.token not in caplog.text
    assert telegram.token.split(":")[1] not in caplog.text


def test_cli_telegram_setup_errors_exit_non_zero(telegram, monkeypatch, capsys):
    monkeypatch.setattr(settings, "telegram_bot_token", "123456789:NotTheRightToken")
    assert main(["telegram-setup"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: Telegram rejected TELEGRAM_BOT_TOKEN")
    assert captured.out == ""


def test_cli_telegram_setup_prints_warnings_to_stderr(telegram, monkeypatch, capsys):
    monkeypatch.setattr(settings, "webapp_url", "http://localhost:3000/app")
    assert main(["telegram-setup", "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "menu button: skipped (WEBAPP_URL is not https://)" in captured.out
    assert captured.err.startswith("warning: WEBAPP_URL 'http://localhost:3000/app' is not https")
    assert telegram.setup_calls() == []


def test_fake_refuses_get_updates_while_a_webhook_is_set(telegram: FakeBotAPI, webhook_secret):
    """Why polling mode cares: Telegram answers getUpdates with 409 while a webhook is set."""
    from telegram import Bot
    from telegram.error import Conflict

    run_telegram_setup(webhook_url=HOOK)

    async def poll() -> None:
        async with Bot(telegram.token, base_url=telegram.base_url) as bot:
            await bot.get_updates(timeout=0)

    with pytest.raises(Conflict, match="webhook is active"):
        asyncio.run(poll())
    run_telegram_setup(delete_webhook=True)
    asyncio.run(poll())  # polling works again
