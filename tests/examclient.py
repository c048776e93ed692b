"""A student's browser tab on the exam page, as the app's websocket protocol sees it.

Speaks what the built frontend speaks (checked against headless Chromium,
shared/notes/reflex-websocket.md): socket.io over one websocket to
`/_event/`, the hydrate event inside the namespace CONNECT packet, every event's
router data with the page's address as Telegram opened it (`asPath` with the
launch hash `#tgWebAppData=…`, from which the page's on_load signs in on the
server; when the server still asks, the `_call_script` reading Telegram's
initData is answered with `ExamState.load(init_data)` as its callback sends it),
then the `start` event; answer saves and the
submit as HTTP POSTs to the page's `save_url` (`/submit` for the submit) with its
`save_token`, exactly as
assets/sheet_sync.jsx sends them: every pending change goes in each batch with
its seq and the tab's device id, a change is dropped only when an ack (the
HTTP answer's `ack`) covers it, unacked changes
are re-sent after 4 s (doubling to 30 s) and after every page load (a new
`load_id`, e.g. after a reconnect), whether or not the websocket is up; a
save refused as closed calls `sheet_closed`. HTTP/1.1 keep-alive connections,
a new one when all of the tab's are busy, as a browser does.

asyncio and wsproto only (no browser), lean enough that one process drives
a few thousand tabs: bench/load_bench.py runs thousands, the fault tests a few.
Traffic goes only to the host it is given (127.0.0.1 in tests and the bench).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

from mockexam.telegram.webapp_link import launch_fragment

ROOT_STATE = "reflex___state____state"
STUDENT_STATE = f"{ROOT_STATE}.mockexam___student___auth____student_state"
EXAM_STATE = f"{STUDENT_STATE}.mockexam___student___exam____exam_state"
SUFFIX = "_rx_state_"
RESEND_SECONDS = 4.0  # assets/answer_sheet.jsx RESEND_MS, doubling to RESEND_MAX_MS
RESEND_MAX_SECONDS = 30.0
SUBMIT_RETRY_SECONDS = 8.0  # SUBMIT_RETRY_MS
HTTP_TIMEOUT_SECONDS = 15.0  # HTTP_TIMEOUT_MS
CLOSE_DRAIN_SECONDS = 5.0  # how long a closing tab waits to hand over its close frame
REFLEX_VERSION = "0.10.1"  # the subprotocol the browser offers


@dataclass(frozen=True)
class AppBuild:
    """What a built frontend sends on connect: its state hashes and state schema."""

    host: str
    port: int
    hashes: list[str]
    schema: str

    @classmethod
    def from_web_dir(cls, web_dir: Path, *, host: str = "127.0.0.1", port: int) -> AppBuild:
        context = (web_dir / "utils" / "context.jsx").read_text()
        hashes = re.search(r"initialStateHashes = (\[[^\]]*\])", context)
        schema = re.search(r'stateSchema = "([^"]*)"', context)
        if hashes is None or schema is None:
            raise ValueError(f"{web_dir} holds no built Reflex context")
        return cls(host=host, port=port, hashes=json.loads(hashes.group(1)), schema=schema.group(1))


class Disconnected(ConnectionError):
    """The websocket closed (or never opened)."""


class HttpConnection:
    """One HTTP/1.1 keep-alive connection (just enough for JSON POSTs to the app)."""

    def __init__(self, host: str, port: int, source: str | None = None):
        self.host, self.port, self.source = host, port, source
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """(status, decoded JSON or None); OSError/TimeoutError when there is no answer."""
        data = json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode()
        fresh = self._writer is None or self._writer.is_closing()
        try:
            return await self._exchange(head + data, fresh)
        except (OSError, asyncio.IncompleteReadError, ValueError) as err:
            self.close()
            if fresh:
                raise OSError("no answer") from err
            return await self._exchange(head + data, True)  # the kept-alive one had closed

    async def _exchange(self, request: bytes, fresh: bool) -> tuple[int, Any]:
        try:
            if fresh:
                self._reader, self._writer = await asyncio.open_connection(
                    self.host, self.port, local_addr=(self.source, 0) if self.source else None
                )
            assert self._reader is not None and self._writer is not None
            self._writer.write(request)
            header = await self._reader.readuntil(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            if headers.get("transfer-encoding", "").lower() == "chunked":
                parts = []
                while size := int((await self._reader.readuntil(b"\r\n")).strip(), 16):
                    parts.append(await self._reader.readexactly(size + 2))
                await self._reader.readuntil(b"\r\n")
                content = b"".join(part[:-2] for part in parts)
            else:
                content = await self._reader.readexactly(int(headers.get("content-length", "0")))
            if headers.get("connection", "").lower() == "close":
                self.close()
        except BaseException:
            self.close()
            raise
        try:
            return status, json.loads(content) if content else None
        except ValueError:
            return status, None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


@dataclass
class SaveRecord:
    """One batch's fate: first sent at `sent`, acked at `acked` (monotonic seconds)."""

    seq: int
    sent: float
    acked: float | None = None


