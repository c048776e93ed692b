"""A new tab's hydrate builds only the states it has to send (Reflex's Redis state manager).

Every Mini App launch is a new tab: its websocket's first event, `hydrate_and_load`,
is an event of the root state, so Reflex's Redis state manager loads the whole tree
for it — all of the app's 52 states, the admin panel's too — creating each one the
token has never used, then resets their client storage, takes `dict()` of the tree
and diffs it, var by var in JSON, against the defaults compiled into the frontend.
For the states the token has never used every var equals its default, so the diff
drops them all and the tab gets nothing for them: nearly all of a lobby's hydrate
work (py-spy: `hydrate_and_load` was 32% of the backend's GIL time in a 6,000-student
lobby; `bench/hydrate_bench.py`: 4.6 ms of CPU per new tab, 0.14 ms for the 4 states
it builds now) produces nothing.

So, for exactly that event, the state manager leaves out a state when the
result cannot differ:

- the state is not in Redis (the token never changed it: Reflex writes a state
  back only once one of its vars was assigned) — nor is any state below it;
- the frontend said, in the event's `hashes`, that it holds the compiled defaults
  of that state (the same check Reflex's diff makes before it drops a var);
- the state class is *inert*: no computed vars (they might read the route or a
  parent), no client-storage vars (the hydrate resets and applies those), not a
  shared state, and a new instance's vars serialise exactly to the compiled
  defaults (no default factory with a fresh value each time) — and so is every
  state below it.

Such a state would have been created with its defaults, left untouched (so never
written to Redis) and diffed away: the delta, the Redis contents and the states the
next events find are the same, only built later (Reflex fetches a missing substate
on the first event that needs it). Reflex's opportunistic lock reads the tree twice
for such an event (the lease's read, then the cached root's missing substates): both
leave the same states out, and the second does not read again what the first found
missing (`_Hydrate`). A reconnect's hydrate (no `hashes`), every other
event, and the in-memory and disk state managers are Reflex's own, unchanged.
`tests/test_fresh_hydrate.py` checks that the hydrate's delta is Reflex's own for
new, used and half-expired tokens and for stale frontends.

`install()` applies it (mockexam.mockexam, at import) to the Reflex release it was
written against only; with any other release it logs that and leaves Reflex alone.
`MOCKEXAM_FRESH_HYDRATE=off` leaves it off (the load bench's comparison runs).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
import os
from importlib.metadata import version
from typing import Any

logger = logging.getLogger(__name__)

REFLEX_RELEASE = "0.10.1"  # the release whose StateManagerRedis.get_state this mirrors
ENV_SWITCH = "MOCKEXAM_FRESH_HYDRATE"

# The first hydrate being fetched (set only around that fetch).
_hydrate: contextvars.ContextVar[_Hydrate | None] = contextvars.ContextVar(
    "mockexam_hydrate", default=None
)


@dataclasses.dataclass(frozen=True)
class _Inert:
    """The inert state classes, as of one snapshot of the compiled defaults, and what
    a root fetch needs that does not change between fetches."""

    n_state_classes: int
    names_digest: str
    default_hashes: dict[str, str]  # state full name → hash of its compiled defaults
    classes: frozenset[type]  # inert, with every state below them inert
    required: tuple[type, ...]  # a root fetch's states, by full name: parents first
    deepest_first: tuple[type, ...]  # the same, the deepest first
    # hashes → the classes they let be left out (one entry per frontend build seen)
    skippable: dict[tuple[str, ...], frozenset[type]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class _Hydrate:
    """One first hydrate's fetch: the frontend's hashes, and what its first read left out.

    Reflex's opportunistic lock reads a new tab's tree, then completes the root's missing
    substates; the token's lock is held in between (every write checks it), so the states
    left out are still not in Redis and are not read again."""

    hashes: tuple[str, ...]
    left_out: frozenset[type] = frozenset()


SKIPPABLE_CACHE = 8  # distinct `hashes` remembered (a deploy has one; anything else is odd)
_inert_cache: dict[type, _Inert] = {}


def hydrate_event_name() -> str:
    from reflex.state import State

    return f"{State.get_full_name()}.hydrate_and_load"


def _event_hashes(event: Any) -> tuple[str, ...] | None:
    """The `hashes` of a first hydrate (the page holds its compiled defaults), else None."""
    if event is None or event.name != _HYDRATE_EVENT:
        return None
    payload = event.payload if isinstance(event.payload, dict) else {}
    hashes = payload.get("hashes")
    if not isinstance(hashes, list) or not hashes:
        return None
    if not all(isinstance(value, str) for value in hashes):
        return None
    return tuple(hashes)


async def _snapshot(root_cls: type) -> Any:
    """Reflex's cached snapshot of the compiled defaults, computed as Reflex computes it."""
    from reflex import state as rs

    cached = rs._initial_snapshot_cache.get(root_cls)
    if cached is None or cached.n_state_classes != len(rs.all_base_state_classes):
        rs.cache_initial_snapshot(
            root_cls,
            await rs._resolve_delta(root_cls(_reflex_internal_init=True).dict(initial=True)),
        )
        cached = rs._initial_snapshot_cache[root_cls]
    return cached


