"""CPU of one Socket.IO disconnect with N tabs connected: python-socketio's own, and
with mockexam.socket_rooms (each client's rooms indexed), in the same process.

Each tab is what Reflex's namespace makes of it: the namespace's room of all clients
and the client's own room. N tabs connect, then a fifth of them disconnect one after
another (as at an exam's end); the figure is the CPU per disconnect.

    .venv/bin/python bench/socket_rooms_bench.py [--sizes 1000 5000 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socketio.base_manager import BaseManager

from mockexam import socket_rooms

NAMESPACE = "/_event"


def _disconnect_cost(manager: BaseManager, n: int) -> float:
    """µs of CPU per disconnect, a fifth of `n` connected tabs leaving."""
    for i in range(n):
        manager.basic_enter_room(f"s{i}", NAMESPACE, None, eio_sid=f"e{i}")
        manager.basic_enter_room(f"s{i}", NAMESPACE, f"s{i}", eio_sid=f"e{i}")
    leaving = [f"s{i}" for i in range(0, n, 5)]
    began = time.process_time()
    for sid in leaving:
        manager.basic_disconnect(sid, NAMESPACE)
    spent = time.process_time() - began
    assert len(manager.rooms[NAMESPACE][None]) == n - len(leaving)
    return spent / len(leaving) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    args = parser.parse_args()
    if not socket_rooms.install():
        print("mockexam.socket_rooms does not apply to this python-socketio")
        return 1

    class Stock(BaseManager):
        basic_enter_room = socket_rooms.STOCK["basic_enter_room"]
        basic_leave_room = socket_rooms.STOCK["basic_leave_room"]
        basic_disconnect = socket_rooms.STOCK["basic_disconnect"]

    print("µs of CPU per disconnect (a fifth of N tabs leaving one by one)")
    print(f"{'N':>7} {'python-socketio':>16} {'indexed':>9} {'ratio':>7}")
    for n in args.sizes:
        stock = _disconnect_cost(Stock(), n)
        indexed = _disconnect_cost(BaseManager(), n)
        print(f"{n:>7} {stock:>16.1f} {indexed:>9.1f} {stock / indexed:>6.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
