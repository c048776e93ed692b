"""POST /_upload is refused before its body is read, unless a live admin uploads.

The API's real middleware stack (`create_api()`) sits in front of a stand-in for
Reflex's upload route mounted the way Reflex mounts its backend under the API:
the stand-in parses the multipart body with Starlette's parser, as Reflex's
route does. The ASGI `receive` is driven by hand so the test counts exactly how
many body bytes the app asked for. The client's websocket state (dev: the
upload goes to another port, without cookies) lives in a real Reflex memory
state manager.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import reflex as rx
from reflex.istate.manager.memory import StateManagerMemory
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message

from mockexam.admin.auth import TOKEN_COOKIE, AdminState
from mockexam.admin.exam_edit import ExamState
from mockexam.api import UPLOAD_PATH, create_api, upload_limit
from mockexam.services import admin_auth
from mockexam.student.exam import ExamState as StudentExamState
from tests.admin.helpers import admin_token, make_state

MB = 1024 * 1024
BOUNDARY = "guardboundary"
ADMIN_HANDLER = f"{ExamState.get_full_name()}.upload_pdf"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


async def _reflex_upload(request: Request) -> JSONResponse:
    """What Reflex's /_upload does first: parse the whole multipart body (as it does, a
    client that left gets an empty answer)."""
    try:
        form = await request.form()
    except ClientDisconnect:
        return JSONResponse(None)
    sizes = [len(await f.read()) for f in form.getlist("files")]  # type: ignore[union-attr]
    return JSONResponse({"files": sizes})


def _app() -> Starlette:
    """The API with the stand-in mounted behind it, as Reflex mounts its backend."""
    api = create_api()
    api.mount("", Starlette(routes=[Route(UPLOAD_PATH, _reflex_upload, methods=["POST"])]))
    return api


def _multipart_chunks(size: int, chunk: int = MB) -> Iterator[bytes]:
    """A multipart body with one file part of `size` bytes, produced lazily."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    block = b"%" * chunk
    left = size
    while left > 0:
        yield block[: min(chunk, left)]
        left -= chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _upload(
    size: int,
    *,
    cookie_token: str | None = None,
    client_token: str = "",
    handler: str = ADMIN_HANDLER,
    declare_length: bool = True,
    body: bytes | None = None,
) -> tuple[int, int, bytes]:
    """(status, body bytes the app received, answer) for an upload of `size` bytes."""
    chunks = [body] if body is not None else None
    total = len(body) if body is not None else size + 300
    headers = [
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
        (b"reflex-event-handler", handler.encode()),
    ]
    if client_token:
        headers.append((b"reflex-client-token", client_token.encode()))
    if cookie_token is not None:
        headers.append((b"cookie", f"{TOKEN_COOKIE}={cookie_token}".encode()))
    if declare_length:
        if body is None:
            total = sum(len(c) for c in _multipart_chunks(size))
        headers.append((b"content-length", str(total).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": UPLOAD_PATH,
        "raw_path": UPLOAD_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    source = iter(chunks) if chunks is not None else _multipart_chunks(size)
    delivered = 0
    pending = next(source)
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal delivered, pending
        if pending is None:
            await asyncio.sleep(3600)  # the client waits for the answer
        chunk, pending = pending, next(source, None)
        delivered += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": pending is not None}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(_app()(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, delivered, answer


@pytest.fixture
def clients(monkeypatch) -> dict[str, rx.State]:
    """Connected clients by Reflex tab token, in a real memory state manager."""
    manager = StateManagerMemory()
    monkeypatch.setattr("reflex.istate.manager.get_state_manager", lambda: manager)
    return manager.states


def _connected(clients: dict[str, rx.State], tab: str, *, token: str = "") -> None:
    """A tab whose websocket handshake carried the admin cookie `token` (or none)."""
    state = make_state(AdminState, token=token)
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    clients[tab] = root


def test_an_anonymous_300_mb_upload_is_refused_before_a_byte_is_read(db_url, clients):
    status, delivered, answer = _upload(300 * MB)
    assert status == 413 and b"larger than" in answer
    assert delivered == 0

    # Without a length (chunked), the missing session is enough: still nothing read.
    status, delivered, _ = _upload(300 * MB, declare_length=False)
    assert status == 401 and delivered == 0


def test_a_student_or_a_stranger_is_refused_before_the_body_is_read(db_url, clients):
    _connected(clients, "student-tab")  # a Mini App tab: no admin cookie in its handshake
    for kwargs in (
        {"client_token": "student-tab"},
        {"client_token": "made-up-tab"},
        {"client_token": "x" * 5000},
        {"cookie_token": "forged"},
    ):
        status, delivered, _ = _upload(MB, **kwargs)
        assert (status, delivered) == (401, 0), kwargs
    assert "made-up-tab" not in clients  # looking a client up creates nothing


def test_an_upload_to_a_handler_that_is_not_an_admin_states_is_refused(db_url, clients):
    token = admin_token("alice")
    student_handler = f"{StudentExamState.get_full_name()}.load"
    for handler in (student_handler, "no.such.handler", ""):
        status, delivered, _ = _upload(MB, cookie_token=token, handler=handler)
        assert (status, delivered) == (403, 0), handler


def test_an_admin_uploads_by_cookie_or_by_the_websocket_session_of_the_tab(db_url, clients):
    token = admin_token("alice")
    status, _, answer = _upload(2 * MB, cookie_token=token)
    assert status == 200 and answer == b'{"files":[2097152]}'

    _connected(clients, "admin-tab", token=token)  # dev: no cookie on the upload itself
    status, _, answer = _upload(2 * MB, client_token="admin-tab")
    assert status == 200 and answer == b'{"files":[2097152]}'

    admin_auth.logout(token)  # a revoked session uploads nothing
    assert _upload(MB, client_token="admin-tab")[:2] == (401, 0)
    assert _upload(MB, cookie_token=token)[:2] == (401, 0)


def test_an_admins_streamed_upload_is_cut_off_at_the_limit(db_url, clients):
    token = admin_token("alice")
    status, delivered, answer = _upload(300 * MB, cookie_token=token, declare_length=False)
    assert status == 413 and b"larger than" in answer
    assert upload_limit() < delivered <= upload_limit() + MB + 300

    status, delivered, _ = _upload(300 * MB, cookie_token=token)  # declared: not read at all
    assert (status, delivered) == (413, 0)


def test_a_content_length_that_is_not_a_number_is_refused(db_url, clients):
    token = admin_token("alice")
    for bad in ("\u0661\u0662".encode(), b"-1", b"1e9", b"9" * 40):
        status, _, answer = _upload_with_length(token, bad)
        assert status in (400, 413) and b"error" in answer, bad


def _upload_with_length(token: str, length: bytes) -> tuple[int, int, bytes]:
    scope = {
        "type": "http",
        "method": "POST",
        "path": UPLOAD_PATH,
        "raw_path": UPLOAD_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "headers": [
            (b"content-length", length),
            (b"reflex-event-handler", ADMIN_HANDLER.encode()),
            (b"cookie", f"{TOKEN_COOKIE}={token}".encode()),
        ],
    }
    sent: list[Message] = []

    async def receive() -> Message:
        raise AssertionError("the body is not read")

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(_app()(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, 0, b"".join(m.get("body", b"") for m in sent if "body" in m)


def test_the_limit_admits_the_largest_file_an_admin_may_upload():
    from mockexam.config import settings
    from mockexam.services.practice_bank import MAX_ZIP_BYTES

    assert upload_limit() > max(settings.max_pdf_bytes, MAX_ZIP_BYTES)
    assert upload_limit() < 100 * MB


def test_a_teacher_uploads_nothing(db_url, clients):
    from mockexam.models import AdminRole

    token = admin_token("tess", AdminRole.TEACHER)
    assert _upload(MB, cookie_token=token)[:2] == (401, 0)
    _connected(clients, "teacher-tab", token=token)
    assert _upload(MB, client_token="teacher-tab")[:2] == (401, 0)
