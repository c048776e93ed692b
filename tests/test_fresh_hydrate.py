"""A new tab's hydrate leaves out the states it would only diff away (mockexam.fresh_hydrate),
and the delta, the writes and the tree's values are Reflex's own.

Against the machine's Redis, with Reflex's Redis state manager and the app's 52 states:
each case hydrates the same token twice from the same Redis contents, once through
Reflex's own fetch and once through the patched one, and runs what
`State.hydrate_and_load` runs on the tree (client-storage reset, `dict`, the diff
against the compiled defaults, the changes made while resolving), then compares.
"""

from __future__ import annotations

import asyncio
import importlib
import uuid
from typing import Any

import pytest

from mockexam import fresh_hydrate
from tests.conftest import REDIS_TEST_URL, require_redis

pytestmark = pytest.mark.redis

importlib.import_module("mockexam.mockexam")  # every state registered; install() applied

from reflex import state as rs  # noqa: E402
from reflex.istate.manager.redis import StateManagerRedis  # noqa: E402
from reflex.istate.manager.token import BaseStateToken  # noqa: E402
from reflex.state import State  # noqa: E402

from mockexam.admin.exams import ExamsState  # noqa: E402
from mockexam.student.auth import StudentState  # noqa: E402
from mockexam.student.exam import ExamState  # noqa: E402

ROUTER = {"pathname": "/app/exam/5", "asPath": "/app/exam/5", "query": {}}


def _names(root: Any) -> set[str]:
    out, stack = set(), [root]
    while stack:
        state = stack.pop()
        out.add(state.get_full_name())
        stack.extend(state.substates.values())
    return out


async def _hydrate(
    manager: StateManagerRedis, token: BaseStateToken, hashes: list[str] | None, *, patched: bool
) -> tuple[Any, dict, list]:
    """(tree, delta sent, writes) of one hydrate_and_load, as reflex.state runs it."""
    with fresh_hydrate.hydrate_hashes(tuple(hashes) if (patched and hashes) else None):
        root = await manager.get_state(token)
    root._update_router_vars(ROUTER, root.router_data)
    root.router_data = ROUTER
    root._reset_client_storage()
    root._clean()
    root.is_hydrated = False
    delta = await rs._resolve_delta(root.dict())
    if hashes:
        delta = await rs._diff_against_initial_state(State, delta, hashes)
    for state_name, changes in (await root._get_resolved_delta()).items():
        delta.setdefault(state_name, {}).update(changes)
    writes = sorted(manager._collect_state_writes(token, root))
    return root, delta, writes


def _run(case: Any) -> None:
    """`case(manager, hashes)` in one event loop, on an emptied Redis database."""
    require_redis()
    assert fresh_hydrate.install(), "not applied to this Reflex"

    async def run() -> None:
        from redis.asyncio import Redis

        redis = Redis.from_url(REDIS_TEST_URL)
        await redis.flushdb()
        try:
            defaults = await rs._resolve_delta(State(_reflex_internal_init=True).dict(initial=True))
            await case(StateManagerRedis(redis=redis), rs.state_snapshot_hashes(defaults))
        finally:
            await redis.flushdb()
            await redis.aclose()

    asyncio.run(run())


async def _both(manager: StateManagerRedis, token: BaseStateToken, hashes: list[str] | None):
    stock = await _hydrate(manager, token, hashes, patched=False)
    patched = await _hydrate(manager, token, hashes, patched=True)
    return stock, patched


def _token() -> BaseStateToken:
    return BaseStateToken(ident=uuid.uuid4().hex, cls=State)


async def _store(manager: StateManagerRedis, token: BaseStateToken, values: dict) -> None:
    """Write states of the token as earlier events would have left them (Reflex's own writes)."""
    root = await manager.get_state(token)
    for cls, changes in values.items():
        state = await root.get_state(cls)
        for name, value in changes.items():
            setattr(state, name, value)
    await manager.set_state(token, root)


def test_a_new_tabs_hydrate_builds_only_its_route_and_sends_reflexs_own_delta() -> None:
    async def case(manager: StateManagerRedis, hashes: list[str]) -> None:
        stock, (root, delta, writes) = await _both(manager, _token(), hashes)
        stock_root, stock_delta, stock_writes = stock
        assert delta == stock_delta
        assert writes == stock_writes
        assert len(_names(stock_root)) == 52
        built = _names(root)
        assert State.get_full_name() in built
        assert ExamsState.get_full_name() not in built  # the admin panel's are not built
        assert len(built) < 10, sorted(built)
        # The tab is sent the hydrate's own flag, as Reflex sends it.
        assert delta[State.get_full_name()]["is_hydrated_rx_state_"] is False

    _run(case)


def test_states_the_token_used_are_built_and_sent_as_reflex_sends_them() -> None:
    async def case(manager: StateManagerRedis, hashes: list[str]) -> None:
        token = _token()
        await _store(
            manager,
            token,
            {
                ExamState: {"title": "Mock 7", "phase": "lobby", "seconds_until_start": 42},
                ExamsState: {"total": 3, "error": "x"},
            },
        )
        (_, stock_delta, stock_writes), (root, delta, writes) = await _both(manager, token, hashes)
        assert delta == stock_delta
        assert writes == stock_writes
        assert delta[ExamState.get_full_name()]["title_rx_state_"] == "Mock 7"
        assert delta[ExamsState.get_full_name()]["total_rx_state_"] == 3
        assert {ExamState.get_full_name(), StudentState.get_full_name()} <= _names(root)

    _run(case)


