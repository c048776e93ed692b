"""A fake Telegram Bot API on 127.0.0.1 that answers like the real one.

The real python-telegram-bot client talks to it (`Bot(token,
base_url=fake.base_url)`, or `TELEGRAM_API_BASE_URL` for a child process).
It speaks HTTP/1.1 with keep-alive, reads form-encoded (and JSON) requests,
answers `{"ok": true, "result": …}` or the real error statuses and bodies,
and records every message it delivered so tests can assert exactly-once.

Per test it can answer 429 every Nth sendMessage (with `retry_after`), 403
for chosen chats (blocked / deactivated), 400 for others, 502 every Nth,
502 for chosen chats (after delivering: a 5xx does not prove the message was
not delivered), a 200 that is not JSON for chosen chats (after delivering), 400 for a
web_app button outside a private chat (as Telegram does),
delay chosen replies (the message is still delivered, as on Telegram), and
drop the connection after delivering to chosen chats, and
enforce a messages-per-second limit with 429s when it is exceeded.

The bot's set-up keeps state like Telegram: what setMyCommands,
setMyDescription, setMyShortDescription (per language_code),
setChatMenuButton and setWebhook/deleteWebhook stored is what the matching
get* method returns; getUpdates answers 409 while a webhook is set; the
limits Telegram enforces (command names and description lengths, HTTPS
webhooks on ports 443, 80, 88 and 8443, HTTPS Mini App URLs) answer 400.
Run it alone with `python -m tests.telegram.fake_bot_api --port 8081`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.managers import BaseManager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DEFAULT_TOKEN = "123456789:AAFakeTokenForTestsOnly-abcdefghijk"
_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_INT = re.compile(r"^-?\d+$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_WEBHOOK_PORTS = (443, 80, 88, 8443)
DEFAULT_SCOPE = '{"type": "default"}'
# Methods that change the bot's set-up (what a second `telegram-setup` must not call).
SETUP_SETTERS = frozenset(
    {
        "setMyCommands",
        "deleteMyCommands",
        "setMyDescription",
        "setMyShortDescription",
        "setChatMenuButton",
        "setWebhook",
        "deleteWebhook",
    }
)


@dataclass(frozen=True)
class SentMessage:
    """One message the fake delivered."""

    chat_id: int | str
    text: str
    message_id: int
    reply_markup: dict[str, Any] | None
    at: float  # time.monotonic() when it arrived


@dataclass
class _State:
    token: str
    username: str
    bot_id: int
    blocked: set[int] = field(default_factory=set)
    deactivated: set[int] = field(default_factory=set)
    bad_chats: set[int | str] = field(default_factory=set)
    slow_chats: dict[int | str, float] = field(default_factory=dict)
    drop_chats: set[int | str] = field(default_factory=set)
    error_chats: set[int | str] = field(default_factory=set)
    garbled_chats: set[int | str] = field(default_factory=set)
    retry_every: int | None = None
    retry_after: int = 1
    server_error_every: int | None = None
    rate_limit: float | None = None
    latency: float = 0.0
    send_requests: int = 0
    messages: list[SentMessage] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    too_many_requests: int = 0
    rate_limit_hits: int = 0
    window: deque[float] = field(default_factory=deque)
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_message_id: int = 1
    # The bot's set-up, keyed by (scope as JSON, language_code or "") / language_code or "".
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    webhook_url: str = ""
    webhook_secret: str | None = None
    webhook_allowed_updates: list[str] | None = None
    webhook_max_connections: int = 40
    webhook_last_error: str | None = None  # shown by getWebhookInfo as last_error_message


class FakeBotAPI:
    """Start with `with FakeBotAPI() as fake:`; tweak the public attributes per test."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        username: str = "mockexam_test_bot",
        port: int = 0,
    ) -> None:
        self._lock = threading.Condition()
        self._state = _State(token=token, username=username, bot_id=int(token.split(":")[0]))
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------
    def start(self) -> FakeBotAPI:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def launch(self) -> None:
        """`start()` without the return value (a process proxy cannot send the object back)."""
        self.start()

    def stop(self) -> None:
        """Stop like a server going down: no new connections, open ones closed."""
        with self._lock:
            self._lock.notify_all()
            connections = list(self._connections)
        self._server.shutdown()
        self._server.server_close()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def token(self) -> str:
        return self._state.token

    @property
    def username(self) -> str:
        return self._state.username

    # ---- controls (set before or during a test) --------------------------------
    def configure(self, **controls: Any) -> None:
        """Set behaviour: blocked, deactivated, bad_chats, slow_chats, drop_chats,
        error_chats (always 502, after delivering), garbled_chats (200 with a body
        that is not JSON, after delivering), retry_every, retry_after,
        server_error_every (502 after delivering), rate_limit, latency; the set-up
        as it stands before a test: commands, descriptions, short_descriptions,
        menu_buttons, webhook_url, webhook_secret, webhook_allowed_updates,
        webhook_last_error (Telegram's last failed delivery to the webhook)."""
        with self._lock:
            for name, value in controls.items():
                if not hasattr(self._state, name) or name in {"messages", "calls", "window"}:
                    raise AttributeError(f"unknown control {name!r}")
                setattr(self._state, name, value)

    # ---- what happened ------------------------------------------------------------
    @property
    def messages(self) -> list[SentMessage]:
        with self._lock:
            return list(self._state.messages)

    def message_count(self) -> int:
        with self._lock:
            return len(self._state.messages)

    def counts_by_chat(self) -> Counter[int | str]:
        with self._lock:
            return Counter(m.chat_id for m in self._state.messages)

    def duplicates(self) -> dict[int | str, int]:
        return {chat: n for chat, n in self.counts_by_chat().items() if n > 1}

    def calls(self, method: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return [c for c in self._state.calls if method is None or c[0] == method]

    def setup_calls(self) -> list[tuple[str, dict[str, Any]]]:
        """The calls that changed (or tried to change) the bot's set-up."""
        return [c for c in self.calls() if c[0] in SETUP_SETTERS]

    def commands(self, language_code: str | None = None) -> list[dict[str, str]]:
        """The default-scope commands stored for `language_code` (None: for every language)."""
        with self._lock:
            return list(self._state.commands.get((DEFAULT_SCOPE, language_code or ""), []))

    def description(self, language_code: str | None = None) -> str:
        with self._lock:
            return self._state.descriptions.get(language_code or "", "")

    def short_description(self, language_code: str | None = None) -> str:
        with self._lock:
            return self._state.short_descriptions.get(language_code or "", "")

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any]:
        with self._lock:
            return dict(self._menu_button(chat_id))

    @property
    def webhook(self) -> dict[str, Any]:
        """The webhook as set: url ("" when none), secret_token, allowed_updates."""
        with self._lock:
            state = self._state
            return {
                "url": state.webhook_url,
                "secret_token": state.webhook_secret,
                "allowed_updates": state.webhook_allowed_updates,
            }

    @property
    def too_many_requests(self) -> int:
        """How many 429s the fake answered (for any reason)."""
        return self._state.too_many_requests

    @property
    def rate_limit_hits(self) -> int:
        """How many requests came faster than `rate_limit` allows."""
        return self._state.rate_limit_hits

    @property
    def send_requests(self) -> int:
        return self._state.send_requests

    def message_times(self) -> list[float]:
        """Arrival times (time.monotonic of the fake's process) of the delivered messages."""
        return sorted(m.at for m in self.messages)

    def stats(self) -> dict[str, Any]:
        """Counters in one call (handy through a process proxy)."""
        return {
            "token": self.token,
            "base_url": self.base_url,
            "username": self.username,
            "messages": self.message_count(),
            "send_requests": self.send_requests,
            "too_many_requests": self.too_many_requests,
            "rate_limit_hits": self.rate_limit_hits,
        }

    def max_in_any_second(self) -> int:
        """The most messages delivered within any 1-second window."""
        times = sorted(m.at for m in self.messages)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for `getUpdates` (update_id is assigned if missing)."""
        with self._lock:
            update = dict(update)
            update.setdefault("update_id", len(self._state.updates) + 1)
            self._state.updates.append(update)
            self._lock.notify_all()

    # ---- the API ----------------------------------------------------------------
    def handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict, float]:
        """(HTTP status, body, delay before answering) for one request."""
        with self._lock:
            state = self._state
            state.calls.append((method, params))
            if token != state.token:
                return 401, _error(401, "Unauthorized"), 0.0
            handler = getattr(self, f"_api_{method.lower()}", None)
            if handler is None:
                return 404, _error(404, "Not Found"), 0.0
            return handler(params)

    def _api_getme(self, _params: dict[str, Any]) -> tuple[int, dict, float]:
        state = self._state
        return (
            200,
            _ok(
                {
                    "id": state.bot_id,
                    "is_bot": True,
                    "first_name": "Mockexam Test",
                    "username": state.username,
                    "can_join_groups": True,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            ),
            0.0,
        )

    def _api_sendmessage(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        state = self._state
        state.send_requests += 1
        now = time.monotonic()
        chat_id = params.get("chat_id")
        text = params.get("text")
        if chat_id in (None, "") or not text:
            return 400, _error(400, "Bad Request: message text is empty"), state.latency
        if state.retry_every and state.send_requests % state.retry_every == 0:
            state.too_many_requests += 1
            return 429, _retry(state.retry_after), state.latency
        server_error = chat_id in state.error_chats or bool(
            state.server_error_every and state.send_requests % state.server_error_every == 0
        )
        if state.rate_limit:
            while state.window and now - state.window[0] >= 1.0:
                state.window.popleft()
            if len(state.window) >= state.rate_limit:
                state.too_many_requests += 1
                state.rate_limit_hits += 1
                return 429, _retry(max(1, state.retry_after)), state.latency
            state.window.append(now)
        if chat_id in state.blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user"), state.latency
        if chat_id in state.deactivated:
            return 403, _error(403, "Forbidden: user is deactivated"), state.latency
        if chat_id in state.bad_chats:
            return 400, _error(400, "Bad Request: chat not found"), state.latency
        markup = params.get("reply_markup")
        private = isinstance(chat_id, int) and chat_id > 0
        if not private and _has_web_app_button(markup):  # Telegram: DMs only
            return 400, _error(400, "Bad Request: BUTTON_TYPE_INVALID"), state.latency
        message = SentMessage(
            chat_id=chat_id,
            text=text,
            message_id=state.next_message_id,
            reply_markup=markup if isinstance(markup, dict) else None,
            at=now,
        )
        state.next_message_id += 1
        state.messages.append(message)
        is_channel = isinstance(chat_id, str) or chat_id < -1_000_000_000_000
        result = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "channel" if is_channel else "private"}
            if not isinstance(chat_id, str)
            else {"id": -1001234567890, "type": "channel", "username": chat_id.lstrip("@")},
            "text": text,
        }
        if message.reply_markup:
            result["reply_markup"] = message.reply_markup
        if chat_id in state.drop_chats:
            return 0, {}, state.latency  # delivered, then the connection drops unanswered
        if server_error:  # delivered, but the front end answered 502 (it happens on Telegram)
            return 502, _error(502, "Bad Gateway"), state.latency
        if chat_id in state.garbled_chats:  # delivered, then a 200 that is not JSON
            return 200, b"<html>garbled</html>", state.latency
        delay = state.slow_chats.get(chat_id, 0.0) + state.latency
        return 200, _ok(result), delay

    def _api_getupdates(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        if self._state.webhook_url:
            return (
                409,
                _error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                ),
                0.0,
            )
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + min(timeout, 5.0)
        while True:
            pending = [u for u in self._state.updates if u["update_id"] >= offset]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0:
                return 200, _ok(pending[: int(params.get("limit") or 100)]), 0.0
            self._lock.wait(remaining)

    # ---- the bot's set-up ---------------------------------------------------------
    def _menu_button(self, chat_id: int | None) -> dict[str, Any]:
        buttons = self._state.menu_buttons
        return buttons.get(chat_id) or buttons.get(None) or {"type": "default"}

    def _api_setmycommands(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            return 400, _error(400, "Bad Request: commands must be a list of at most 100"), 0.0
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            description = str(command.get("description", "")) if isinstance(command, dict) else ""
            if not _COMMAND.match(name):
                return 400, _error(400, "Bad Request: BOT_COMMAND_INVALID"), 0.0
            if not 1 <= len(description) <= 256:
                return 400, _error(400, "Bad Request: command description is invalid"), 0.0
        key = (_scope(params), _language(params))
        self._state.commands[key] = [
            {"command": str(c["command"]), "description": str(c["description"])} for c in commands
        ]
        return 200, _ok(True), 0.0

    def _api_getmycommands(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        key = (_scope(params), _language(params))
        return 200, _ok(self._state.commands.get(key, [])), 0.0

    def _api_deletemycommands(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        self._state.commands.pop((_scope(params), _language(params)), None)
        return 200, _ok(True), 0.0

    def _set_text(
        self, store: dict[str, str], params: dict[str, Any], name: str, limit: int
    ) -> tuple[int, dict, float]:
        value = params.get(name)
        value = "" if value is None else str(value)
        if len(value) > limit:
            return 400, _error(400, f"Bad Request: {name} is too long"), 0.0
        language = _language(params)
        if value:
            store[language] = value
        else:  # an empty text removes the one for that language
            store.pop(language, None)
        return 200, _ok(True), 0.0

    def _api_setmydescription(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        return self._set_text(self._state.descriptions, params, "description", 512)

    def _api_getmydescription(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        text = self._state.descriptions.get(_language(params), "")
        return 200, _ok({"description": text}), 0.0

    def _api_setmyshortdescription(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        return self._set_text(self._state.short_descriptions, params, "short_description", 120)

    def _api_getmyshortdescription(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        text = self._state.short_descriptions.get(_language(params), "")
        return 200, _ok({"short_description": text}), 0.0

    def _api_setchatmenubutton(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in {
            "default",
            "commands",
            "web_app",
        }:
            return 400, _error(400, "Bad Request: can't parse menu button"), 0.0
        if button["type"] == "web_app":
            url = str((button.get("web_app") or {}).get("url", ""))
            if not button.get("text") or not url:
                return 400, _error(400, "Bad Request: menu button text or URL is empty"), 0.0
            if urlsplit(url).scheme != "https":  # Telegram: Mini Apps only over HTTPS
                return 400, _error(400, "Bad Request: BUTTON_URL_INVALID"), 0.0
        chat_id = params.get("chat_id")
        self._state.menu_buttons[chat_id if isinstance(chat_id, int) else None] = button
        return 200, _ok(True), 0.0

    def _api_getchatmenubutton(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        chat_id = params.get("chat_id")
        return 200, _ok(self._menu_button(chat_id if isinstance(chat_id, int) else None)), 0.0

    def _api_setwebhook(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        state = self._state
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                return (
                    400,
                    _error(
                        400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
                    ),
                    0.0,
                )
            if (parts.port or 443) not in _WEBHOOK_PORTS:
                return (
                    400,
                    _error(
                        400,
                        "Bad Request: bad webhook: Webhook can be set up only on ports "
                        "80, 88, 443 or 8443",
                    ),
                    0.0,
                )
        if secret is not None and not _SECRET_TOKEN.match(str(secret)):
            return 400, _error(400, "Bad Request: secret token contains unallowed characters"), 0.0
        if params.get("drop_pending_updates") in (True, "true", "True"):
            state.updates.clear()
        state.webhook_url = url
        state.webhook_secret = None if secret is None else str(secret)
        if "allowed_updates" in params:  # Telegram keeps the previous list when none is given
            allowed = params["allowed_updates"]
            state.webhook_allowed_updates = list(allowed) if isinstance(allowed, list) else None
        if "max_connections" in params:
            state.webhook_max_connections = int(params["max_connections"])
        state.webhook_last_error = None
        return 200, _ok(True), 0.0

    def _api_deletewebhook(self, params: dict[str, Any]) -> tuple[int, dict, float]:
        state = self._state
        if params.get("drop_pending_updates") in (True, "true", "True"):
            state.updates.clear()
        state.webhook_url = ""
        state.webhook_secret = None
        state.webhook_last_error = None
        return 200, _ok(True), 0.0

    def _api_getwebhookinfo(self, _params: dict[str, Any]) -> tuple[int, dict, float]:
        state = self._state
        info: dict[str, Any] = {
            "url": state.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(state.updates) if state.webhook_url else 0,
        }
        if state.webhook_url:
            info["max_connections"] = state.webhook_max_connections
        if state.webhook_allowed_updates is not None:
            info["allowed_updates"] = list(state.webhook_allowed_updates)
        if state.webhook_last_error:
            info["last_error_date"] = int(time.time()) - 60
            info["last_error_message"] = state.webhook_last_error
        return 200, _ok(info), 0.0


class _FakeManager(BaseManager):
    pass


_FakeManager.register(
    "FakeBotAPI",
    FakeBotAPI,
    exposed=(
        "launch",
        "stop",
        "configure",
        "stats",
        "message_count",
        "message_times",
        "counts_by_chat",
        "duplicates",
        "max_in_any_second",
        "push_update",
    ),
)


@contextlib.contextmanager
def fake_bot_api_process(**kwargs: Any) -> Iterator[Any]:
    """The fake in a process of its own (no GIL shared with the caller), as a proxy.

    For benchmarks: arrival times are then measured without the caller's
    Python work in the way. Properties are read through `stats()`.
    """
    manager = _FakeManager()
    manager.start()
    try:
        fake = manager.FakeBotAPI(**kwargs)
        fake.launch()
        try:
            yield fake
        finally:
            fake.stop()
    finally:
        manager.shutdown()


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def _scope(params: dict[str, Any]) -> str:
    """A command scope as canonical JSON (the default scope when none is given)."""
    scope = params.get("scope")
    return json.dumps(scope, sort_keys=True) if isinstance(scope, dict) else DEFAULT_SCOPE


def _language(params: dict[str, Any]) -> str:
    return str(params.get("language_code") or "")


def _has_web_app_button(markup: Any) -> bool:
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return any("web_app" in button for row in rows for button in row)


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


def _retry(seconds: int) -> dict[str, Any]:
    body = _error(429, f"Too Many Requests: retry after {seconds}")
    body["parameters"] = {"retry_after": seconds}
    return body


def _value(raw: str) -> Any:
    """Form values arrive as strings; JSON-encoded objects (reply_markup) and ids decoded."""
    if _INT.match(raw):
        return int(raw)
    if raw[:1] in "{[":
        with contextlib.suppress(ValueError):
            return json.loads(raw)
    return raw


def _handler_for(fake: FakeBotAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # One write per answer and no Nagle delay, like a real server's latency profile.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with fake._lock:
                fake._connections.add(self.request)

        def finish(self) -> None:
            with fake._lock:
                fake._connections.discard(self.request)
            with contextlib.suppress(OSError):
                super().finish()

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _params(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            if "?" in self.path:
                body = f"{self.path.split('?', 1)[1]}&{body}" if body else self.path.split("?")[1]
            if "json" in (self.headers.get("Content-Type") or ""):
                data = json.loads(body or "{}")
                return {k: _value(v) if isinstance(v, str) else v for k, v in data.items()}
            return {k: _value(v) for k, v in parse_qsl(body, keep_blank_values=True)}

        def _answer(self) -> None:
            match = _PATH.match(self.path.split("?", 1)[0])
            params = self._params()
            if match is None:
                status, body, delay = 404, _error(404, "Not Found"), 0.0
            else:
                status, body, delay = fake.handle(match["token"], match["method"], params)
            if delay:
                time.sleep(delay)
            if status == 0:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.request.shutdown(socket.SHUT_RDWR)
                return
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self._headers_buffer.append(b"\r\n" + payload)
                self.flush_headers()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (timed out)

        do_POST = _answer
        do_GET = _answer

    return Handler


def main() -> None:
    """Serve the fake on 127.0.0.1 until Ctrl-C (for trying the CLI by hand)."""
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args()
    with FakeBotAPI(token=args.token, port=args.port) as fake:
        print(f"TELEGRAM_API_BASE_URL={fake.base_url}")
        print(f"TELEGRAM_BOT_TOKEN={fake.token}")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
