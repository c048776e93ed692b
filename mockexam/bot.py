"""The Telegram bot (python-telegram-bot Application): `/start`, `/help`, the Mini App menu button.

An entry point like cli.py and tasks.py: handlers call services. `/start`
registers the student (or refreshes their name, username and
reachability) and answers in their language with a button that opens the
Mini App. Long polling by default (`python -m mockexam bot`); a webhook
with `--webhook-url` (needs python-telegram-bot's `webhooks` extra), which
refuses to start without TELEGRAM_WEBHOOK_SECRET: Telegram sends it in the
X-Telegram-Bot-Api-Secret-Token header and PTB rejects updates without it,
so nobody else can post forged updates to the public URL.
"""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    User,
    WebAppInfo,
)
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.services import groups
from mockexam.services.students import upsert_student
from mockexam.telegram import messages
from mockexam.telegram.gateway import TelegramUnavailableError
from mockexam.telegram.messages import Text

logger = logging.getLogger(__name__)

# What Telegram accepts as a webhook secret_token (setWebhook): 1-256 of A-Z a-z 0-9 _ -.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _mini_app_url() -> str | None:
    """The Mini App URL, if Telegram will accept it (HTTPS only)."""
    url = settings.webapp_url
    if url.startswith("https://"):
        return url
    logger.warning("WEBAPP_URL %r is not HTTPS: Telegram shows no Mini App button", url)
    return None


def open_app_markup(language: str) -> InlineKeyboardMarkup | None:
    """One button that opens the Mini App, labelled in `language`."""
    url = _mini_app_url()
    if url is None:
        return None
    label = messages.text(Text.OPEN_APP, language)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, web_app=WebAppInfo(url))]])


def _register(user: User, start_param: str | None = None) -> tuple[str, str, str | None]:
    """Create or refresh the student, and join the group of an invite (`g_<code>`) if the
    /start carried one: their language, the name to greet them with, and what to say
    about the group (None without an invite)."""
    with session_scope() as db:
        student = upsert_student(
            db,
            telegram_id=user.id,
            first_name=user.first_name or "",
            last_name=user.last_name or "",
            username=user.username,
            language_code=user.language_code,
        )
        student_id, language = student.id, student.language_code
        name = student.first_name or student.display_name
    notice = groups.join_from_start(student_id, start_param)
    return language, name, notice.text(language) if notice is not None else None


async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Register or update the student (joining the group of an invite link, `/start g_<code>`)
    and answer with the button that opens the Mini App."""
    user, message, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or message is None or chat is None or user.is_bot:
        return
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(messages.text(Text.HELP, user.language_code))
        return
    start_param = context.args[0] if context.args else None
    language, name, group_line = await asyncio.to_thread(_register, user, start_param)
    greeting = messages.text(Text.START, language, name=name)
    await message.reply_text(
        f"{group_line}\n\n{greeting}" if group_line else greeting,
        reply_markup=open_app_markup(language),
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what the bot does, with the Mini App button (in private chats only)."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None:
        return
    language = messages.normalise_language(user.language_code if user else None)
    # Telegram accepts web_app buttons only in private chats (400 in groups).
    private = chat is not None and chat.type == ChatType.PRIVATE
    await message.reply_text(
        messages.text(Text.HELP, language),
        reply_markup=open_app_markup(language) if private else None,
    )


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every error a handler raised, with its traceback."""
    logger.error("Error while handling update %s", update, exc_info=context.error)


async def configure_bot(application: Application) -> None:
    """The Mini App as the menu button, and the command list in every language."""
    bot = application.bot
    url = _mini_app_url()
    if url is not None:
        await bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(
                messages.text(Text.MENU_BUTTON, messages.DEFAULT_LANGUAGE), WebAppInfo(url)
            )
        )
    for language in (None, *messages.LANGUAGES):
        await bot.set_my_commands(
            [
                BotCommand("start", messages.text(Text.CMD_START, language)),
                BotCommand("help", messages.text(Text.CMD_HELP, language)),
            ],
            language_code=language,
        )


def build_application(*, token: str | None = None, base_url: str | None = None) -> Application:
    """The bot's Application with its handlers (token and API URL from settings by default)."""
    token = token or settings.telegram_bot_token
    if not token:
        raise TelegramUnavailableError(
            "TELEGRAM_BOT_TOKEN is unset: the bot cannot run (messages are not being sent).",
            permanent=True,
        )
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url or settings.telegram_api_base_url)
        .post_init(configure_bot)
        .build()
    )
    application.add_handler(CommandHandler("start", start_command))
    application.add_handler(CommandHandler("help", help_command))
    application.add_error_handler(error_handler)
    return application


def main(
    *,
    webhook_url: str | None = None,
    listen: str = "0.0.0.0",
    port: int = 8443,
    secret_token: str | None = None,
) -> None:
    """Run the bot until Ctrl-C: long polling, or a webhook when `webhook_url` is given.

    A webhook needs `secret_token` (TELEGRAM_WEBHOOK_SECRET): without it anyone
    who finds the URL could post forged updates, so it refuses to start.
    """
    if webhook_url is not None:
        if not secret_token:
            raise TelegramUnavailableError(
                "Webhook mode needs TELEGRAM_WEBHOOK_SECRET (1-256 characters of A-Z, a-z, "
                "0-9, _ and -): without it anyone could post forged updates to the webhook URL.",
                permanent=True,
            )
        if not _SECRET_TOKEN.fullmatch(secret_token):
            raise TelegramUnavailableError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -.",
                permanent=True,
            )
    application = build_application()
    if webhook_url is None:
        logger.info("Bot running with long polling")
        application.run_polling(allowed_updates=[Update.MESSAGE])
        return
    logger.info("Bot running with a webhook at %s (listening on %s:%s)", webhook_url, listen, port)
    try:
        application.run_webhook(
            listen=listen,
            port=port,
            url_path=urlsplit(webhook_url).path.lstrip("/"),
            webhook_url=webhook_url,
            secret_token=secret_token,
            allowed_updates=[Update.MESSAGE],
        )
    except RuntimeError as err:  # PTB without the `webhooks` extra (tornado)
        raise TelegramUnavailableError(
            f"Webhook mode is not available: {err}", permanent=True
        ) from err
