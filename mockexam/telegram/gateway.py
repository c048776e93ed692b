"""One small interface for sending over python-telegram-bot, with every outcome mapped.

`send_message` / `post_to_channel` make exactly one request and never raise
for a Telegram or network failure: they return a `SendResult` whose
`outcome` tells the caller what happened and what it may do next:

- SENT: delivered, with the message id.
- BLOCKED (403: blocked by the user, user deactivated, …): permanent; the
  student is unreachable.
- BAD_REQUEST (400 and other permanent refusals): permanent failure.
- RETRY_AFTER (429): flood control; wait `retry_after` seconds, then retry.
- UNKNOWN: the request may have reached Telegram and no usable answer came
  (read timeout, dropped connection, a 5xx answer, a 200 that cannot be
  parsed, any error PTB cannot attribute): Telegram may have delivered it,
  so it must not be resent.
- NETWORK_ERROR: the request provably did not reach Telegram (connect
  failure, pool timeout): retry with backoff.
- INVALID_TOKEN (401/404): the bot token is wrong; stop sending.

A 502/504 from Telegram's front end does not prove the message was not
delivered, so only outcomes that prove nothing was sent (NETWORK_ERROR,
RETRY_AFTER, INVALID_TOKEN) may be retried.

PTB's `BadRequest` and `TimedOut` subclass `NetworkError`, so the order of
the checks below matters.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import TracebackType

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    WebAppInfo,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from mockexam.config import settings
from mockexam.errors import MockExamError

logger = logging.getLogger(__name__)
# httpx logs every request at INFO: at 30 messages/s that would drown the worker's log.
logging.getLogger("httpx").setLevel(logging.WARNING)

# httpx failures that happen before any byte of the request reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class TelegramUnavailableError(MockExamError):
    """Telegram cannot be used now: no token, a wrong token, or the API is unreachable."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        self.permanent = permanent
        super().__init__(message)


class Outcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"
    BAD_REQUEST = "bad_request"
    RETRY_AFTER = "retry_after"
    UNKNOWN = "unknown"
    NETWORK_ERROR = "network_error"
    INVALID_TOKEN = "invalid_token"


@dataclass(frozen=True)
class SendResult:
    """What one request did; `error` is Telegram's (or the network's) own words."""

    outcome: Outcome
    message_id: int | None = None
    retry_after: float = 0.0
    error: str | None = None
    migrate_to_chat_id: int | None = None


@dataclass(frozen=True)
class Button:
    """One inline button under a message: a Mini App button (DMs) or a plain link."""

    text: str
    url: str
    web_app: bool = True

    def markup(self) -> InlineKeyboardMarkup:
        if self.web_app:
            button = InlineKeyboardButton(self.text, web_app=WebAppInfo(self.url))
        else:
            button = InlineKeyboardButton(self.text, url=self.url)
        return InlineKeyboardMarkup([[button]])


def mini_app_link(bot_username: str, start_param: str) -> str:
    """A t.me link that opens the bot's Mini App (works in channels; arrives as start_param)."""
    return f"https://t.me/{bot_username.lstrip('@')}?startapp={start_param}"


