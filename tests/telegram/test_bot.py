"""The bot through the fake Bot API: updates arrive by long polling, replies go back over HTTP."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import select
from telegram import Update

from mockexam.bot import build_application, configure_bot
from mockexam.db import session_scope
from mockexam.models import Student

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

USER_ID = 555_000_111


def _command(text: str, *, first_name: str, language: str = "ru", chat_type: str = "private"):
    user = {
        "id": USER_ID,
        "is_bot": False,
        "first_name": first_name,
        "last_name": "Karimov",
        "username": "alisher_k",
        "language_code": language,
    }
    chat = {"id": USER_ID, "type": chat_type, "first_name": first_name}
    if chat_type != "private":
        chat = {"id": -100200300, "type": chat_type, "title": "Group"}
    return {
        "message": {
            "message_id": int(time.time() * 1000) % 1_000_000,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        }
    }


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the bot")
        await asyncio.sleep(0.02)


def _student() -> Student | None:
    with session_scope(readonly=True) as db:
        student = db.exec(select(Student).where(Student.telegram_id == USER_ID)).first()
        db.expunge_all()
        return student


def test_bot_start_registers_then_updates_the_student_and_offers_the_mini_app(db_url, telegram):
    async def scenario():
        application = build_application()
        async with application:
            await configure_bot(application)
            await application.start()
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            try:
                telegram.push_update(_command("/start", first_name="Ali"))
                await _until(lambda: telegram.message_count() == 1)
                telegram.push_update(_command("/start", first_name="Alisher"))
                await _until(lambda: telegram.message_count() == 2)
                telegram.push_update(_command("/help", first_name="Alisher"))
                await _until(lambda: telegram.message_count() == 3)
            finally:
                await application.updater.stop()
                await application.stop()

    asyncio.run(scenario())
    first, second, help_reply = telegram.messages
    assert first.chat_id == second.chat_id == USER_ID
    assert first.text.startswith("Здравствуйте, Ali!")  # Russian, from the Telegram language
    assert second.text.startswith("Здравствуйте, Alisher!")
    button = first.reply_markup["inline_keyboard"][0][0]
    assert button == {
        "text": "Открыть приложение",
        "web_app": {"url": "https://mockexam.example/app"},
    }
    assert "/start" in help_reply.text and help_reply.reply_markup is not None
    student = _student()
    assert student is not None
    assert (student.first_name, student.last_name, student.username) == (
        "Alisher",
        "Karimov",
        "alisher_k",
    )
    assert student.language_code == "ru" and student.is_reachable
    # the Mini App is the menu button; commands are set in every language
    (menu,) = telegram.calls("setChatMenuButton")
    assert menu[1]["menu_button"]["web_app"]["url"] == "https://mockexam.example/app"
    languages = {c[1].get("language_code") for c in telegram.calls("setMyCommands")}
    assert languages == {None, "uz", "ru", "en"}


def test_bot_start_makes_a_blocked_student_reachable_again(db_url, telegram):
    with session_scope() as db:
        db.add(Student(telegram_id=USER_ID, first_name="Ali", is_reachable=False))

    async def scenario():
        application = build_application()
        async with application:
            await application.process_update(
                Update.de_json(
                    {"update_id": 1, **_command("/start", first_name="Ali", language="en")},
                    application.bot,
                )
            )

    asyncio.run(scenario())
    assert _student().is_reachable
    assert telegram.messages[0].text.startswith("Salom, Ali!")  # stored language (uz) wins


def test_bot_start_in_a_group_registers_nobody(db_url, telegram):
    async def scenario():
        application = build_application()
        async with application:
            await application.process_update(
                Update.de_json(
                    {"update_id": 1, **_command("/start", first_name="Ali", chat_type="group")},
                    application.bot,
                )
            )

    asyncio.run(scenario())
    assert _student() is None
    assert telegram.messages[0].chat_id == -100200300


def test_bot_needs_a_token(monkeypatch):
    from mockexam.config import settings
    from mockexam.telegram.gateway import TelegramUnavailableError

    monkeypatch.setattr(settings, "telegram_bot_token", None)
    with pytest.raises(TelegramUnavailableError, match="TELEGRAM_BOT_TOKEN"):
        build_application()


def test_bot_help_in_a_group_answers_without_the_mini_app_button(db_url, telegram, caplog):
    """Telegram refuses web_app buttons outside private chats (the fake answers 400 too)."""

    async def scenario():
        application = build_application()
        async with application:
            for chat_type in ("group", "supergroup", "private"):
                await application.process_update(
                    Update.de_json(
                        {
                            "update_id": 1,
                            **_command("/help", first_name="Ali", chat_type=chat_type),
                        },
                        application.bot,
                    )
                )

    asyncio.run(scenario())
    group, supergroup, private = telegram.messages  # all three answered (no 400)
    assert group.chat_id == supergroup.chat_id == -100200300
    assert group.reply_markup is None and supergroup.reply_markup is None
    assert "/start" in group.text
    assert private.chat_id == USER_ID
    assert "web_app" in private.reply_markup["inline_keyboard"][0][0]
    assert "Error while handling update" not in caplog.text


def test_bot_webhook_refuses_to_start_without_a_secret(monkeypatch, capsys):
    from mockexam import bot
    from mockexam.cli import main
    from mockexam.config import settings

    def must_not_build(**_kwargs):
        raise AssertionError("the bot must not start")

    monkeypatch.setattr(bot, "build_application", must_not_build)
    monkeypatch.setattr(settings, "telegram_webhook_secret", None)
    assert main(["bot", "--webhook-url", "https://mockexam.example/tg"]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_WEBHOOK_SECRET" in err and "forged" in err
    monkeypatch.setattr(settings, "telegram_webhook_secret", "has spaces!")
    assert main(["bot", "--webhook-url", "https://mockexam.example/tg"]) == 2
    assert "TELEGRAM_WEBHOOK_SECRET must be" in capsys.readouterr().err


def test_bot_webhook_passes_the_secret_to_ptb(monkeypatch):
    from mockexam import bot
    from mockexam.cli import main
    from mockexam.config import settings

    seen = {}

    class FakeApplication:
        def run_webhook(self, **kwargs):
            seen.update(kwargs)

    monkeypatch.setattr(bot, "build_application", lambda **_kwargs: FakeApplication())
    # Read as a setting (TELEGRAM_WEBHOOK_SECRET, from the environment or .env).
    monkeypatch.setattr(settings, "telegram_webhook_secret", "s3cret_Token-1")
    assert main(["bot", "--webhook-url", "https://mockexam.example/tg", "--port", "9001"]) == 0
    assert seen["secret_token"] == "s3cret_Token-1"
    assert seen["webhook_url"] == "https://mockexam.example/tg"
    assert (seen["url_path"], seen["port"]) == ("tg", 9001)


def test_bot_start_with_an_invite_joins_the_group_and_says_so(db_url, telegram):
    from mockexam.models import GroupMember, StudentGroup
    from mockexam.services import groups

    with session_scope() as db:
        group = groups.create_group(db, name="Matematika 9-A", actor_id=None)
        code, group_id = group.invite_code, group.id
        old = groups.create_group(db, name="Eski guruh", actor_id=None)
        groups.set_archived(db, old.id, True, actor_id=None)
        archived_code = old.invite_code

    async def scenario():
        application = build_application()
        async with application:
            await application.start()
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            try:
                for n, text in enumerate(
                    [
                        f"/start g_{code}",
                        f"/start g_{code}",
                        f"/start g_{archived_code}",
                        "/start g_nosuchcode",
                        "/start promo2026",
                    ],
                    start=1,
                ):
                    telegram.push_update(_command(text, first_name="Ali", language="uz"))
                    await _until(lambda n=n: telegram.message_count() == n)
            finally:
                await application.updater.stop()
                await application.stop()

    asyncio.run(scenario())
    joined, again, archived, unknown, other = (m.text for m in telegram.messages)
    assert joined.startswith("Siz «Matematika 9-A» guruhiga qo‘shildingiz.\n\nSalom, Ali!")
    assert again.startswith("Siz allaqachon «Matematika 9-A» guruhidasiz.")
    assert archived.startswith("Bu taklif havolasi endi ishlamaydi.")
    assert unknown.startswith("Bu taklif havolasi endi ishlamaydi.")
    assert other.startswith("Salom, Ali!")  # not an invite: an ordinary /start
    assert all(m.reply_markup is not None for m in telegram.messages)
    with session_scope(readonly=True) as db:
        members = db.exec(select(GroupMember.group_id, GroupMember.source)).all()
        assert members == [(group_id, "invite")]
        assert db.get(StudentGroup, group_id).archived_at is None