@dataclass
class TabStats:
    connects: int = 0
    reconnects: int = 0
    connect_seconds: list[float] = field(default_factory=list)
    save_errors: int = 0  # the server said "not saved" (an HTTP error, no answer)
    refused: int = 0  # labels refused with a reason (none expected from valid answers)
    resends: int = 0
    disconnects: int = 0
    page_loads: int = 0  # the page's on_load ran (connect, reconnect, state rebuilt)
    init_scripts: int = 0  # of them, those that asked the tab for initData (a round trip)
    closed: int = 0  # saves refused as closed (deadline, submit) or a credential not good


class ExamTab:
    """One tab of one student on `/app/exam/<exam_id>`."""

    def __init__(
        self,
        build: AppBuild,
        *,
        exam_id: int,
        init_data: str,
        token: str | None = None,
        reconnect: bool = True,
        on_ack: Callable[[ExamTab, list[SaveRecord]], None] | None = None,
        launch_hash: bool = True,
        source: str | None = None,
    ):
        self.build = build
        # The tab's own address (another 127.x.y.z): thousands of tabs of one machine
        # then do not share one address's 28,000 ports, as students' phones do not.
        self.source = source
        self.exam_id = exam_id
        self.path = f"/app/exam/{exam_id}"
        self.init_data = init_data
        # The address bar, as the browser reports it in every event's router data: opened
        # by Telegram, the launch hash with the (signed) initData; else the bare path.
        self.as_path = self.path
        if launch_hash:
            self.as_path += "#" + launch_fragment(init_data.rpartition("\n")[2])
        self.token = token or str(uuid.uuid4())  # one per tab, kept across reconnects
        self.reconnect = reconnect
        self.on_ack = on_ack
        self.exam: dict[str, Any] = {}
        self.student: dict[str, Any] = {}
        self.stats = TabStats()
        # The answer sheet (assets/answer_sheet.jsx): label → {"value","flagged","seq"}.
        self.seq = 0
        self.device = uuid.uuid4().hex[:16]  # kept with the seqs, as in localStorage
        self.pending: dict[str, dict[str, Any]] = {}
        self.acked: dict[str, str] = {}  # label → the newest value an ack covered
        self.history: dict[str, list[str]] = {}  # label → every value set, in order
        self.records: list[SaveRecord] = []
        self._open: dict[int, SaveRecord] = {}
        self._last_send = 0.0
        self._resend_after = RESEND_SECONDS
        self._submit_sent_at: float | None = None
        self.submit_auto = False
        # The answer to a submit over HTTP ({"auto", "notice"}): the sheet shows the
        # waiting view from it (SheetGate) while the page's phase is still "in_progress".
        self.submitted_here: dict[str, Any] | None = None
        self._seen_load_id = ""
        self._hydrated: bool | None = None  # the page's is_hydrated, as the last delta said
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._ws: WSConnection | None = None
        self._connected = asyncio.Event()
        self._closing = False
        self._ticker: asyncio.Task[None] | None = None
        # Set when something the ticker acts on may have changed (a change, a submit, an
        # update, a lost connection): an idle tab's ticker sleeps until then.
        self._wake = asyncio.Event()
        self.server_events: list[tuple[str, Any]] = []  # socket.io events other than "event"
        self.local_port = 0  # of the current connection (which worker holds it: tests)
        self._idle_http: list[HttpConnection] = []
        self._posts: set[asyncio.Task[None]] = set()
        self._closed_for_load = ""  # the page load in which sheet_closed was sent

    # --- connection -----------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def open(self, timeout: float = 30.0) -> float:
        """Connect, hydrate and sign in; the seconds until the page shows a phase."""
        began = time.monotonic()
        await asyncio.wait_for(self._connect(first=True), timeout)
        await self.wait(lambda t: t.exam.get("phase", "loading") != "loading", timeout)
        seconds = time.monotonic() - began
        self.stats.connect_seconds.append(seconds)
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick())
        return seconds

    async def _connect(self, *, first: bool) -> None:
        reader, writer = await asyncio.open_connection(
            self.build.host,
            self.build.port,
            local_addr=(self.source, 0) if self.source else None,
        )
        ws = WSConnection(ConnectionType.CLIENT)
        target = f"/_event/?token={self.token}&EIO=4&transport=websocket"
        writer.write(
            ws.send(
                Request(
                    host=f"{self.build.host}:{self.build.port}",
                    target=target,
                    subprotocols=[REFLEX_VERSION],
                )
            )
        )
        self._ws, self._writer = ws, writer
        self.local_port = int(writer.get_extra_info("sockname")[1])
        opened = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(reader, ws, opened, first))
        await opened
        self.stats.connects += 1

    def _send(self, text: str) -> None:
        if self._ws is None or self._writer is None or self._writer.is_closing():
            raise Disconnected("not connected")
        self._writer.write(self._ws.send(TextMessage(data=text)))

    def send_event(self, handler: str, payload: dict[str, Any], state: str = EXAM_STATE) -> None:
        """One event as the browser sends it (the route in router_data)."""
        if not self.connected:
            raise Disconnected("not connected")
        event = {
            "name": f"{state}.{handler}",
            "payload": payload,
            "router_data": {"pathname": self.path, "asPath": self.as_path},
        }
        self._send("42/_event," + json.dumps(["event", event], separators=(",", ":")))

    async def _read(
        self,
        reader: asyncio.StreamReader,
        ws: WSConnection,
        opened: asyncio.Future[None],
        first: bool,
    ) -> None:
        parts: list[str] = []
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, TextMessage):
                        parts.append(event.data)
                        if event.message_finished:
                            self._packet("".join(parts), first, opened)
                            parts.clear()
                    elif isinstance(event, Ping):
                        self._writer.write(ws.send(event.response()))
                    elif isinstance(event, CloseConnection | RejectConnection):
                        raise Disconnected(f"closed: {event}")
                    elif isinstance(event, AcceptConnection):
                        pass
        except (Disconnected, ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            self._closing = True  # the tab itself is going away: not a lost connection
            raise
        finally:
            self._lost(opened)

    def _packet(self, message: str, first: bool, opened: asyncio.Future[None]) -> None:
        if message == "2":  # engine.io ping
            self._send("3")
        elif message.startswith("0{"):  # engine.io open: connect the namespace with the hydrate
            payload: dict[str, Any] = {} if not first else {"hashes": self.build.hashes}
            boot = {
                "event": {
                    "name": f"{ROOT_STATE}.hydrate_and_load",
                    "payload": payload,
                    "router_data": {"pathname": self.path, "asPath": self.as_path},
                },
                "state_schema": self.build.schema,
            }
            self._send("40/_event," + json.dumps(boot, separators=(",", ":")))
        elif message.startswith("40/_event"):
            self._connected.set()
            if not opened.done():
                opened.set_result(None)
        elif message.startswith("42/_event,"):
            name, update = json.loads(message[10:])
            if name == "event":
                self._update(update)
            else:
                self.server_events.append((name, update))
        elif message.startswith("44/_event") and not opened.done():  # connect refused
            opened.set_exception(Disconnected(message))

    def _lost(self, opened: asyncio.Future[None]) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        self._hydrated = None  # a reconnect hydrates (and loads the page) again
        if self._writer is not None:
            self._writer.close()
        self._writer = self._ws = None
        if not opened.done():
            opened.set_exception(Disconnected("the connection closed before it opened"))
        if was and not self._closing:
            self.stats.disconnects += 1
            self._changed.set()
        self._wake.set()

    async def close(self) -> None:
        self._closing = True
        if self._ticker is not None:
            self._ticker.cancel()
        for task in list(self._posts):
            task.cancel()
        for conn in self._idle_http:
            conn.close()
        self._idle_http.clear()
        writer, ws = self._writer, self._ws  # (the reader clears them if the server closes)
        if writer is not None and ws is not None:
            with contextlib.suppress(Exception):
                writer.write(ws.send(CloseConnection(code=1000)))
                # A closing tab does not wait on a server too busy to read (a browser
                # does not either): the bench's students finish on time.
                await asyncio.wait_for(writer.drain(), CLOSE_DRAIN_SECONDS)
            writer.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader

    # --- updates from the server -------------------------------------------------

    def _update(self, update: dict[str, Any]) -> None:
        for state, values in (update.get("delta") or {}).items():
            hydrated = values.get("is_hydrated" + SUFFIX) if state == ROOT_STATE else None
            if hydrated is False and self._hydrated is not False:
                self.stats.page_loads += 1  # a (re)hydrate: the page's on_load runs next
            if hydrated is not None:
                self._hydrated = hydrated
            target = (
                self.exam
                if state == EXAM_STATE
                else self.student
                if state == STUDENT_STATE
                else None
            )
            if target is None:
                continue
            for name, value in values.items():
                target[name.removesuffix(SUFFIX)] = value
        for event in update.get("events") or ():
            if event.get("name") == "_call_script" and ".load" in str(
                event.get("payload", {}).get("callback", "")
            ):
                # The page's on_load asked for the initData; the callback sends load(init_data).
                self.stats.init_scripts += 1
                self.send_event("load", {"init_data": self.init_data})
        self._after_update()
        self._changed.set()
        self._wake.set()

    def _ack(self, ack: int, rejected: dict[str, str]) -> None:
        """An ack covering every batch up to `ack`: drop what it covers."""
        if not ack:
            return
        if self._open:
            now = time.monotonic()
            done = [record for seq, record in self._open.items() if seq <= ack]
            for record in done:
                record.acked = now
                del self._open[record.seq]
            if done and self.on_ack is not None:
                self.on_ack(self, done)
            if done:
                self._resend_after = RESEND_SECONDS
        for label in [label for label, entry in self.pending.items() if entry["seq"] <= ack]:
            entry = self.pending.pop(label)
            if "value" in entry:
                self.acked[label] = entry["value"]
            if label in rejected:
                self.stats.refused += 1

    def _after_update(self) -> None:
        load_id = self.exam.get("load_id", "")
        if load_id and load_id != self._seen_load_id:
            self._seen_load_id = load_id
            self._resend_after = RESEND_SECONDS
            if self.exam.get("phase") == "in_progress":
                self._flush()  # a page load re-sends whatever is pending

    # --- waiting --------------------------------------------------------------------

    async def wait(self, predicate: Callable[[ExamTab], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"tab {self.token[:8]}: condition not met; exam={self.exam}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))

    async def _tick(self) -> None:
        """Once a second, as the sheet does: reconnect, re-send unacked changes, retry a submit."""
        backoff = 0.5
        while not self._closing:
            if self._idle():
                # Nothing the tick would do (what the sheet's 1 s timer finds, without
                # 10,000 timers firing in the bench's processes): sleep until that changes.
                self._wake.clear()
                if self._idle():
                    await self._wake.wait()
                    continue
            await asyncio.sleep(1.0)
            now = time.monotonic()
            if (
                self._submit_sent_at is None
                and self.pending
                and not self._posts  # as the sheet: not beside a save on its way
                and now - self._last_send >= self._resend_after
            ):
                # Over HTTP: re-sent whether or not the websocket is up.
                self.stats.resends += 1
                self._resend_after = min(self._resend_after * 2, RESEND_MAX_SECONDS)
                self._flush()
            if not self.connected:
                if not self.reconnect:
                    continue
                try:
                    began = time.monotonic()
                    await asyncio.wait_for(self._connect(first=False), 15)
                    self.stats.reconnects += 1
                    self.stats.connect_seconds.append(time.monotonic() - began)
                    backoff = 0.5
                except (OSError, TimeoutError, Disconnected):
                    await asyncio.sleep(backoff * random.random())
                    backoff = min(backoff * 2, 8.0)
                continue
            if (
                self._submit_sent_at is not None
                and self.submitted_here is None
                and self.exam.get("phase") == "in_progress"
                and time.monotonic() - self._submit_sent_at >= SUBMIT_RETRY_SECONDS
            ):
                self._send_submit()

    def _idle(self) -> bool:
        """The tick has nothing to do: no change waits for its ack, the connection is up
        (or the tab does not reconnect), no submit waits for its answer."""
        if self.pending and self._submit_sent_at is None:
            return False
        if not self.connected and self.reconnect:
            return False
        return (
            self._submit_sent_at is None
            or self.submitted_here is not None
            or self.exam.get("phase") != "in_progress"
        )

    # --- the answer sheet -----------------------------------------------------------

    def _batch(self) -> dict[str, Any]:
        changes = {
            label: {"value": entry.get("value"), "flagged": entry.get("flagged")}
            for label, entry in self.pending.items()
        }
        return {
            "seq": max((e["seq"] for e in self.pending.values()), default=0),
            "changes": changes,
            "load": self._seen_load_id,  # the page load it belongs to, as the sheet sends
            "device": self.device,
        }

    def _flush(self) -> None:
        url, token = self.exam.get("save_url"), self.exam.get("save_token")
        if not self.pending or self._submit_sent_at is not None or not (url and token):
            return
        batch = self._batch()
        now = time.monotonic()
        self._last_send = now
        if batch["seq"] not in self._open:
            record = SaveRecord(seq=batch["seq"], sent=now)
            self._open[record.seq] = record
            self.records.append(record)
        self._post_task(url, {**batch, "t": token, "lang": self.student.get("lang") or "uz"})

    def _post_task(self, url: str, body: dict[str, Any], *, submit: bool = False) -> None:
        task = asyncio.get_running_loop().create_task(self._post(url, body, submit=submit))
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)

    async def _post(self, url: str, body: dict[str, Any], *, submit: bool = False) -> None:
        """One save (or the submit) as the sheet's fetch: the answer is the ack (or why not)."""
        load = self._seen_load_id
        conn = self._idle_http.pop() if self._idle_http else None
        conn = conn or HttpConnection(self.build.host, self.build.port, self.source)
        try:
            status, answer = await asyncio.wait_for(conn.post_json(url, body), HTTP_TIMEOUT_SECONDS)
        except (OSError, TimeoutError):
            conn.close()
            self.stats.save_errors += 1  # no answer: the re-send timer tries again
            return
        self._idle_http.append(conn)
        if load != self._seen_load_id:
            return  # the page loaded again meanwhile (its re-send is on its way)
        ok = status == 200 and isinstance(answer, dict)
        if ok and submit and answer.get("submitted") is True:
            self._ack(int(answer.get("ack") or 0), answer.get("rejected") or {})
            self.submitted_here = {"auto": answer.get("auto"), "notice": answer.get("notice")}
        elif ok and not submit and isinstance(answer.get("ack"), int):
            self._ack(answer["ack"], answer.get("rejected") or {})
        elif isinstance(answer, dict) and (answer.get("closed") or answer.get("reload")):
            if self._submit_sent_at is None:  # not a save overtaken by this tab's own submit
                self.stats.closed += 1
            if self._closed_for_load != load and self.connected:
                self._closed_for_load = load
                with contextlib.suppress(Disconnected):
                    self.send_event("sheet_closed", {})
        else:
            self.stats.save_errors += 1
        self._changed.set()

    def answer(self, label: str, value: str) -> None:
        """The student picks or types `value` for `label`: record it and send the batch."""
        self.seq += 1
        entry = self.pending.setdefault(label, {})
        entry.update(value=value, seq=self.seq)
        self.history.setdefault(label, []).append(value)
        self._wake.set()
        self._flush()

    def start(self) -> None:
        self.send_event("start", {})

    def submit(self, *, auto: bool = False) -> None:
        self.submit_auto = auto
        self._send_submit()

    def _send_submit(self) -> None:
        """As the sheet submits: over HTTP beside the saves (the page's save URL)."""
        self._submit_sent_at = time.monotonic()
        self._wake.set()
        url, token = self.exam.get("save_url"), self.exam.get("save_token")
        if url and token:
            body = {**self._batch(), "auto": self.submit_auto, "t": token}
            self._post_task(
                f"{url}/submit", {**body, "lang": self.student.get("lang") or "uz"}, submit=True
            )

    @property
    def waiting(self) -> bool:
        """The tab shows the waiting view: the page's phase, or the sheet's gate after a
        submit over HTTP."""
        return self.phase == "submitted" or self.submitted_here is not None

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self.exam.get("items") or [])

    @property
    def phase(self) -> str:
        return str(self.exam.get("phase", "loading"))

    def open_records(self) -> list[SaveRecord]:
        return list(self._open.values())