def _retry_after_seconds(err: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form becomes a timedelta
        warnings.simplefilter("ignore")
        value = err.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify(err: TelegramError) -> SendResult:
    """Map a PTB exception to an outcome (order matters: see the module docstring)."""
    message = str(err)[:500]
    if isinstance(err, RetryAfter):
        return SendResult(Outcome.RETRY_AFTER, retry_after=_retry_after_seconds(err), error=message)
    if isinstance(err, Forbidden):
        return SendResult(Outcome.BLOCKED, error=message)
    if isinstance(err, InvalidToken):
        return SendResult(Outcome.INVALID_TOKEN, error=message)
    if isinstance(err, ChatMigrated):
        return SendResult(
            Outcome.BAD_REQUEST,
            error=f"The chat moved to {err.new_chat_id}: {message}",
            migrate_to_chat_id=int(err.new_chat_id),
        )
    if isinstance(err, BadRequest):
        return SendResult(Outcome.BAD_REQUEST, error=message)
    if isinstance(err, TimedOut):
        if isinstance(err.__cause__, _NOT_SENT) or "Pool timeout" in message:
            return SendResult(Outcome.NETWORK_ERROR, error=f"Not sent: {message}")
        return SendResult(Outcome.UNKNOWN, error=f"Timed out waiting for Telegram: {message}")
    if isinstance(err, NetworkError):
        cause = err.__cause__
        if isinstance(cause, _NOT_SENT):
            return SendResult(Outcome.NETWORK_ERROR, error=f"Not sent: {message}")
        if isinstance(cause, httpx.HTTPError):
            # The request went out and the connection broke before the answer.
            return SendResult(Outcome.UNKNOWN, error=f"Connection lost after sending: {message}")
        # A 5xx answer (502/504 do not prove it was not delivered) or PTB's
        # "Unknown error in HTTP implementation": it may have arrived.
        return SendResult(Outcome.UNKNOWN, error=f"No usable answer from Telegram: {message}")
    if isinstance(err, Conflict | EndPointNotFound):
        return SendResult(Outcome.BAD_REQUEST, error=message)  # Telegram refused it
    # A bare TelegramError: a 200 PTB could not parse ("Invalid server response"), …
    return SendResult(Outcome.UNKNOWN, error=f"Unreadable answer from Telegram: {message}")


class TelegramGateway:
    """One bot session: `async with TelegramGateway(token=…, base_url=…) as gateway`.

    Entering calls `getMe` (so a wrong token or an unreachable API is found
    before any message is claimed) and raises `TelegramUnavailableError`.
    """

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        write_timeout: float = 10.0,
        pool_timeout: float = 2.0,
    ) -> None:
        self.read_timeout = read_timeout
        request = HTTPXRequest(
            connection_pool_size=4,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            pool_timeout=pool_timeout,
        )
        self._bot = Bot(token, base_url=base_url, request=request, get_updates_request=request)

    async def __aenter__(self) -> TelegramGateway:
        try:
            await self._bot.initialize()
        except InvalidToken as err:
            # Not PTB's text: it quotes the token, and this message is logged and stored.
            raise TelegramUnavailableError(
                "Telegram refused the bot token; check TELEGRAM_BOT_TOKEN.", permanent=True
            ) from err
        except TelegramError as err:
            raise TelegramUnavailableError(
                f"The Telegram Bot API is unreachable now ({err}); will retry.", permanent=False
            ) from err
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._bot.shutdown()

    @property
    def bot_username(self) -> str:
        return self._bot.username

    @property
    def bot(self) -> Bot:
        return self._bot

    async def send_message(
        self, chat_id: int | str, text: str, *, button: Button | None = None
    ) -> SendResult:
        """Send one text message; one request, never retried here."""
        try:
            message = await self._bot.send_message(
                chat_id=chat_id,
                text=text,
                reply_markup=button.markup() if button else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramError as err:
            result = classify(err)
            logger.debug("send to %s: %s (%s)", chat_id, result.outcome, result.error)
            return result
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            # A 200 whose result PTB could not turn into a Message: it may have arrived.
            logger.warning("send to %s: unreadable answer (%r)", chat_id, err)
            return SendResult(Outcome.UNKNOWN, error=f"Unreadable answer from Telegram: {err!r}")
        return SendResult(Outcome.SENT, message_id=message.message_id)

    async def post_to_channel(
        self, channel_id: int | str, text: str, *, link: Button | None = None
    ) -> SendResult:
        """Post to a channel; Mini App buttons do not work there, so `link` is a URL button."""
        if link is not None and link.web_app:
            link = Button(link.text, link.url, web_app=False)
        return await self.send_message(channel_id, text, button=link)


def gateway_from_settings(**timeouts: float) -> TelegramGateway:
    """A gateway for the configured bot; raises `TelegramUnavailableError` without a token."""
    if not settings.telegram_bot_token:
        raise TelegramUnavailableError(
            "TELEGRAM_BOT_TOKEN is unset: messages are not being sent.", permanent=True
        )
    return TelegramGateway(
        token=settings.telegram_bot_token, base_url=settings.telegram_api_base_url, **timeouts
    )