def _is_inert_alone(cls: type, serialized: dict[str, dict[str, str]]) -> bool:
    from reflex import state as rs
    from reflex.istate.shared import SharedStateBaseInternal

    if cls.get_parent_state() is None or issubclass(cls, SharedStateBaseInternal):
        return False
    if cls.computed_vars:
        return False
    fields = cls.get_fields()
    if any(cls._is_client_storage(fields[name]) for name in cls.base_vars):
        return False
    defaults = serialized.get(cls.get_full_name())
    if defaults is None:
        return False
    fresh = cls(init_substates=False, _reflex_internal_init=True)
    values = fresh.dict()[cls.get_full_name()]
    return {name: rs._serialize_var(value) for name, value in values.items()} == defaults


async def _inert(root_cls: type, manager: Any) -> _Inert:
    snapshot = await _snapshot(root_cls)
    found = _inert_cache.get(root_cls)
    if found is not None and found.n_state_classes == snapshot.n_state_classes:
        return found
    alone: dict[type, bool] = {}

    def inert(cls: type) -> bool:
        if cls not in alone:
            alone[cls] = _is_inert_alone(cls, snapshot.serialized) and all(
                inert(sub) for sub in cls.get_substates()
            )
        return alone[cls]

    required = tuple(
        sorted(
            manager._get_required_state_classes(root_cls, subclasses=True),
            key=lambda cls: cls.get_full_name(),
        )
    )
    classes = frozenset(cls for cls in required if inert(cls))
    found = _Inert(
        n_state_classes=snapshot.n_state_classes,
        names_digest=snapshot.names_digest,
        default_hashes=dict(snapshot.hashes),
        classes=classes,
        required=required,
        deepest_first=tuple(
            sorted(required, key=lambda cls: cls.get_full_name().count("."), reverse=True)
        ),
    )
    _inert_cache[root_cls] = found
    return found


def _skippable(inert: _Inert, hashes: tuple[str, ...]) -> frozenset[type]:
    """The inert classes whose compiled defaults the frontend says it holds."""
    if len(hashes) != len(inert.default_hashes) + 1 or hashes[0] != inert.names_digest:
        return frozenset()  # compiled against other states (or malformed): all sent
    found = inert.skippable.get(hashes)
    if found is None:
        frontend = dict(zip(sorted(inert.default_hashes), hashes[1:], strict=True))
        found = frozenset(
            cls
            for cls in inert.classes
            if frontend.get(name := cls.get_full_name()) == inert.default_hashes.get(name)
        )
        if len(inert.skippable) >= SKIPPABLE_CACHE:
            inert.skippable.clear()
        inert.skippable[hashes] = found
    return found


