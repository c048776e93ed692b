"""The websocket closes on a frame nested too deep for the JSON decoder, quietly.

Socket.IO decodes every frame with json.loads before any handler runs; 30,000
nested brackets made python-engineio log a RecursionError traceback per frame.
`api.WebsocketFrameGuard` closes such a connection (1008) with one log line. The
frames go to the real app's Socket.IO endpoint behind the API, as Reflex mounts it.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from starlette.types import Message

from mockexam.api import MAX_FRAME_DEPTH, create_api, json_depth, too_deep
from tests.event_socket import event_socket_scope

DEEP = 30_000


def _talk(frames: list[str]) -> list[Message]:
    """Connect to /_event, join the namespace, send `frames`; what the server sent back."""
    from mockexam.mockexam import app

    assert app._api is not None
    api = create_api()
    api.mount("", app._api)  # what Reflex does with its api_transformer
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    sent: list[Message] = []

    async def run() -> None:
        for message in (
            {"type": "websocket.connect"},
            {"type": "websocket.receive", "text": "40/_event,"},
            *({"type": "websocket.receive", "text": frame} for frame in frames),
        ):
            inbox.put_nowait(message)

        async def receive() -> Message:
            try:
                return await asyncio.wait_for(inbox.get(), 1.0)
            except TimeoutError:
                return {"type": "websocket.disconnect", "code": 1000}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = event_socket_scope("http://localhost:3000")
        await asyncio.wait_for(api(scope, receive, send), 10)

    asyncio.run(run())
    return sent


def _closes(sent: list[Message]) -> list[int | None]:
    return [m.get("code") for m in sent if m["type"] == "websocket.close"]


@pytest.mark.parametrize(
    "frame",
    [
        "42/_event," + "[" * DEEP,  # never closed
        '42/_event,["event",' + "[" * DEEP + "]" * DEEP + "]",
        '42/_event,["event",' + "{" + '"a":{' * DEEP + "1" + "}" * DEEP + "}]",
        '42/_event,["event",' + "[" * (3 * MAX_FRAME_DEPTH) + "]" * (3 * MAX_FRAME_DEPTH) + "]",
    ],
    ids=["unclosed", "deep list", "deep dict", "decodable but far too deep"],
)
def test_a_frame_nested_too_deep_closes_the_socket_with_one_line_and_no_traceback(frame, caplog):
    caplog.set_level(logging.INFO)
    sent = _talk([frame])
    assert _closes(sent) == [1008]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any("nested over" in r.getMessage() for r in caplog.records)


def test_ordinary_frames_pass_untouched(caplog):
    batch = {"seq": 1, "changes": {str(n): {"value": "A"} for n in range(1, 122)}}
    frame = "42/_event," + json.dumps(["ping", {"batch": batch, "text": "{" * 3000}])
    assert not too_deep(frame)
    sent = _talk([frame])
    assert 1008 not in _closes(sent)
    assert not any("nested over" in r.getMessage() for r in caplog.records)


def test_json_depth_counts_levels_without_recursion():
    assert json_depth(1) == 0 and json_depth([]) == 1 and json_depth({"a": [{"b": []}]}) == 4
    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    assert json_depth(deep) == 50_001
