"""A Socket.IO disconnect leaves exactly the client's rooms without walking every room
(mockexam.socket_rooms), ending in python-socketio's own state."""

from __future__ import annotations

import random
from typing import Any

import pytest
from bidict import ValueDuplicationError
from socketio.base_manager import BaseManager

from mockexam import socket_rooms

assert socket_rooms.install(), "not applied to this python-socketio"


class StockManager(BaseManager):
    """python-socketio's manager as released (the methods install() replaced)."""

    basic_enter_room = socket_rooms.STOCK["basic_enter_room"]
    basic_leave_room = socket_rooms.STOCK["basic_leave_room"]
    basic_disconnect = socket_rooms.STOCK["basic_disconnect"]


class NoWalk(dict):
    """A namespace's rooms that refuse to be walked or copied."""

    def copy(self) -> Any:
        raise AssertionError("the disconnect copied every room")

    def items(self) -> Any:
        raise AssertionError("the disconnect walked every room")


def _state(manager: BaseManager) -> tuple:
    rooms = {
        namespace: {room: dict(members) for room, members in by_room.items()}
        for namespace, by_room in manager.rooms.items()
    }
    return rooms, manager.callbacks, manager.pending_connect, manager.pending_disconnect


def _apply(manager: BaseManager, step: tuple) -> str:
    kind, *args = step
    try:
        if kind == "connect":
            sid, namespace, eio_sid = args
            manager.basic_enter_room(sid, namespace, None, eio_sid=eio_sid)
            manager.basic_enter_room(sid, namespace, sid, eio_sid=eio_sid)
            manager.pending_connect.setdefault(namespace, []).append(sid)
        elif kind == "enter":
            manager.basic_enter_room(*args)
        elif kind == "leave":
            manager.basic_leave_room(*args)
        elif kind == "close":
            manager.basic_close_room(*args)
        elif kind == "callback":
            manager.callbacks.setdefault(args[0], {})[1] = print
        elif kind == "pre_disconnect":
            manager.pending_disconnect.setdefault(args[1], []).append(args[0])
        elif kind == "disconnect":
            manager.basic_disconnect(*args)
    except (ValueError, KeyError, ValueDuplicationError) as err:
        return type(err).__name__
    return "ok"


@pytest.mark.parametrize("seed", range(40))
def test_any_sequence_ends_as_python_socketios_own(seed: int) -> None:
    rng = random.Random(seed)
    namespaces = ["/_event", "/other"]
    sids = [f"s{i}" for i in range(12)]
    rooms = ["lobby", "exam-7", "admins", None]
    steps = []
    for _ in range(300):
        sid, namespace = rng.choice(sids), rng.choice(namespaces)
        kind = rng.choice(
            ["connect", "enter", "enter", "leave", "close", "callback", "pre_disconnect"]
            + ["disconnect"] * 3
        )
        if kind == "connect":
            steps.append((kind, sid, namespace, f"e{sid}"))
        elif kind in ("enter", "leave"):
            steps.append((kind, sid, namespace, rng.choice([*rooms, rng.choice(sids)])))
        elif kind == "close":
            steps.append((kind, rng.choice(rooms[:-1]), namespace))
        elif kind in ("callback", "pre_disconnect", "disconnect"):
            steps.append((kind, sid, namespace))
    stock, patched = StockManager(), BaseManager()
    for step in steps:
        assert _apply(patched, step) == _apply(stock, step), step
        assert _state(patched) == _state(stock), step


def test_a_disconnect_leaves_only_its_own_rooms_without_walking_the_others() -> None:
    manager = BaseManager()
    for i in range(1000):
        manager.basic_enter_room(f"s{i}", "/_event", None, eio_sid=f"e{i}")
        manager.basic_enter_room(f"s{i}", "/_event", f"s{i}", eio_sid=f"e{i}")
    manager.basic_enter_room("s7", "/_event", "exam-7")
    manager.rooms["/_event"] = NoWalk(manager.rooms["/_event"])
    manager.basic_disconnect("s7", "/_event")
    assert "s7" not in manager.rooms["/_event"]  # its own room is gone (it was alone there)
    assert "exam-7" not in manager.rooms["/_event"]
    assert "s7" not in manager.rooms["/_event"][None]
    assert len(manager.rooms["/_event"][None]) == 999
    # python-socketio's own disconnect walks them all.
    stock = StockManager()
    stock.basic_enter_room("s1", "/_event", None, eio_sid="e1")
    stock.rooms["/_event"] = NoWalk(stock.rooms["/_event"])
    with pytest.raises(AssertionError, match="copied every room"):
        stock.basic_disconnect("s1", "/_event")