async def _get_hydrate_tree(manager: Any, token: Any, hydrate: _Hydrate, have: Any = None) -> Any:
    """StateManagerRedis.get_state(token, for_state_instance=have) for a root token,
    without the states left out (see the module's docstring); otherwise the same reads
    and the same tree. `have`: the tree the worker already holds (Reflex's opportunistic
    lock reads a new tab's tree, then completes the root's missing substates)."""
    from reflex.state import BaseState
    from reflex_base.utils.exceptions import StateSchemaMismatchError

    root_cls = token.cls
    inert = await _inert(root_cls, manager)
    skippable = _skippable(inert, hydrate.hashes)
    tree: dict[str, Any] = manager._get_populated_states(have) if have is not None else {}
    held = {type(state) for state in tree.values()}
    known = hydrate.left_out if have is not None else frozenset()
    required = [cls for cls in inert.required if cls not in held and cls not in known]
    stored = (
        await manager.redis.mget([token._state_key(cls) for cls in required]) if required else []
    )
    data = dict(zip(required, stored, strict=True))
    left_out = set(known)
    # Deepest first, so a state is left out only once every state below it is.
    for cls in inert.deepest_first:
        if (
            cls in data
            and cls in skippable
            and data[cls] is None
            and all(sub in left_out for sub in cls.get_substates())
        ):
            left_out.add(cls)
    hydrate.left_out = frozenset(left_out)
    for cls in required:  # sorted by full name: every parent before its substates
        if cls in left_out:
            continue
        state = None
        if (pickled := data[cls]) is not None:
            with contextlib.suppress(StateSchemaMismatchError):
                state = BaseState._deserialize(data=pickled)
        if state is None:
            state = cls(init_substates=False, _reflex_internal_init=True)
        name = state.get_full_name()
        tree[name] = state
        if state.get_parent_state() is not None:
            parent_name, _dot, state_name = name.rpartition(".")
            parent = tree.get(parent_name)
            if parent is None:
                msg = f"Parent state for {name} was not found in the state tree (a bug)"
                raise RuntimeError(msg)
            parent.substates[state_name] = state
            state.parent_state = parent
    return tree[root_cls.get_full_name()]


class _HydrateFetch:
    """`modify_state`'s context manager for a first hydrate: its fetch knows the hashes."""

    __slots__ = ("_context", "_hashes")

    def __init__(self, context: Any, hashes: tuple[str, ...]) -> None:
        self._context = context
        self._hashes = hashes

    async def __aenter__(self) -> Any:
        mark = _hydrate.set(_Hydrate(self._hashes))
        try:
            return await self._context.__aenter__()
        finally:
            _hydrate.reset(mark)

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._context.__aexit__(*exc)


_HYDRATE_EVENT = ""
_installed = False


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "on").strip().lower() not in {"off", "0", "false", "no"}


def install() -> bool:
    """Apply it to Reflex's Redis state manager (once); False when not applied."""
    global _HYDRATE_EVENT, _installed
    if _installed:
        return True
    if not enabled():
        return False
    release = version("reflex")
    if release != REFLEX_RELEASE:
        logger.warning(
            "fresh_hydrate: written for Reflex %s, this is %s: a new tab's hydrate "
            "builds every state (Reflex's own)",
            REFLEX_RELEASE,
            release,
        )
        return False
    from reflex.istate.manager.redis import StateManagerRedis
    from reflex.istate.manager.token import BaseStateToken
    from reflex.state import State

    _HYDRATE_EVENT = hydrate_event_name()
    stock_get_state = StateManagerRedis.get_state
    stock_modify_state = StateManagerRedis.modify_state

    async def get_state(
        self: Any, token: Any, top_level: bool = True, for_state_instance: Any = None
    ) -> Any:
        hydrate = _hydrate.get()
        if hydrate is not None and top_level:
            token = self._coerce_token(token)
            if isinstance(token, BaseStateToken) and token.cls is State:
                return await _get_hydrate_tree(self, token, hydrate, for_state_instance)
        return await stock_get_state(self, token, top_level, for_state_instance)

    def modify_state(self: Any, token: Any, **context: Any) -> Any:
        manager_context = stock_modify_state(self, token, **context)
        hashes = _event_hashes(context.get("event"))
        return manager_context if hashes is None else _HydrateFetch(manager_context, hashes)

    get_state.__doc__ = stock_get_state.__doc__
    modify_state.__doc__ = stock_modify_state.__doc__
    StateManagerRedis.get_state = get_state  # type: ignore[method-assign]
    StateManagerRedis.modify_state = modify_state  # type: ignore[method-assign]
    _installed = True
    return True


@contextlib.contextmanager
def hydrate_hashes(hashes: tuple[str, ...] | None) -> Any:
    """For tests: the fetches inside see `hashes` as one first hydrate's."""
    mark = _hydrate.set(None if hashes is None else _Hydrate(hashes))
    try:
        yield
    finally:
        _hydrate.reset(mark)
