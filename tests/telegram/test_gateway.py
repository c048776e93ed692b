"""The gateway over the real PTB client and the fake Bot API: every outcome mapped."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from mockexam.telegram.gateway import (
    Button,
    Outcome,
    TelegramGateway,
    TelegramUnavailableError,
    classify,
    mini_app_link,
)

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _run(coro):
    return asyncio.run(coro)


async def _send_all(fake, chats, *, read_timeout=0.5):
    async with TelegramGateway(
        token=fake.token, base_url=fake.base_url, read_timeout=read_timeout
    ) as gateway:
        return [await gateway.send_message(chat, "Salom") for chat in chats]


def test_gateway_send_message_maps_every_outcome(fake_api):
    fake_api.configure(
        blocked={2}, deactivated={3}, bad_chats={4}, slow_chats={5: 0.8}, drop_chats={6}
    )
    results = _run(_send_all(fake_api, [1, 2, 3, 4, 5, 6], read_timeout=0.3))
    assert [r.outcome for r in results] == [
        Outcome.SENT,
        Outcome.BLOCKED,
        Outcome.BLOCKED,
        Outcome.BAD_REQUEST,
        Outcome.UNKNOWN,  # timed out after the request went out
        Outcome.UNKNOWN,  # connection dropped after the request went out
    ]
    assert results[0].message_id == fake_api.messages[0].message_id
    assert "blocked by the user" in results[1].error
    assert "deactivated" in results[2].error
    assert "not found" in results[3].error.lower()
    # both were delivered: that is why an unknown outcome must never be resent
    assert fake_api.counts_by_chat()[5] == fake_api.counts_by_chat()[6] == 1


def test_gateway_maps_429_with_retry_after_and_5xx(fake_api):
    fake_api.configure(retry_every=1, retry_after=3)
    (limited,) = _run(_send_all(fake_api, [1]))
    assert limited.outcome == Outcome.RETRY_AFTER
    assert limited.retry_after == 3.0
    assert fake_api.message_count() == 0
    fake_api.configure(retry_every=None, server_error_every=1)
    (bad_gateway,) = _run(_send_all(fake_api, [1]))
    # the fake delivered it and then answered 502: a 5xx proves nothing, so unknown
    assert bad_gateway.outcome == Outcome.UNKNOWN
    assert "Bad Gateway" in bad_gateway.error
    assert fake_api.counts_by_chat()[1] == 1


def test_gateway_an_unparsable_200_is_unknown_not_failed(fake_api):
    fake_api.configure(garbled_chats={7})
    (result,) = _run(_send_all(fake_api, [7]))
    assert result.outcome == Outcome.UNKNOWN
    assert fake_api.counts_by_chat()[7] == 1  # it did arrive


def test_gateway_connection_refused_is_a_retryable_network_error(fake_api):
    async def scenario():
        async with TelegramGateway(token=fake_api.token, base_url=fake_api.base_url) as gateway:
            fake_api.stop()  # the API goes away after getMe
            return await gateway.send_message(1, "x")

    result = _run(scenario())
    assert result.outcome == Outcome.NETWORK_ERROR


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gateway_enter_checks_token_and_reachability(fake_api):
    async def enter(token, base_url):
        async with TelegramGateway(token=token, base_url=base_url, connect_timeout=1.0):
            pass

    with pytest.raises(TelegramUnavailableError) as err:
        _run(enter("999:wrong-token", fake_api.base_url))
    assert err.value.permanent
    assert "TELEGRAM_BOT_TOKEN" in str(err.value)
    assert "wrong-token" not in str(err.value)  # the message is logged and stored
    with pytest.raises(TelegramUnavailableError) as err:
        _run(enter(fake_api.token, f"http://127.0.0.1:{_closed_port()}/bot"))
    assert not err.value.permanent


def test_gateway_buttons_mini_app_in_dm_and_link_in_channel(fake_api):
    async def scenario():
        async with TelegramGateway(token=fake_api.token, base_url=fake_api.base_url) as gateway:
            await gateway.send_message(
                10, "dm", button=Button("Ochish", "https://mockexam.example/app")
            )
            link = Button("Qatnashish", mini_app_link(gateway.bot_username, "exam7"))
            await gateway.post_to_channel("@mockexam_news", "post", link=link)

    _run(scenario())
    dm, post = fake_api.messages
    assert dm.reply_markup == {
        "inline_keyboard": [
            [{"text": "Ochish", "web_app": {"url": "https://mockexam.example/app"}}]
        ]
    }
    assert post.chat_id == "@mockexam_news"
    assert post.reply_markup == {
        "inline_keyboard": [
            [{"text": "Qatnashish", "url": "https://t.me/mockexam_test_bot?startapp=exam7"}]
        ]
    }
    sent = fake_api.calls("sendMessage")[0][1]
    assert sent["chat_id"] == 10 and sent["text"] == "dm"  # form-encoded, like PTB sends


def _chained(error, cause):
    try:
        raise error from cause
    except Exception as err:  # the exception as PTB raises it, __cause__ set
        return err


@pytest.mark.parametrize(
    ("make_error", "outcome"),
    [
        (lambda: _chained(TimedOut(), httpx.ConnectTimeout("connect")), Outcome.NETWORK_ERROR),
        (
            lambda: _chained(TimedOut("Pool timeout: …"), httpx.PoolTimeout("pool")),
            Outcome.NETWORK_ERROR,
        ),
        (lambda: _chained(TimedOut(), httpx.ReadTimeout("read")), Outcome.UNKNOWN),
        (lambda: _chained(TimedOut(), httpx.WriteTimeout("write")), Outcome.UNKNOWN),
        (
            lambda: _chained(NetworkError("httpx.ConnectError"), httpx.ConnectError("x")),
            Outcome.NETWORK_ERROR,
        ),
        (lambda: _chained(NetworkError("httpx.ReadError"), httpx.ReadError("x")), Outcome.UNKNOWN),
        (lambda: NetworkError("Bad Gateway"), Outcome.UNKNOWN),  # a 5xx answer
        (lambda: NetworkError("Gateway Timeout"), Outcome.UNKNOWN),
        (
            lambda: _chained(
                NetworkError("Unknown error in HTTP implementation: RuntimeError()"),
                RuntimeError(),
            ),
            Outcome.UNKNOWN,
        ),
        (lambda: TelegramError("Invalid server response"), Outcome.UNKNOWN),  # 200, not JSON
        (lambda: Conflict("terminated by other getUpdates"), Outcome.BAD_REQUEST),
        (lambda: BadRequest("Chat not found"), Outcome.BAD_REQUEST),
        (lambda: Forbidden("Forbidden: user is deactivated"), Outcome.BLOCKED),
        (lambda: InvalidToken("Unauthorized"), Outcome.INVALID_TOKEN),
        (lambda: ChatMigrated(-1009876), Outcome.BAD_REQUEST),
        (lambda: RetryAfter(4), Outcome.RETRY_AFTER),
    ],
)
def test_classify_orders_ptb_errors_and_reads_the_httpx_cause(make_error, outcome):
    error = make_error()
    result = classify(error)
    assert result.outcome == outcome
    if isinstance(error, ChatMigrated):
        assert result.migrate_to_chat_id == -1009876
    if isinstance(error, RetryAfter):
        assert result.retry_after == 4.0
