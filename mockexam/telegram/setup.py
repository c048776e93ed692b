"""`telegram-setup`: make the bot look and behave as mockexam needs, idempotently.

What a student sees of the bot before they tap anything — the commands, the
"What can this bot do?" description, the short description on its profile,
the menu button that opens the Mini App — is set here through the Bot API,
in Uzbek (Latin), Russian and English, plus a default for every other
Telegram language. The default is Uzbek, as everywhere else in the product
(`messages.normalise_language`): the bot answers such a student in Uzbek, so
its description should not greet them in English first.

Every item is read first (getMyCommands, getMyDescription, …) and set only
when it differs, so a second run makes no set* call and says "unchanged".
Telegram never shows a webhook's secret back: after changing
TELEGRAM_WEBHOOK_SECRET, run with `force` (or restart the bot in webhook
mode, which sets the webhook itself).

Refusals happen before any request: Telegram opens Mini Apps and posts to
webhooks only over HTTPS, so in production an `http://` WEBAPP_URL is an
error; in development the menu button is skipped with a warning (the real
Bot API would refuse it; the bot's own /start button skips it the same way).
A webhook URL must be HTTPS on a port Telegram posts to, always: there is
no mode in which Telegram accepts anything else.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    MenuButton,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import InvalidToken, NetworkError, TelegramError

from mockexam.config import settings
from mockexam.errors import MockExamError
from mockexam.telegram import messages
from mockexam.telegram.messages import Text

logger = logging.getLogger(__name__)

# Telegram's limits (Bot API: setMyDescription, setMyShortDescription, BotCommand).
DESCRIPTION_MAX = 512
SHORT_DESCRIPTION_MAX = 120
COMMAND_DESCRIPTION_MAX = 256
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
# What Telegram accepts as a webhook secret_token: 1-256 of A-Z a-z 0-9 _ -.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_PORTS = (443, 80, 88, 8443)
# The updates the bot handles: its handlers are /start and /help commands (messages).
# Keep in step with mockexam/bot.py, which polls and sets its webhook with the same list.
ALLOWED_UPDATES: tuple[str, ...] = (Update.MESSAGE,)

# The bot's description ("What can this bot do?", up to 512 characters) and short
# description (its profile and shared links, up to 120), in the words the app uses.
DESCRIPTIONS: dict[str, str] = {
    "uz": "Har hafta sinov imtihonlari — Telegram ichidagi ilovada, haqiqiy imtihondagidek "
    "vaqt bilan.\n"
    "• Javoblar darhol saqlanadi; vaqt tugaganda ish o‘zi topshiriladi.\n"
    "• Natijalar: ball, shkala bali va baho, har bir savol bo‘yicha tahlil.\n"
    "• Reyting va Elo: o‘z o‘rningizni kuzating.\n"
    "• Imtihonlar orasida mashq qiling.\n"
    "Yangi imtihon va natijalar haqida xabar beramiz. Boshlash uchun /start ni bosing.",
    "ru": "Еженедельные пробные экзамены — в приложении внутри Telegram, на время, "
    "как на настоящем экзамене.\n"
    "• Ответы сохраняются сразу; когда время выходит, работа сдаётся сама.\n"
    "• Результаты: баллы, шкальный балл и оценка, разбор каждого задания.\n"
    "• Рейтинг и Эло: следите за своим местом.\n"
    "• Между экзаменами — тренировки.\n"
    "Мы сообщаем о новом экзамене и о готовых результатах. Нажмите /start, чтобы начать.",
    "en": "Weekly mock exams in an app inside Telegram, timed like the real exam.\n"
    "• Answers are saved as you go; when time is up, your sheet is submitted for you.\n"
    "• Results: points, scaled score and grade, with every question reviewed.\n"
    "• Leaderboard and Elo rating: see where you stand.\n"
    "• Practice between the exams.\n"
    "We message you when a new exam is announced and when results are ready. "
    "Tap /start to begin.",
}
SHORT_DESCRIPTIONS: dict[str, str] = {
    "uz": "Haftalik sinov imtihonlari vaqt bilan, Telegram ichida: natijalar, reyting va mashqlar.",
    "ru": "Еженедельные пробные экзамены на время в Telegram: результаты, рейтинг и тренировки.",
    "en": "Weekly timed mock exams in Telegram: your results, the leaderboard and practice.",
}


class TelegramSetupError(MockExamError):
    """The bot could not be set up as asked; the message says why and what to do."""


class Change(StrEnum):
    SET = "set"
    UNCHANGED = "unchanged"
    WOULD_SET = "would set"
    REMOVED = "removed"
    WOULD_REMOVE = "would remove"
    SKIPPED = "skipped"


_CHANGES = frozenset({Change.SET, Change.REMOVED, Change.WOULD_SET, Change.WOULD_REMOVE})


@dataclass(frozen=True)
class BotTexts:
    """What the bot shows in one language (`None`: every language without its own)."""

    language: str | None
    commands: tuple[tuple[str, str], ...]
    description: str
    short_description: str

    @property
    def label(self) -> str:
        return self.language or "default"


@dataclass(frozen=True)
class SetupPlan:
    """The bot as it should be; `menu_url` None skips the menu button, `webhook_url`
    None is polling mode (`delete_webhook` then removes a webhook that is set)."""

    texts: tuple[BotTexts, ...]
    menu_text: str
    menu_url: str | None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    delete_webhook: bool = False


@dataclass(frozen=True)
class SetupItem:
    """One thing telegram-setup looked at, and what it did to it."""

    name: str
    change: Change
    detail: str = ""

    def line(self) -> str:
        return f"{self.name}: {self.change}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class SetupReport:
    """What a run found and changed; `warnings` are things the operator should act on."""

    bot_username: str
    bot_id: int
    items: tuple[SetupItem, ...]
    warnings: tuple[str, ...] = ()
    dry_run: bool = False

    @property
    def changed(self) -> tuple[SetupItem, ...]:
        return tuple(i for i in self.items if i.change in _CHANGES)

    def lines(self) -> list[str]:
        """The report as the CLI prints it: the bot, one line per item, a summary."""
        out = [f"bot: @{self.bot_username} (id {self.bot_id}): token accepted"]
        out += [item.line() for item in self.items]
        n = len(self.changed)
        if self.dry_run:
            out.append(f"Dry run: {n} item(s) would change; nothing was sent to Telegram.")
        elif n:
            out.append(f"{n} item(s) changed.")
        else:
            out.append("Nothing changed: the bot was already set up.")
        return out


def bot_texts() -> tuple[BotTexts, ...]:
    """The default (Uzbek) and the uz/ru/en texts; commands reuse the bot's own wording."""
    result = []
    for language in (None, *messages.LANGUAGES):
        lang = messages.normalise_language(language)
        result.append(
            BotTexts(
                language=language,
                commands=(
                    ("start", messages.text(Text.CMD_START, lang)),
                    ("help", messages.text(Text.CMD_HELP, lang)),
                ),
                description=DESCRIPTIONS[lang],
                short_description=SHORT_DESCRIPTIONS[lang],
            )
        )
    return tuple(result)


