"""A Socket.IO disconnect without a walk over every connected tab's room.

python-socketio keeps, per namespace, a room per connected client (its sid) and the
room of all of them; a client's disconnect (`BaseManager.basic_disconnect`) copies
the namespace's dict of rooms and asks every room whether the client is in it. With
N tabs connected that is O(N) per disconnect and O(N²) when they leave together —
at an exam's end, when thousands submit and close the Mini App within minutes.
py-spy on a 6,000-student closing (bench/load_bench.py): 27% of the backend's GIL
time was in those disconnects, 18% in the rooms' `__contains__` alone.

`install()` keeps, per manager, the rooms each client entered (updated where
python-socketio itself enters and leaves rooms: `basic_enter_room`,
`basic_leave_room`, which `basic_close_room` and the disconnect use too), and the
disconnect leaves exactly those: the same rooms the walk would have found, in
O(its own rooms). The rest of `basic_disconnect` is python-socketio's, line for
line. Applied to the python-socketio release it was written against only
(`SOCKETIO_RELEASE`); with any other it logs that and leaves it alone.
`tests/test_socket_rooms.py` checks the rooms, callbacks and pending lists end the
same as python-socketio's own after any sequence of enters, leaves, room closes
and disconnects; `bench/socket_rooms_bench.py` times a disconnect.
"""

from __future__ import annotations

import logging
from importlib.metadata import version
from typing import Any

logger = logging.getLogger(__name__)

SOCKETIO_RELEASE = "5.18.1"
_INDEX = "_mockexam_rooms_of"  # manager attribute: (namespace, sid) → its rooms, in order
_installed = False
# python-socketio's own methods, as install() found them (the tests compare against them).
STOCK: dict[str, Any] = {}


def _rooms_of(manager: Any) -> dict[tuple[Any, Any], dict[Any, None]]:
    index = manager.__dict__.get(_INDEX)
    if index is None:
        index = manager.__dict__[_INDEX] = {}
    return index


def install() -> bool:
    """Apply it to python-socketio's BaseManager (once); False when not applied."""
    global _installed
    if _installed:
        return True
    release = version("python-socketio")
    if release != SOCKETIO_RELEASE:
        logger.warning(
            "socket_rooms: written for python-socketio %s, this is %s: a disconnect "
            "walks every room (python-socketio's own)",
            SOCKETIO_RELEASE,
            release,
        )
        return False
    from socketio.base_manager import BaseManager

    stock_enter = BaseManager.basic_enter_room
    stock_leave = BaseManager.basic_leave_room
    STOCK.update(
        basic_enter_room=stock_enter,
        basic_leave_room=stock_leave,
        basic_disconnect=BaseManager.basic_disconnect,
    )

    def basic_enter_room(
        self: Any, sid: Any, namespace: Any, room: Any, eio_sid: Any = None
    ) -> None:
        stock_enter(self, sid, namespace, room, eio_sid=eio_sid)  # raises: nothing entered
        _rooms_of(self).setdefault((namespace, sid), {})[room] = None

    def basic_leave_room(self: Any, sid: Any, namespace: Any, room: Any) -> None:
        stock_leave(self, sid, namespace, room)
        index = _rooms_of(self)
        rooms = index.get((namespace, sid))
        if rooms is not None:
            rooms.pop(room, None)
            if not rooms:
                del index[(namespace, sid)]

    def basic_disconnect(self: Any, sid: Any, namespace: Any, **kwargs: Any) -> None:
        if namespace not in self.rooms:
            return
        for room in list(_rooms_of(self).get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        # From here on python-socketio's basic_disconnect, unchanged.
        if sid in self.callbacks:
            del self.callbacks[sid]
        if namespace in self.pending_connect and sid in self.pending_connect[namespace]:
            self.pending_connect[namespace].remove(sid)
            if len(self.pending_connect[namespace]) == 0:  # pragma: no branch
                del self.pending_connect[namespace]
        if namespace in self.pending_disconnect and sid in self.pending_disconnect[namespace]:
            self.pending_disconnect[namespace].remove(sid)
            if len(self.pending_disconnect[namespace]) == 0:
                del self.pending_disconnect[namespace]

    basic_enter_room.__doc__ = stock_enter.__doc__
    basic_leave_room.__doc__ = stock_leave.__doc__
    BaseManager.basic_enter_room = basic_enter_room  # type: ignore[method-assign]
    BaseManager.basic_leave_room = basic_leave_room  # type: ignore[method-assign]
    BaseManager.basic_disconnect = basic_disconnect  # type: ignore[method-assign]
    _installed = True
    return True
