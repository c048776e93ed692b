"""Build Mini App states the way the state manager does, and sign in as Telegram would."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, TypeVar

import reflex as rx
from reflex.istate.data import RouterData

from mockexam.config import settings
from mockexam.telegram.webapp_auth import sign_init_data

S = TypeVar("S", bound=rx.State)


def init_data_for(
    telegram_id: int,
    *,
    first_name: str = "Test",
    language_code: str = "uz",
    bot_token: str | None = None,
    auth_date: int | None = None,
    start_param: str | None = None,
) -> str:
    """initData signed as Telegram signs it (with the configured webapp token by default);
    `start_param` as a `t.me/<bot>?startapp=…` link gives it."""
    user = {"id": telegram_id, "first_name": first_name, "language_code": language_code}
    fields = {
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        "query_id": f"AAH{telegram_id}",
    }
    if start_param is not None:
        fields["start_param"] = start_param
    return sign_init_data(fields, bot_token=bot_token or settings.webapp_token)


def make_state(
    cls: type[S],
    *,
    path: str = "/app",
    params: dict[str, str] | None = None,
    fragment: str = "",
) -> S:
    """A fresh `cls` inside a fresh root state, routed to `path` with route `params`;
    `fragment`: the URL's hash (without '#'), as the browser puts it in `asPath`."""
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    assert isinstance(state, cls)
    root.router = RouterData.from_router_data(
        {
            "pathname": path,
            "asPath": f"{path}#{fragment}" if fragment else path,
            "query": dict(params or {}),
            "token": "test-token",
            "sid": "test-sid",
            "headers": {},
        }
    )
    return state


def toast_js(event: Any) -> str:
    """The JavaScript of a toast event (`rx.toast…` returned by a handler), non-ASCII
    characters as JSON writes them ("Ko\\u2018rish"): compare with `json.dumps(text)`."""
    return str(event.args[0][1])


def run(handler: Any, state: rx.State, *args: Any, **kwargs: Any) -> Any:
    """Call an event handler's function on `state` and return what it returned (or yielded)."""
    result = handler.fn(state, *args, **kwargs)
    if asyncio.iscoroutine(result):
        return asyncio.run(result)
    if hasattr(result, "__anext__"):

        async def drain() -> list[Any]:
            return [item async for item in result]

        return asyncio.run(drain())
    return result