def check_texts(texts: tuple[BotTexts, ...]) -> None:
    """Raise `TelegramSetupError` if a text breaks one of Telegram's limits."""
    problems = []
    for t in texts:
        if not 1 <= len(t.description) <= DESCRIPTION_MAX:
            problems.append(f"description ({t.label}) has {len(t.description)} characters")
        if not 1 <= len(t.short_description) <= SHORT_DESCRIPTION_MAX:
            problems.append(
                f"short description ({t.label}) has {len(t.short_description)} characters"
            )
        for command, description in t.commands:
            if not _COMMAND.fullmatch(command):
                problems.append(f"command {command!r} ({t.label}) is not 1-32 of a-z, 0-9, _")
            if not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
                problems.append(f"/{command} description ({t.label}) has {len(description)} chars")
    if problems:
        raise TelegramSetupError(
            f"The bot's texts break Telegram's limits (description ≤ {DESCRIPTION_MAX}, short "
            f"≤ {SHORT_DESCRIPTION_MAX}, command description ≤ {COMMAND_DESCRIPTION_MAX}): "
            + "; ".join(problems)
        )


def check_webhook(url: str, secret: str | None) -> None:
    """Raise `TelegramSetupError` unless Telegram would accept this webhook and secret."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise TelegramSetupError(
            f"The webhook URL {url!r} is not an https:// URL: Telegram posts updates only over "
            "HTTPS. Use the public https:// address that reaches the bot. Nothing was changed."
        )
    try:
        port = parts.port or 443
    except ValueError as err:
        raise TelegramSetupError(f"The webhook URL {url!r} has a bad port: {err}.") from err
    if port not in WEBHOOK_PORTS:
        raise TelegramSetupError(
            f"The webhook URL {url!r} uses port {port}: Telegram posts only to ports "
            f"{', '.join(map(str, WEBHOOK_PORTS))}. Nothing was changed."
        )
    if not secret:
        raise TelegramSetupError(
            "Webhook mode needs TELEGRAM_WEBHOOK_SECRET (1-256 characters of A-Z, a-z, 0-9, _ "
            "and -): without it anyone could post forged updates to the webhook URL. "
            "Nothing was changed."
        )
    if not _SECRET_TOKEN.fullmatch(secret):
        raise TelegramSetupError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -. "
            "Nothing was changed."
        )


def plan_from_settings(
    *, webhook_url: str | None = None, delete_webhook: bool = False
) -> tuple[SetupPlan, tuple[str, ...]]:
    """The plan for this installation and any warnings; raises on what must be refused.

    Nothing is sent to Telegram here, so a refusal changes nothing.
    """
    if not settings.telegram_bot_token:
        raise TelegramSetupError(
            "TELEGRAM_BOT_TOKEN is unset: create the bot with @BotFather (/newbot) and put its "
            "token in the environment file."
        )
    if webhook_url and delete_webhook:
        raise TelegramSetupError("Give either a webhook URL or --delete-webhook, not both.")
    warnings: list[str] = []
    url = settings.webapp_url
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TelegramSetupError(
            f"WEBAPP_URL {url!r} is not a web address: set it to the Mini App's https:// URL "
            "(e.g. https://exam.example.uz/app). Nothing was changed."
        )
    menu_url: str | None = url
    if parts.scheme != "https":
        reason = (
            f"WEBAPP_URL {url!r} is not https://: Telegram opens Mini Apps only over HTTPS, "
            "so students could not open the app from the menu button"
        )
        if settings.mockexam_env == "production":
            raise TelegramSetupError(
                f"{reason}. Set WEBAPP_URL to the https:// address in front of the app "
                "(e.g. https://exam.example.uz/app). Nothing was changed."
            )
        warnings.append(f"{reason}; the menu button was left as it is (development).")
        menu_url = None
    if webhook_url:
        check_webhook(webhook_url, settings.telegram_webhook_secret)
    texts = bot_texts()
    check_texts(texts)
    plan = SetupPlan(
        texts=texts,
        menu_text=messages.text(Text.MENU_BUTTON, messages.DEFAULT_LANGUAGE),
        menu_url=menu_url,
        webhook_url=webhook_url or None,
        webhook_secret=settings.telegram_webhook_secret if webhook_url else None,
        delete_webhook=delete_webhook,
    )
    return plan, tuple(warnings)


@dataclass
class _Run:
    """One run against one bot: records items and warnings as it goes."""

    bot: Bot
    dry_run: bool
    force: bool
    items: list[SetupItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    async def ensure(
        self,
        name: str,
        same: bool,
        apply: Callable[[], Awaitable[object]],
        detail: str = "",
    ) -> None:
        """Call `apply` unless the current value is already right (or this is a dry run)."""
        if same and not self.force:
            self.items.append(SetupItem(name, Change.UNCHANGED, detail))
            return
        if self.dry_run:
            self.items.append(SetupItem(name, Change.WOULD_SET, detail))
            return
        try:
            await apply()
        except TelegramError as err:
            done = [i.name for i in self.items if i.change == Change.SET]
            raise TelegramSetupError(
                f"Telegram refused to set the {name}: {err}. "
                + (f"Set before it: {', '.join(done)}. " if done else "Nothing was changed. ")
                + "Running telegram-setup again is safe."
            ) from err
        logger.debug("telegram-setup: %s set", name)
        self.items.append(SetupItem(name, Change.SET, detail))


def _menu_matches(button: MenuButton, text: str, url: str) -> bool:
    return (
        isinstance(button, MenuButtonWebApp)
        and button.text == text
        and button.web_app is not None
        and button.web_app.url == url
    )


async def apply_plan(
    bot: Bot, plan: SetupPlan, *, dry_run: bool = False, force: bool = False
) -> SetupReport:
    """Read every item from Telegram and set those that differ from `plan`.

    `bot` must be initialized (getMe done). A TelegramError while setting is
    raised as `TelegramSetupError` naming the item.
    """
    run = _Run(bot=bot, dry_run=dry_run, force=force)
    try:
        await _apply(run, plan)
    except TelegramSetupError:
        raise
    except TelegramError as err:  # while reading the current values
        raise TelegramSetupError(
            f"Could not read the bot's current set-up from Telegram: {err}. Nothing more was "
            "changed; try again."
        ) from err
    me = bot.bot
    return SetupReport(
        bot_username=me.username or "",
        bot_id=me.id,
        items=tuple(run.items),
        warnings=tuple(run.warnings),
        dry_run=dry_run,
    )


async def _apply(run: _Run, plan: SetupPlan) -> None:
    bot = run.bot
    for t in plan.texts:
        current = await bot.get_my_commands(language_code=t.language)
        wanted = [BotCommand(c, d) for c, d in t.commands]
        await run.ensure(
            f"commands ({t.label})",
            tuple((c.command, c.description) for c in current) == t.commands,
            lambda t=t, wanted=wanted: bot.set_my_commands(wanted, language_code=t.language),
        )
    for t in plan.texts:
        current_description = await bot.get_my_description(language_code=t.language)
        await run.ensure(
            f"description ({t.label})",
            current_description.description == t.description,
            lambda t=t: bot.set_my_description(t.description, language_code=t.language),
        )
    for t in plan.texts:
        current_short = await bot.get_my_short_description(language_code=t.language)
        await run.ensure(
            f"short description ({t.label})",
            current_short.short_description == t.short_description,
            lambda t=t: bot.set_my_short_description(t.short_description, language_code=t.language),
        )
    await _menu_button(run, plan)
    await _webhook(run, plan)


async def _menu_button(run: _Run, plan: SetupPlan) -> None:
    if plan.menu_url is None:
        run.items.append(SetupItem("menu button", Change.SKIPPED, "WEBAPP_URL is not https://"))
        return
    url = plan.menu_url
    current = await run.bot.get_chat_menu_button()
    await run.ensure(
        "menu button",
        _menu_matches(current, plan.menu_text, url),
        lambda: run.bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(plan.menu_text, WebAppInfo(url))
        ),
        detail=f"{plan.menu_text} → {url}",
    )


async def _webhook(run: _Run, plan: SetupPlan) -> None:
    info = await run.bot.get_webhook_info()
    if info.last_error_message and (plan.webhook_url is None or info.url == plan.webhook_url):
        run.warnings.append(
            f"Telegram's last delivery to the webhook {info.url} failed: "
            f"{info.last_error_message} (at {info.last_error_date})."
        )
    if plan.webhook_url is not None:
        url, wanted = plan.webhook_url, ALLOWED_UPDATES
        same = info.url == url and set(info.allowed_updates or ()) == set(wanted)
        await run.ensure(
            "webhook",
            same,
            lambda: run.bot.set_webhook(
                url=url, secret_token=plan.webhook_secret, allowed_updates=list(wanted)
            ),
            detail=f"{url}, updates: {', '.join(wanted)}",
        )
        return
    if not info.url:
        run.items.append(SetupItem("webhook", Change.UNCHANGED, "none: polling mode"))
        return
    if not plan.delete_webhook:
        run.items.append(SetupItem("webhook", Change.UNCHANGED, f"{info.url} is set"))
        run.warnings.append(
            f"A webhook is set ({info.url}) but no webhook URL was given (polling mode): "
            "Telegram answers getUpdates with 409 Conflict while it is set. "
            "`python -m mockexam bot` in polling mode removes it when it starts; "
            "run telegram-setup --delete-webhook to remove it now, or --webhook-url URL to "
            "keep webhook mode. It was left as it is in case another server uses this bot."
        )
        return
    if run.dry_run:
        run.items.append(SetupItem("webhook", Change.WOULD_REMOVE, info.url))
        return
    try:
        await run.bot.delete_webhook()
    except TelegramError as err:
        raise TelegramSetupError(f"Telegram refused to remove the webhook: {err}.") from err
    run.items.append(SetupItem("webhook", Change.REMOVED, f"{info.url}; polling mode"))


async def set_up_bot(
    plan: SetupPlan,
    *,
    token: str,
    base_url: str,
    dry_run: bool = False,
    force: bool = False,
) -> SetupReport:
    """Check the token (getMe), then apply `plan` to the bot."""
    # httpx logs every request's URL at INFO, and the URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bot = Bot(token, base_url=base_url)
    try:
        await bot.initialize()
    except InvalidToken as err:
        # PTB's message repeats the token: do not print it.
        raise TelegramSetupError(
            "Telegram rejected TELEGRAM_BOT_TOKEN (getMe answered Unauthorized): copy the token "
            "again from @BotFather (/mybots → the bot → API Token). Nothing was changed."
        ) from err
    except NetworkError as err:
        raise TelegramSetupError(
            f"The Telegram Bot API at {base_url} did not answer ({err}): check the network "
            "and TELEGRAM_API_BASE_URL. Nothing was changed."
        ) from err
    except TelegramError as err:
        raise TelegramSetupError(f"Telegram refused getMe ({err}). Nothing was changed.") from err
    try:
        return await apply_plan(bot, plan, dry_run=dry_run, force=force)
    finally:
        await bot.shutdown()


def run_telegram_setup(
    *,
    webhook_url: str | None = None,
    delete_webhook: bool = False,
    dry_run: bool = False,
    force: bool = False,
) -> SetupReport:
    """Set the configured bot up from settings (the CLI's `telegram-setup`)."""
    plan, warnings = plan_from_settings(webhook_url=webhook_url, delete_webhook=delete_webhook)
    token = settings.telegram_bot_token or ""  # checked by plan_from_settings
    report = asyncio.run(
        set_up_bot(
            plan,
            token=token,
            base_url=settings.telegram_api_base_url,
            dry_run=dry_run,
            force=force,
        )
    )
    return replace(report, warnings=warnings + report.warnings)