def test_a_state_below_one_no_longer_stored_still_gets_its_parent() -> None:
    """Half-expired: the exam page's state is in Redis, its parent's key is gone."""

    async def case(manager: StateManagerRedis, hashes: list[str]) -> None:
        token = _token()
        await _store(manager, token, {StudentState: {"lang": "ru"}, ExamState: {"title": "M8"}})
        await manager.redis.delete(token._state_key(StudentState))
        (_, stock_delta, _), (root, delta, _) = await _both(manager, token, hashes)
        assert delta == stock_delta
        assert delta[ExamState.get_full_name()]["title_rx_state_"] == "M8"
        assert StudentState.get_full_name() in _names(root)

    _run(case)


def test_a_frontend_compiled_with_other_defaults_gets_every_state_reflex_sends() -> None:
    async def case(manager: StateManagerRedis, hashes: list[str]) -> None:
        names = sorted(_names(State(_reflex_internal_init=True)))
        stale = list(hashes)
        stale[1 + names.index(ExamsState.get_full_name())] = "0" * 16  # its defaults differ
        (_, stock_delta, _), (root, delta, _) = await _both(manager, _token(), stale)
        assert delta == stock_delta
        assert ExamsState.get_full_name() in delta  # sent in full, as Reflex does
        assert ExamsState.get_full_name() in _names(root)
        # Another set of states altogether (or a malformed payload): nothing is left out.
        for other in (["x", *hashes[1:]], hashes[:-1], ["not", "hashes"]):
            (_, stock_delta, _), (root, delta, _) = await _both(manager, _token(), other)
            assert delta == stock_delta
            assert len(_names(root)) == 52

    _run(case)


def test_a_reconnects_hydrate_is_reflexs_own() -> None:
    async def case(manager: StateManagerRedis, hashes: list[str]) -> None:
        (_, stock_delta, _), (root, delta, _) = await _both(manager, _token(), None)
        assert delta == stock_delta
        assert len(_names(root)) == 52

    _run(case)


def test_only_a_first_hydrate_event_carries_the_hashes() -> None:
    from reflex_base.event import Event

    name = fresh_hydrate.hydrate_event_name()
    assert fresh_hydrate._event_hashes(Event(name=name, payload={"hashes": ["a", "b"]})) == (
        "a",
        "b",
    )
    for event in (
        Event(name=name, payload={}),
        Event(name=name, payload={"hashes": []}),
        Event(name=name, payload={"hashes": "ab"}),
        Event(name=name, payload={"hashes": ["a", 1]}),
        Event(name=f"{ExamState.get_full_name()}.start", payload={"hashes": ["a"]}),
        None,
    ):
        assert fresh_hydrate._event_hashes(event) is None


def test_the_inert_states_are_those_whose_new_instance_is_the_compiled_default() -> None:
    from redis.asyncio import Redis

    manager = StateManagerRedis(redis=Redis.from_url(REDIS_TEST_URL))  # (never connects)
    inert = asyncio.run(fresh_hydrate._inert(State, manager))
    names = {cls.get_full_name() for cls in inert.classes}
    assert State.get_full_name() not in names  # the root (computed route vars) is always built
    assert ExamsState.get_full_name() in names
    for cls in inert.classes:
        assert not cls.computed_vars
        assert all(sub in inert.classes for sub in cls.get_substates())


def test_a_state_whose_new_instance_differs_from_the_compiled_default_is_not_inert() -> None:
    """E.g. a default factory with a fresh value each time: such a state is always built."""
    snapshot = asyncio.run(fresh_hydrate._snapshot(State))
    name = ExamsState.get_full_name()
    assert fresh_hydrate._is_inert_alone(ExamsState, snapshot.serialized)
    other = {**snapshot.serialized, name: {**snapshot.serialized[name], "total_rx_state_": "7"}}
    assert not fresh_hydrate._is_inert_alone(ExamsState, other)
    assert not fresh_hydrate._is_inert_alone(ExamsState, {})


def test_the_hydrate_event_through_reflexs_opportunistic_lock_builds_only_its_route() -> None:
    """The path a worker takes (REFLEX_OPLOCK_ENABLED, as mockexam.scaleserver sets it): the
    lease fetches the tree, then the cached tree's root is completed; neither adds back
    the states left out. A reconnect's hydrate (no hashes) gets all of them."""
    from reflex_base.event import Event

    async def case(manager: StateManagerRedis, hashes: list[str]) -> None:
        manager._oplock_enabled = True
        await manager._ensure_lock_task_subscribed(timeout=10)
        name = fresh_hydrate.hydrate_event_name()
        new_tab, reconnect = _token(), _token()
        reads: list[int] = []
        mget = manager.redis.mget

        async def counted_mget(keys: list, *args: Any) -> Any:
            reads.append(len(keys))
            return await mget(keys, *args)

        manager.redis.mget = counted_mget
        try:
            async with manager.modify_state(
                new_tab, event=Event(name=name, payload={"hashes": hashes})
            ) as root:
                assert new_tab.lock_key in manager._local_leases  # the lease path was taken
                built = _names(root)
                root.is_hydrated = False  # what the hydrate assigns: the root is written back
            # Each state's key is read once: the completion does not read again what the
            # first read found missing and left out (the lock was held in between).
            assert sum(reads) == 52, reads
            async with manager.modify_state(reconnect, event=Event(name=name, payload={})) as root:
                assert len(_names(root)) == 52
        finally:
            await manager.close()
        assert State.get_full_name() in built
        assert len(built) < 10, sorted(built)

    _run(case)


def test_a_hydrate_with_a_payload_that_is_not_an_object_is_reflexs_own() -> None:
    """Bad input from the client (the payload is not a JSON object): no hashes, no error."""
    from reflex_base.event import Event

    name = fresh_hydrate.hydrate_event_name()
    for payload in (["hashes"], "hashes", None, 7):
        event = Event(name=name, payload={})
        object.__setattr__(event, "payload", payload)
        assert fresh_hydrate._event_hashes(event) is None
