"""CPU of Reflex's hydrate for the app's state tree: what every new tab costs the backend.

A Mini App launch opens a websocket whose first event, `hydrate_and_load`, builds
every one of the app's states for the new token (52: the admin panel's too),
resets their client storage, takes `dict()` of the whole tree and diffs it
against the defaults compiled into the frontend, var by var, in JSON. py-spy on
a 4,000-student lobby (docs/benchmarks.md, 2026-12-07, fourth session) put a
quarter of the backend's GIL time there, and a connect costs about 10 ms of it.

This times each piece on fresh trees, in process, as reflex.state runs it:

- `create`    State() with every substate (a new token's tree);
- `reset`     BaseState._reset_client_storage (walks every var of every state);
- `dict`      _resolve_delta(root.dict()) (the snapshot);
- `diff`      _diff_against_initial_state (serialises each var and compares).

and two candidate changes to Reflex, checked to give the same result first:

- `reset, cached`  the client-storage vars listed once per state class;
- `diff, scalars`  a str, int, bool or None equal to its default (same type)
                   skips the serialising; anything else is compared as before.

and what a new tab builds with mockexam.fresh_hydrate (the states that are not inert),
checked to send the same delta.

    .venv/bin/python bench/hydrate_bench.py [--trees 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MOCKEXAM_ENV", "test")

SCALARS = (str, int, bool, type(None))


def _states(root: Any) -> list[Any]:
    out, stack = [], [root]
    while stack:
        state = stack.pop()
        out.append(state)
        stack.extend(state.substates.values())
    return out


def _timed(fn: Any, items: list[Any]) -> float:
    """ms of process time per item."""
    began = time.process_time()
    for item in items:
        fn(item)
    return (time.process_time() - began) / len(items) * 1000


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", type=int, default=300)
    args = parser.parse_args()

    import importlib

    importlib.import_module("mockexam.mockexam")  # registers every state
    from reflex import state as rs
    from reflex.state import State

    defaults = await rs._resolve_delta(State(_reflex_internal_init=True).dict(initial=True))
    rs.cache_initial_snapshot(State, defaults)
    hashes = rs.state_snapshot_hashes(defaults)
    cached = rs._initial_snapshot_cache[State]
    n = args.trees

    def fresh(_: Any = None) -> Any:
        return State(_reflex_internal_init=True)

    async def pieces(make: Any) -> tuple[float, float, float, float, list, list]:
        """ms per tree of create, reset, dict, diff over n trees from `make`; the deltas."""
        create = _timed(make, list(range(n)))
        trees = [make() for _ in range(n)]
        reset = _timed(lambda r: r._reset_client_storage(), trees)
        began = time.process_time()
        deltas = [await rs._resolve_delta(r.dict()) for r in trees]
        snapshot = (time.process_time() - began) / n * 1000
        began = time.process_time()
        diffs = [await rs._diff_against_initial_state(State, d, hashes) for d in deltas]
        diff = (time.process_time() - began) / n * 1000
        return create, reset, snapshot, diff, deltas, diffs

    create, reset, snapshot, diff, deltas, diffs = await pieces(fresh)

    storage: dict[type, tuple[tuple[str, Any], ...]] = {}

    def storage_vars(cls: type) -> tuple[tuple[str, Any], ...]:
        if cls not in storage:
            fields = cls.get_fields()
            storage[cls] = tuple(
                (name, fields[name])
                for name in cls.base_vars
                if cls._is_client_storage(fields[name])
            )
        return storage[cls]

    def reset_cached(root: Any) -> None:
        for state in _states(root):
            for name, field in storage_vars(type(state)):
                setattr(state, name, field.default_value())

    def diff_scalars(delta: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for state_name, state_vars in delta.items():
            serialized = cached.serialized.get(state_name)
            if serialized is None:
                out[state_name] = state_vars
                continue
            values = defaults.get(state_name, {})
            changed = {}
            for name, value in state_vars.items():
                if name not in serialized:
                    changed[name] = value
                    continue
                default = values.get(name, ...)
                if type(value) in SCALARS and type(value) is type(default) and value == default:
                    continue
                if rs._serialize_var(value) != serialized[name]:
                    changed[name] = value
            if changed:
                out[state_name] = changed
        return out

    # The same results first: the reset leaves the same values, the diff the same delta.
    check = [fresh() for _ in range(3)]
    for tree in check:
        reset_cached(tree)
    assert [await rs._resolve_delta(t.dict()) for t in check] == deltas[:3]
    assert [diff_scalars(d) for d in deltas] == diffs, "the scalar fast path changed a delta"

    trees = [fresh() for _ in range(n)]
    reset_fast = _timed(reset_cached, trees)
    diff_fast = _timed(diff_scalars, deltas)
    states = len(_states(trees[0]))
    total = create + reset + snapshot + diff
    print(f"hydrate of a fresh tree ({states} states), ms of CPU per tab, {n} trees:")
    print(f"  create {create:.3f}   reset {reset:.3f}   dict {snapshot:.3f}   diff {diff:.3f}")
    print(f"  total  {total:.3f}")
    print(f"  reset, cached   {reset_fast:.3f}  ({reset / max(reset_fast, 1e-9):.1f}x less)")
    print(f"  diff, scalars   {diff_fast:.3f}  ({diff / max(diff_fast, 1e-9):.1f}x less)")
    saved = (reset - reset_fast) + (diff - diff_fast)
    print(f"  both: {saved:.3f} ms less per tab ({100 * saved / total:.0f}% of the hydrate)")

    # What a new tab builds with mockexam.fresh_hydrate: the states that are not inert.
    from redis.asyncio import Redis
    from reflex.istate.manager.redis import StateManagerRedis

    from mockexam import fresh_hydrate

    manager = StateManagerRedis(redis=Redis.from_url("redis://127.0.0.1:1"))  # never used
    inert = await fresh_hydrate._inert(State, manager)
    built = [cls for cls in inert.required if cls not in inert.classes]

    def route_tree(_: Any = None) -> Any:
        tree: dict[str, Any] = {}
        for cls in built:  # by full name: parents first
            state = cls(init_substates=False, _reflex_internal_init=True)
            tree[cls.get_full_name()] = state
            if (parent_cls := cls.get_parent_state()) is not None:
                parent = tree[parent_cls.get_full_name()]
                parent.substates[cls.get_name()] = state
                state.parent_state = parent
        return tree[State.get_full_name()]

    p_create, p_reset, p_snapshot, p_diff, _, p_diffs = await pieces(route_tree)
    assert p_diffs == diffs, "the new tab's tree sent another delta"
    p_total = p_create + p_reset + p_snapshot + p_diff
    print(f"a new tab's tree with mockexam.fresh_hydrate ({len(built)} states), same delta:")
    print(
        f"  create {p_create:.3f}   reset {p_reset:.3f}   dict {p_snapshot:.3f}   diff {p_diff:.3f}"
    )
    print(f"  total  {p_total:.3f}  ({total / max(p_total, 1e-9):.0f}x less)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
