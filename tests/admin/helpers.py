"""Admin states built the way the state manager builds them, signed in (or not) like a browser."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import reflex as rx
from reflex.istate.data import RouterData

from mockexam.admin.auth import TOKEN_COOKIE
from mockexam.db import session_scope
from mockexam.models import AdminRole
from mockexam.services import admin_auth
from mockexam.services.admins import create_admin

S = TypeVar("S", bound=rx.State)
PASSWORD = "correct horse battery"


def make_admin(username: str = "alice", role: AdminRole = AdminRole.OWNER) -> int:
    """An account (committed), an owner unless `role` says otherwise; returns its id."""
    with session_scope() as db:
        return create_admin(db, username=username, password=PASSWORD, role=role).id


def admin_token(username: str = "alice", role: AdminRole = AdminRole.OWNER) -> str:
    """A live session token for `username` (creating the account if needed)."""
    make_admin(username, role)
    return admin_auth.login(username=username, password=PASSWORD, client="test").token


def make_state(
    cls: type[S],
    *,
    path: str = "/admin",
    token: str = "",
    params: dict[str, str] | None = None,
    client_ip: str = "203.0.113.7",
) -> S:
    """A fresh `cls` inside a fresh root state, routed to `path`, with `token` in the cookie.

    The cookie is where the server reads it: the websocket handshake's Cookie header.
    """
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    assert isinstance(state, cls)
    cookie = f"{TOKEN_COOKIE}={token}" if token else ""
    route(state, path, params=params, cookie=cookie, client_ip=client_ip)
    return state


def route(
    state: rx.State,
    path: str,
    *,
    params: dict[str, str] | None = None,
    cookie: str | None = None,
    client_ip: str = "203.0.113.7",
) -> None:
    """Route the tab of `state` (its root's router) to `path`, as a link click in the page
    does; the handshake's cookie stays unless `cookie` is given."""
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    if cookie is None:
        cookie = root.router.headers.cookie
    root.router = RouterData.from_router_data(
        {
            "pathname": path,
            "asPath": path,
            "query": dict(params or {}),
            "token": "test-token",
            "sid": "test-sid",
            "headers": {"cookie": cookie} if cookie else {},
            "ip": client_ip,
        }
    )


def run(handler: Any, state: rx.State, *args: Any, **kwargs: Any) -> Any:
    """Call an event handler's function on `state`; returns what it returned (or yielded)."""
    result = handler.fn(state, *args, **kwargs)
    if asyncio.iscoroutine(result):
        return asyncio.run(result)
    if hasattr(result, "__anext__"):

        async def drain() -> list[Any]:
            return [item async for item in result]

        return asyncio.run(drain())
    return result


def events(result: Any) -> list[Any]:
    """Every EventSpec a handler returned or yielded (nested lists flattened)."""
    out: list[Any] = []
    stack = [result]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list | tuple):
            stack[:0] = list(item)
        elif getattr(item, "handler", None) is not None:
            out.append(item)
    return out


def event_args(result: Any, name: str) -> dict[str, Any] | None:
    """The arguments of the first `name` event (`_redirect`, `_download`, …), or None."""
    for spec in events(result):
        if spec.handler.fn.__qualname__ == name:
            return {key._js_expr: getattr(value, "_var_value", value) for key, value in spec.args}
    return None


def redirect_target(result: Any) -> str | None:
    """The path of the first rx.redirect among a handler's returned / yielded events."""
    args = event_args(result, "_redirect")
    return None if args is None else args["path"]


def sibling(state: rx.State, cls: type[S]) -> S:
    """The `cls` state of the same client (same root state) as `state`."""
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    other = root.get_substate(cls.get_full_name().split(".")[1:])
    assert isinstance(other, cls)
    return other
