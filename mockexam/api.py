"""Plain HTTP routes beside the Reflex app: the question paper and the admin exports.

`api` is a Starlette app that Reflex mounts in front of its own backend
(`rx.App(api_transformer=api)`): its routes are matched first, everything
else falls through to Reflex. In dev mode the page (port 3000) fetches the
paper from the backend (port 8000), so the route answers CORS itself; the
signed token in the URL is the credential, no cookies are involved.

GET /api/paper/{exam_id}?t=<token> → the PDF (inline, never cached), or a
JSON error: 403 bad/expired link or not a taker of this exam, 404 no such
paper, 410 the window has closed (spec §3.8).

GET /api/practice/image/{name} → a practice question's figure (public: a figure says
nothing without its question; names are content hashes, so it is cached for good).
SVGs are sent with a sandboxing Content-Security-Policy, so one opened directly
can run nothing.

GET /api/certificate/{exam_id}?t=<token> → the student's current certificate of the exam
(an attachment; the signed token, purpose `certificate`, names the student and the exam
and lasts an hour), or a JSON error: 403 bad or expired link, 404 not issued yet.
GET /api/report?t=<token>&lang=<uz|ru|en> → the student's own progress report (an
attachment, drawn on request; the token, purpose `report`, lasts an hour).
GET /admin/api/jobs/{job_id}/download → a finished bulk ZIP (an exam's certificates, a
group's reports) for the account that asked for it (cookie; 404 for anyone else).
GET /api/certificate/card/{code}.png → a current certificate's share card (public: it
shows what the code's verify page shows; 404 for an unknown or superseded code).

POST /api/sheet/{exam_id} → the exam answer sheet's save (assets/sheet_sync.jsx), a
plain HTTP request beside the websocket: no Reflex event, state lock or delta, so
one costs little more than its database transaction. Body (any content type; the
sheet sends text/plain, so a cross-origin dev page needs no preflight): a batch
(student.sheet_protocol) with `"device"`, plus `"t"`: the sheet token the exam
page handed over at start (services.exam_room.sheet_token: student + exam,
signed, expiring), and `"lang"`. 200 `{"ack": seq, "rejected": {label: why}}`;
otherwise `{"error": why}` in the student's language: 400 not a batch, 401 the
token is bad or expired (`"reload": true`: the page reads itself again), 404
the exam was never started, 409 after the deadline or submit (`"closed": true`),
413 a body over 64 KiB, 503 not stored (the sheet re-sends). Nothing of the
session comes from the body but the changes: the student is the token's, the
session the one of (student, exam).

POST /api/sheet/{exam_id}/submit → the sheet's submit: the same body plus `"auto"`
(the sheet's clock reached zero), the last changes stored while in time, the
session submitted (idempotent). 200 `{"ack": seq or 0, "rejected": {…},
"submitted": true, "auto": counted as the clock's, "notice": why changes sent along
were not stored, or ""}` — the sheet then shows the waiting view itself, with no
Reflex event: every student of a national exam submits in the same minute.
Errors as for a save (no 409: a late submit is still a submit).

POST /api/sheet/practice/{practice_id} and …/submit → the same two for a practice
session's sheet (assets/practice_sheet.jsx shares the exam's sync): the same bodies
and answers, the token `services.practice.practice_sheet_token` (student + practice
session), the "newest batch per device" rule in `practicesync`; the practice page
reads its results after the submit's answer.

GET /admin/api/exams/{exam_id}/export/{file}[?group=<id>] → an admin export as an
attachment (`file`: results.csv, results.xlsx, responses.csv, responses.xlsx;
saved as `exam-<id>-<file>`, or `exam-<id>-group-<g>-<file>`). `group` narrows it
to one group's students; a teacher's export never holds anyone outside their own
groups. A JSON error: 400 a `group` that is not a number, 401 without a live admin
session (no cookie; an unknown, expired or revoked token), 403 a request from
a page that is not the app's own (`from_app_page`: a page on another port of
the same host gets the cookie, since cookies ignore ports, but not the file), or
a group the account may not see, 404 no such exam, export or group, 503 the
database could not be read. The
credential is the admin panel's session cookie (HttpOnly, SameSite=Strict).
CSV is streamed chunk by chunk from one query (each chunk read in a worker
thread); Excel is built in a worker thread and sent whole. Every download is
recorded in the audit log.

POST /admin/api/login (form-encoded, as the login page's plain HTML form posts
it, or JSON) → checks the credentials (admin_auth.login, throttled), sets the
session cookie (HttpOnly, SameSite=Strict, Path=/ so the websocket handshake
carries it, Secure under https or in production, Max-Age the session length)
and answers 303 to the admin page asked for (`next`); on failure 303 back to
the login page with the reason in a short-lived HttpOnly cookie. A JSON request
gets JSON instead (200 `{"ok": true}` / 4xx `{"error": …}`). POST
/admin/api/logout revokes the cookie's session and clears the cookie (303 to
the login page). Both refuse (403) a request from a page that is not the app's
own (`from_app_page`): no sign-in or sign-out forged from another site or port.

POST /_upload (Reflex's upload route) is guarded in front (`UploadGuard`): a body
over the upload limit, or without a live admin session, is refused before it is read.

GET /health → this installation's health for an uptime monitor (public, no secrets:
services.health): 200 `{"status": "ok", …}`, or 503 `{"status": "down", "problems":
[…]}` when the database is down or behind the head migration, the queue is down or
the consumer's heartbeat is stale. The checks run in a thread, within a timeout; one
report serves every request for HEALTH_REUSE_SECONDS, so a flood of polls costs one.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import anyio
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockexam.admin.auth import (
    ADMIN_ROOT,
    LANGUAGE_COOKIE,
    LEGACY_TOKEN_COOKIE,
    LEGACY_TOKEN_PATH,
    LOGIN_API,
    LOGIN_ERROR_COOKIE,
    LOGIN_ROUTE,
    LOGOUT_API,
    MAX_PASSWORD_CHARS,
    MAX_TOKEN_CHARS,
    MAX_USERNAME_CHARS,
    TOKEN_COOKIE,
    AdminState,
    cookie_value,
    safe_next,
)
from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    ExamNotOpenError,
    LoginThrottledError,
    MockExamError,
    NotFoundError,
    PermissionDeniedError,
)
from mockexam.origins import app_origins, origin_of
from mockexam.parsing import parse_id
from mockexam.services import (
    access,
    admin_auth,
    bulk,
    certificates,
    copying,
    exam_results,
    health,
    reports,
)
from mockexam.services.access import Capability
from mockexam.services.client_address import client_address
from mockexam.services.exam_results import ExportFile
from mockexam.services.exam_room import (
    Refusal,
    SheetSave,
    SheetSubmit,
    check_sheet_token,
    save_sheet,
    submit_sheet,
)
from mockexam.services.paper import open_paper
from mockexam.services.practice import (
    PracticeSubmit,
    check_practice_sheet_token,
    save_practice,
    submit_practice,
)
from mockexam.services.practice_bank import MAX_ZIP_BYTES, image_file
from mockexam.services.sessions import AnswerChange
from mockexam.services.students import SUPPORTED_LANGUAGES, login_student
from mockexam.student.i18n import error_text, not_saved_text
from mockexam.student.sheet_protocol import (
    BatchError,
    batch_device,
    parse_batch,
    refusal_text,
    unreadable_text,
)
from mockexam.telegram.webapp_auth import (
    LOGIN_WIDGET_ROUTE,
    InitDataError,
    parse_login_widget,
)
from mockexam.telegram.webapp_session import initdata_max_age, issue_credential

logger = logging.getLogger(__name__)


class IdConvertor(Convertor[int]):
    """`{exam_id:id}`: 1 to 18 ASCII digits (Starlette's `int` converter hands a
    5,000-digit path to int(), which raises; 2**70 overflows every id column)."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())

PAPER_ROUTE = "/api/paper/{exam_id:id}"
PRACTICE_IMAGE_ROUTE = "/api/practice/image/{name}"
CERTIFICATE_ROUTE = "/api/certificate/{exam_id:id}"
CERTIFICATE_CARD_ROUTE = "/api/certificate/card/{name}"
REPORT_ROUTE = reports.REPORT_PATH
BULK_ROUTE = f"{ADMIN_ROOT}/api/jobs/{{job_id:id}}/download"
_IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
}
SHEET_ROOT = "/api/sheet"
SHEET_ROUTE = SHEET_ROOT + "/{exam_id:id}"
SHEET_SUBMIT_ROUTE = SHEET_ROUTE + "/submit"
PRACTICE_SHEET_ROOT = SHEET_ROOT + "/practice"
PRACTICE_SHEET_ROUTE = PRACTICE_SHEET_ROOT + "/{practice_id:id}"
PRACTICE_SHEET_SUBMIT_ROUTE = PRACTICE_SHEET_ROUTE + "/submit"
MAX_SHEET_BODY = 64 * 1024
EXPORT_ROOT = f"{ADMIN_ROOT}/api/exams"
EXPORT_ROUTE = EXPORT_ROOT + "/{exam_id:id}/export/{file}"
_NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
_STATUS: tuple[tuple[type[MockExamError], int], ...] = (
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ExamNotOpenError, 410),
)


def _error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=_NO_STORE)


def from_app_page(headers: Headers) -> bool:
    """Whether a browser request comes from one of the app's own pages (mockexam/origins.py).

    `Sec-Fetch-Site: same-origin` (or `none`: typed, bookmarked) is the app's own;
    otherwise the page's origin (`Origin`, else the `Referer`'s) must be one of
    the app's origins. A request with no browser metadata at all (curl, a
    script) is not a page's and passes: such a client sends no victim's cookie.
    """
    site = headers.get("sec-fetch-site")
    if site in ("same-origin", "none"):
        return True
    source = headers.get("origin") or origin_of(headers.get("referer") or "")
    if source:
        return source in app_origins()
    return site is None


def paper(request: Request) -> Response:
    """The question paper for a signed link (sync: Starlette runs it in the threadpool)."""
    exam_id: int = request.path_params["exam_id"]
    try:
        path = open_paper(exam_id=exam_id, token=request.query_params.get("t", ""))
    except MockExamError as err:
        status = next((code for kind, code in _STATUS if isinstance(err, kind)), 400)
        return _error(status, str(err))
    except SQLAlchemyError:
        logger.exception("question paper of exam %s: the database could not be read", exam_id)
        return _error(503, "The question paper cannot be loaded right now; try again shortly.")
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=f"exam-{exam_id}.pdf",
        content_disposition_type="inline",
        headers={**_NO_STORE, "Referrer-Policy": "no-referrer"},
    )


def practice_image(request: Request) -> Response:
    """A stored practice figure by its content-hash name (sync: run in the threadpool)."""
    name: str = request.path_params["name"]
    try:
        path = image_file(name)
    except NotFoundError as err:
        return _error(404, str(err))
    return FileResponse(
        path,
        media_type=_IMAGE_TYPES[path.suffix.lstrip(".")],
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        },
    )


def certificate_download(request: Request) -> Response:
    """The student's current certificate of an exam, for a signed link (sync: threadpool)."""
    exam_id: int = request.path_params["exam_id"]
    try:
        path, name = certificates.open_certificate(
            exam_id=exam_id, token=request.query_params.get("t", "")
        )
    except MockExamError as err:
        status = next((code for kind, code in _STATUS if isinstance(err, kind)), 400)
        return _error(status, str(err))
    except SQLAlchemyError:
        logger.exception("certificate of exam %s: the database could not be read", exam_id)
        return _error(503, "The certificate cannot be loaded right now; try again shortly.")
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=name,
        headers={**_NO_STORE, "Referrer-Policy": "no-referrer"},
    )


def certificate_card(request: Request) -> Response:
    """A current certificate's share card (public: it shows what its verify page shows)."""
    name: str = request.path_params["name"]
    if not name.endswith(".png"):
        return _error(404, "No such certificate.")
    try:
        path = certificates.share_card(name.removesuffix(".png"))
    except NotFoundError as err:
        return _error(404, str(err))
    except SQLAlchemyError:
        logger.exception("share card %r: the database could not be read", name[:40])
        return _error(503, "The card cannot be loaded right now; try again shortly.")
    return FileResponse(
        path,
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def student_report(request: Request) -> Response:
    """The student's own progress report, for a signed link (sync: threadpool)."""
    try:
        pdf, name = reports.open_report(
            token=request.query_params.get("t", ""), lang=request.query_params.get("lang")
        )
    except MockExamError as err:
        status = next((code for kind, code in _STATUS if isinstance(err, kind)), 400)
        return _error(status, str(err))
    except SQLAlchemyError:
        logger.exception("a progress report: the database could not be read")
        return _error(503, "The report cannot be made right now; try again shortly.")
    headers = {**_NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


async def _cookie_admin(request: Request) -> admin_auth.AdminIdentity | None:
    """The account behind the request's admin cookie (re-read in the database), or None."""
    token = cookie_value(request.headers.get("cookie"), TOKEN_COOKIE)
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return await run_in_threadpool(admin_auth.admin_for_token, token)


async def bulk_download(request: Request) -> Response:
    """A finished ZIP (certificates, reports) for the account that asked for it (cookie)."""
    job_id: int = request.path_params["job_id"]
    if not from_app_page(request.headers):
        return _error(403, "Downloads are made from the admin panel itself.")
    try:
        identity = await _cookie_admin(request)
        if identity is None:
            return _error(401, NOT_SIGNED_IN)
        path, name = await run_in_threadpool(
            partial(bulk.job_file, job_id=job_id, admin_id=identity.admin_id)
        )
    except NotFoundError as err:
        return _error(404, str(err))
    except SQLAlchemyError:
        logger.exception("bulk download %s: the database could not be read", job_id)
        return _error(503, DB_UNREADABLE)
    return FileResponse(path, media_type="application/zip", filename=name, headers=dict(_NO_STORE))


def sheet_path(exam_id: int) -> str:
    """Where the exam's answer sheet posts its saves: `/api/sheet/7` (and its submit to
    `/api/sheet/7/submit`)."""
    return f"{SHEET_ROOT}/{exam_id}"


def practice_sheet_path(practice_id: int) -> str:
    """Where a practice session's sheet posts its saves: `/api/sheet/practice/7` (and its
    submit to `/api/sheet/practice/7/submit`)."""
    return f"{PRACTICE_SHEET_ROOT}/{practice_id}"


# Saves run on a few threads of their own, not Starlette's 40: each thread holds a
# database connection while it works, and PostgreSQL's max_connections (100 by
# default) is shared by every worker and consumer (40 threads in each of 3 workers
# hit it at 5,000 students). `MOCKEXAM_SAVE_THREADS` per backend worker.
SAVE_THREADS = 8


def save_threads() -> int:
    """`MOCKEXAM_SAVE_THREADS`, else SAVE_THREADS; one on SQLite, which has one writer
    at a time."""
    text = os.environ.get("MOCKEXAM_SAVE_THREADS", "").strip()
    if not text:
        return 1 if settings.is_sqlite else SAVE_THREADS
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise ValueError(f"MOCKEXAM_SAVE_THREADS must be a whole number from 1 to 64: {text!r}")
    return int(text)


@functools.cache
def _save_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=save_threads(), thread_name_prefix="sheet-save")


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The request body, or None past `limit` bytes (refused without reading the rest)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client left
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


SHEET_SAVE, SHEET_SUBMIT = "save", "submit"


@dataclass(frozen=True, slots=True)
class _Sheet:
    """One kind of answer sheet behind the routes: how its token names the student, and
    how a batch is saved or submitted (for an id: the exam's, or the practice session's)."""

    name: str  # for the log: "exam", "practice"
    student: Callable[[int, str], int]  # (id, token) → student; PermissionDeniedError
    save: Callable[..., SheetSave]
    submit: Callable[..., SheetSubmit | PracticeSubmit]


EXAM_SHEET = _Sheet(
    "exam",
    lambda exam_id, token: check_sheet_token(exam_id=exam_id, token=token),
    lambda exam_id, **batch: save_sheet(exam_id=exam_id, **batch),
    lambda exam_id, **batch: submit_sheet(exam_id=exam_id, **batch),
)


def _values(batch: dict[str, Any]) -> dict[str, Any]:
    """A parsed batch for practice, whose answers are values only (no flags)."""
    changes: Mapping[str, AnswerChange] = batch["changes"]
    return {**batch, "changes": {label: change.value for label, change in changes.items()}}


PRACTICE_SHEET = _Sheet(
    "practice",
    lambda practice_id, token: check_practice_sheet_token(practice_id=practice_id, token=token),
    lambda practice_id, **batch: save_practice(practice_id=practice_id, **_values(batch)),
    lambda practice_id, **batch: submit_practice(practice_id=practice_id, **_values(batch)),
)


def _acknowledged(
    result: SheetSave, refused: dict[str, Refusal], lang: str, *, ack: int
) -> dict[str, object]:
    """The ack of a stored batch: its seq, and the refused labels with why, in `lang`."""
    refusals = {**refused, **result.rejected}
    rejected = {
        label: refusal_text(why, lang, list(result.options.get(label, ())) or None)
        for label, why in refusals.items()
    }
    return {"ack": ack, "rejected": rejected}


async def _sheet_answer(
    exam_id: int, body: bytes | None, what: str = SHEET_SAVE, sheet: _Sheet = EXAM_SHEET
) -> tuple[int, dict[str, object]]:
    """(status, JSON answer) to an answer-sheet batch (`what`: a save, or the submit with
    the last changes) for the token's student in this exam (or practice session: `sheet`)."""
    if body is None:
        return (413, {"error": unreadable_text("uz")})
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
        return (400, {"error": unreadable_text("uz")})
    if not isinstance(data, dict):
        return (400, {"error": unreadable_text("uz")})
    lang = data.pop("lang", "uz")
    lang = lang if lang in SUPPORTED_LANGUAGES else "uz"
    token = data.pop("t", "")
    try:
        student_id = sheet.student(exam_id, token if isinstance(token, str) else "")
    except PermissionDeniedError as err:
        return (401, {"error": error_text(err, lang), "reload": True})
    try:
        seq, changes, refused, auto = parse_batch(data, allow_auto=what == SHEET_SUBMIT)
        device = batch_device(data)
        if device is None:
            raise BatchError("no device")
    except BatchError as err:
        logger.info("%s %s: a malformed sheet batch was refused: %s", sheet.name, exam_id, err)
        return (400, {"error": unreadable_text(lang)})
    loop = asyncio.get_running_loop()
    if what == SHEET_SUBMIT:
        try:
            done = await loop.run_in_executor(
                _save_pool(),
                partial(
                    sheet.submit,
                    exam_id,
                    student_id=student_id,
                    changes=changes,
                    auto=auto,
                    device=device,
                    seq=seq,
                ),
            )
        except NotFoundError as err:
            return (404, {"error": error_text(err, lang)})
        except (MockExamError, SQLAlchemyError):
            logger.exception("%s %s: student %s could not submit", sheet.name, exam_id, student_id)
            return (503, {"error": not_saved_text(lang)})
        return 200, _submitted(done, refused, lang, seq=seq)
    try:
        result = await loop.run_in_executor(
            _save_pool(),
            partial(
                sheet.save,
                exam_id,
                student_id=student_id,
                changes=changes,
                device=device,
                seq=seq,
            ),
        )
    except (DeadlinePassedError, AlreadySubmittedError) as err:
        return (409, {"error": error_text(err, lang), "closed": True})
    except NotFoundError as err:
        return (404, {"error": error_text(err, lang)})
    except (MockExamError, SQLAlchemyError):
        logger.exception("%s %s: answers of student %s not saved", sheet.name, exam_id, student_id)
        return (503, {"error": not_saved_text(lang)})
    return 200, _acknowledged(result, refused, lang, ack=result.ack)


def _submitted(
    done: SheetSubmit | PracticeSubmit, refused: dict[str, Refusal], lang: str, *, seq: int
) -> dict[str, object]:
    """The answer to a submit: `submitted`, whether it counts as the clock's (`auto`), the
    ack of the changes sent along (0 when they came too late: not stored) and, when some
    were not stored, why (`notice`, for the waiting view)."""
    # Changes that came too late (or after the session was submitted) are not
    # acknowledged: the student is told they were not saved.
    ack = 0 if done.dropped else done.saved.ack or seq
    notice = ""
    if done.dropped:  # time ran out, or another device submitted first
        late = done.late or done.is_auto_submitted
        notice = error_text(DeadlinePassedError() if late else AlreadySubmittedError(), lang)
    return {
        **_acknowledged(done.saved, refused, lang, ack=ack),
        "submitted": True,
        "auto": done.is_auto_submitted,
        "notice": notice,
    }


_SHEET_PREFIX = SHEET_ROOT + "/"
# What JSONResponse and the CORS middleware would add (the sheet's dev page is on
# another port): the answer is the same whichever way the request came in.
_SHEET_HEADERS = [
    (b"content-type", b"application/json"),
    *((k.lower().encode(), v.encode()) for k, v in _NO_STORE.items()),
    (b"access-control-allow-origin", b"*"),
]


_PRACTICE_PREFIX = "practice/"


def sheet_target(path: str) -> tuple[_Sheet, int, str] | None:
    """(sheet, id, what) of an answer-sheet path: `/api/sheet/7` → (EXAM_SHEET, 7, "save"),
    `/api/sheet/7/submit` → (EXAM_SHEET, 7, "submit"), `/api/sheet/practice/7` →
    (PRACTICE_SHEET, 7, "save"); else None."""
    if not path.startswith(_SHEET_PREFIX):
        return None
    rest, what, sheet = path[len(_SHEET_PREFIX) :], SHEET_SAVE, EXAM_SHEET
    if rest.startswith(_PRACTICE_PREFIX):
        rest, sheet = rest[len(_PRACTICE_PREFIX) :], PRACTICE_SHEET
    if rest.endswith("/" + SHEET_SUBMIT):
        rest, what = rest[: -len(SHEET_SUBMIT) - 1], SHEET_SUBMIT
    if rest.isascii() and rest.isdigit() and len(rest) <= 18:
        return sheet, int(rest), what
    return None


class _SheetSave:
    """POST /api/sheet/{exam_id} (a save) and /api/sheet/{exam_id}/submit as an ASGI app
    of its own (see the module's docstring).

    Plain ASGI, no Request or Response objects: Starlette routes to it inside
    `create_api()` (an instance, not a function, so Starlette calls it as ASGI), and
    under `make run-scale` `SheetSaves` hands it the saves before Reflex's middleware
    stack sees them (mockexam.mockexam.scale_app).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = sheet_target(scope["path"])
        if target is None:
            status, payload = 404, {"error": "Not Found"}
        else:
            sheet, owner_id, what = target
            body = await _read_body(scope, receive, MAX_SHEET_BODY)
            status, payload = await _sheet_answer(owner_id, body, what, sheet)
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = [*_SHEET_HEADERS, (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


sheet_save = _SheetSave()


class SheetSaves:
    """Answer-sheet saves (POST /api/sheet/<exam>) answered first; everything else to `app`.

    Mid-exam the saves are almost all the backend's HTTP traffic; through Reflex's
    two Starlette apps (each with its error, CORS and context middleware and a
    router) they spent 15-19% of the workers' GIL time there (py-spy at 4,000
    students). The same `sheet_save` answers either way.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and sheet_target(scope["path"]) is not None
        ):
            await sheet_save(scope, receive, send)
            return
        await self.app(scope, receive, send)


def export_path(exam_id: int, file: ExportFile) -> str:
    """The backend path of an admin export: `/admin/api/exams/7/export/results.csv`."""
    return f"{EXPORT_ROOT}/{exam_id}/export/{file.value}"


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CSV_EXPORTS: dict[ExportFile, Callable[[int, access.Scope], Iterator[bytes]]] = {
    ExportFile.RESULTS_CSV: exam_results.iter_results_csv,
    ExportFile.RESPONSES_CSV: exam_results.iter_response_matrix_csv,
    ExportFile.COPYING_CSV: lambda exam_id, _scope: exam_results.csv_chunks(
        copying.iter_copying_rows(exam_id)
    ),
}
# Exports that name students of other groups side by side: owners and admins only.
_MANAGERS_ONLY = {ExportFile.COPYING_CSV}
_XLSX_EXPORTS: dict[ExportFile, Callable[[int, access.Scope], bytes]] = {
    ExportFile.RESULTS_XLSX: exam_results.export_results_xlsx,
    ExportFile.RESPONSES_XLSX: exam_results.export_response_matrix_xlsx,
}
NOT_SIGNED_IN = "Sign in to the admin panel first (or again: the session has ended)."
DB_UNREADABLE = "The export cannot be built right now; try again shortly."


async def _in_threads(chunks: Iterator[bytes], what: str) -> AsyncIterator[bytes]:
    """Each chunk of a blocking iterator read in a worker thread; closed even if the client leaves.

    Closing the generator ends its read transaction (and PostgreSQL's
    server-side cursor) at once instead of whenever it is garbage-collected.
    """
    try:
        while (chunk := await run_in_threadpool(next, chunks, None)) is not None:
            yield chunk
    except SQLAlchemyError:
        logger.exception("%s: the database failed mid-stream (the download is cut short)", what)
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(chunks.close)


async def admin_export(request: Request) -> Response:
    """An export of one exam for a signed-in account (cookie), recorded in the audit log.

    `?group=<id>` narrows it to that group's students. A teacher's export holds
    their own groups' students only (all of them, or the one asked for).
    """
    exam_id: int = request.path_params["exam_id"]
    try:
        file = ExportFile(request.path_params["file"])
    except ValueError:
        names = ", ".join(f.value for f in ExportFile)
        return _error(404, f"No such export; choose one of {names}.")
    if not from_app_page(request.headers):
        # SameSite=strict keeps the cookie from other sites, not from another port of
        # this host (same site): such a page could read the file through CORS.
        return _error(403, "Exports are downloaded from the admin panel itself.")
    group_text = request.query_params.get("group")
    group_id = None if group_text is None else parse_id(group_text)
    if group_text is not None and group_id is None:
        return _error(400, "group must be a group's number (?group=3).")
    try:
        identity = await _cookie_admin(request)
        if identity is None:
            return _error(401, NOT_SIGNED_IN)
        if not access.allows(identity.role, Capability.VIEW) or (
            file in _MANAGERS_ONLY and not access.allows(identity.role, Capability.MANAGE)
        ):
            return _error(403, ROLE_REFUSED)
        scope = await run_in_threadpool(_export_scope, identity, group_id)
        await run_in_threadpool(
            partial(
                exam_results.record_export,
                exam_id=exam_id,
                file=file,
                admin_id=identity.admin_id,
                scope=scope,
            )
        )
    except PermissionDeniedError as err:
        return _error(403, str(err))
    except NotFoundError as err:
        return _error(404, str(err))
    except SQLAlchemyError:
        logger.exception("export %s of exam %s: the database could not be read", file, exam_id)
        return _error(503, DB_UNREADABLE)
    part = "" if group_id is None else f"group-{group_id}-"
    filename = f"exam-{exam_id}-{part}{file.value}"
    headers = {**_NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    logger.info("Admin %r exports %s", identity.username, filename)
    if file in _CSV_EXPORTS:
        chunks = _CSV_EXPORTS[file](exam_id, scope)
        return StreamingResponse(
            _in_threads(chunks, filename), media_type=CSV_MEDIA_TYPE, headers=headers
        )
    try:
        data = await run_in_threadpool(_XLSX_EXPORTS[file], exam_id, scope)
    except SQLAlchemyError:
        logger.exception("export %s: the database could not be read", filename)
        return _error(503, DB_UNREADABLE)
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers=headers)


def _export_scope(identity: admin_auth.AdminIdentity, group_id: int | None) -> access.Scope:
    """Whose rows the export holds (services.access.group_scope, with the account's language)."""
    with session_scope(readonly=True) as db:
        try:
            return access.group_scope(
                db, admin_id=identity.admin_id, role=identity.role, group_id=group_id
            )
        except MockExamError as err:
            raise type(err)(err.text(identity.language)) from None


ROLE_REFUSED = "Your role does not allow this download."


# --- A student's sign-in on the web: the Telegram Login Widget ------------------------
WIDGET_ROUTE = LOGIN_WIDGET_ROUTE
# The page's one-time value (student/login.py puts it in the widget's auth URL and in
# the tab's sessionStorage): the credential is taken only by the tab that asked for it,
# so a link carrying someone else's sign-in cannot sign a student in as them.
_LOGIN_STATE = re.compile(r"[A-Za-z0-9_-]{16,64}")
WIDGET_REFUSED = (
    "Telegram orqali kirish amalga oshmadi: sahifani yangilab, qayta urinib ko‘ring.\n"
    "Вход через Telegram не удался: обновите страницу и попробуйте снова.\n"
    "Signing in with Telegram did not work: reload the page and try again."
)


async def telegram_widget(request: Request) -> Response:
    """GET /auth/telegram?state=…&id=…&auth_date=…&hash=… (the Login Widget's redirect):
    checked as Telegram documents, then the same student as in the Mini App, and the
    tab's credential handed to the page in the URL's fragment (never sent to a server,
    so in no log) with the state it must match: 303 to WEBAPP_URL#mx_session=…&state=….
    403 (plain text, three languages) for a forged, stale or foreign sign-in or a
    missing state; 503 when the database is unavailable."""
    query = request.url.query
    fields = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "state"]
    states = request.query_params.getlist("state")
    if len(states) != 1 or not _LOGIN_STATE.fullmatch(states[0]):
        logger.info("widget sign-in refused: no state")
        return PlainTextResponse(WIDGET_REFUSED, status_code=403, headers=_NO_STORE)
    try:
        user = parse_login_widget(
            urlencode(fields),
            bot_token=settings.webapp_token,
            max_age_seconds=initdata_max_age(),
        )
    except InitDataError as err:
        logger.info("widget sign-in refused: %s", err.reason)
        return PlainTextResponse(WIDGET_REFUSED, status_code=403, headers=_NO_STORE)
    try:
        student = await run_in_threadpool(
            partial(
                login_student,
                telegram_id=user.id,
                first_name=user.first_name,
                last_name=user.last_name,
                username=user.username,
            )
        )
    except SQLAlchemyError:
        logger.exception("widget sign-in: the database is unavailable")
        return PlainTextResponse(SIGN_IN_UNAVAILABLE, status_code=503, headers=_NO_STORE)
    credential = issue_credential(student_id=student.id, telegram_id=user.id)
    fragment = urlencode({"mx_session": credential, "state": states[0]})
    return RedirectResponse(f"{settings.webapp_url}#{fragment}", status_code=303, headers=_NO_STORE)


# --- Admin sign-in and sign-out (the session cookie) ---------------------------------
MAX_LOGIN_BODY = 4096
LOGIN_ERROR_SECONDS = 60
CROSS_SITE = "Sign in from the admin panel's own page."
MISSING_CREDENTIALS = "Enter your username and password."
SIGN_IN_UNAVAILABLE = "The database is unavailable; try again in a minute."


def secure_cookies() -> bool:
    """Whether the session cookie is Secure: in production, or wherever the app is on https."""
    return settings.mockexam_env == "production" or settings.webapp_url.lower().startswith("https:")


def _set_cookie(response: Response, name: str, value: str, max_age: int, path: str = "/") -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=secure_cookies(),
        httponly=True,
        samesite="strict",
    )


def _page_base(headers: Headers) -> str:
    """Where the app's pages are, for a redirect: the posting page's origin if it is the
    app's (dev: the frontend's port, not this backend's), else this host (a relative URL)."""
    origin = headers.get("origin") or ""
    return origin if origin in app_origins() else ""


async def _small_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None past `limit` bytes (not read on)."""
    length = request.headers.get("content-length", "")
    if length.isascii() and length.isdigit() and int(length) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _login_fields(body: bytes, content_type: str) -> dict[str, str]:
    """username / password / next from a form-encoded or JSON body; only strings kept."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            data = json.loads(text)
            items = data.items() if isinstance(data, dict) else ()
        else:
            items = parse_qsl(text, keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}
    fields: dict[str, str] = {}
    for key, value in items:
        if key in ("username", "password", "next") and isinstance(value, str):
            fields.setdefault(key, value)
    return fields


def _login_language(headers: Headers) -> str:
    """The login page's language (the panel's language cookie; the default without one)."""
    value = cookie_value(headers.get("cookie"), LANGUAGE_COOKIE, limit=8).strip('"')
    return value if value in ("uz", "ru", "en") else settings.admin_default_language


async def admin_login(request: Request) -> Response:
    """Sign in: the session cookie and on to the page asked for, or back with the reason."""
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    base = _page_base(request.headers)
    if not from_app_page(request.headers):
        return _error(403, CROSS_SITE)
    body = await _small_body(request, MAX_LOGIN_BODY)
    fields = _login_fields(body or b"", request.headers.get("content-type", ""))
    next_path = safe_next(fields.get("next"))

    def failed(status: int, message: str) -> Response:
        if wants_json:
            return _error(status, message)
        query = urlencode({"next": next_path}) if next_path != ADMIN_ROOT else ""
        response = RedirectResponse(f"{base}{LOGIN_ROUTE}{'?' if query else ''}{query}", 303)
        response.headers.update(_NO_STORE)
        _set_cookie(response, LOGIN_ERROR_COOKIE, quote(message), LOGIN_ERROR_SECONDS)
        return response

    username = fields.get("username", "").strip()
    password = fields.get("password", "")
    if (
        not username
        or not password
        or len(username) > MAX_USERNAME_CHARS
        or len(password) > MAX_PASSWORD_CHARS
    ):
        return failed(400, MISSING_CREDENTIALS)
    peer = request.client.host if request.client else None
    client = client_address(peer, request.headers)
    try:
        login = await run_in_threadpool(
            partial(admin_auth.login, username=username, password=password, client=client)
        )
    except LoginThrottledError as err:  # too many failures: says until when (local time)
        response = failed(429, err.text(_login_language(request.headers)))
        wait = math.ceil((err.retry_at - utcnow()).total_seconds())
        response.headers["Retry-After"] = str(max(1, wait))
        return response
    except MockExamError as err:  # wrong credentials
        return failed(401, str(err))
    except SQLAlchemyError:
        logger.exception("admin login: the database is unavailable")
        return failed(503, SIGN_IN_UNAVAILABLE)
    if wants_json:
        response: Response = JSONResponse({"ok": True, "next": next_path}, headers=_NO_STORE)
    else:
        response = RedirectResponse(base + next_path, 303)
        response.headers.update(_NO_STORE)
    _set_cookie(response, TOKEN_COOKIE, login.token, settings.admin_session_hours * 3600)
    _set_cookie(response, LOGIN_ERROR_COOKIE, "", 0)
    # The cookie of older versions (set by JavaScript, so script-readable): gone.
    _set_cookie(response, LEGACY_TOKEN_COOKIE, "", 0, path=LEGACY_TOKEN_PATH)
    return response


async def admin_logout(request: Request) -> Response:
    """Sign out: the cookie's session revoked everywhere, the cookie cleared, to the login page."""
    if not from_app_page(request.headers):
        return _error(403, CROSS_SITE)
    token = cookie_value(request.headers.get("cookie"), TOKEN_COOKIE)
    if token and len(token) <= MAX_TOKEN_CHARS:
        try:
            await run_in_threadpool(admin_auth.logout, token)
        except (MockExamError, SQLAlchemyError):
            logger.exception("admin logout could not revoke the session")
            return _error(503, "The session could not be ended; try again in a minute.")
    response = RedirectResponse(_page_base(request.headers) + LOGIN_ROUTE, 303)
    response.headers.update(_NO_STORE)
    _set_cookie(response, TOKEN_COOKIE, "", 0)
    return response


# --- Uploads: refused before their body is read ------------------------------------
UPLOAD_PATH = "/_upload"
# The multipart framing around the file (boundaries, part headers, the handler's
# arguments): generous, as the limit is there to stop hundreds of megabytes.
UPLOAD_MARGIN_BYTES = 1024 * 1024
MAX_CLIENT_TOKEN_CHARS = 100


def upload_limit() -> int:
    """The largest upload body: the bigger of a PDF paper and a question-bank zip, plus framing."""
    return max(settings.max_pdf_bytes, MAX_ZIP_BYTES) + UPLOAD_MARGIN_BYTES


def _registered_states(handler_name: str) -> tuple[type, ...]:
    """The state classes of a registered event handler by its full name ((): no such handler)."""
    from reflex_base.registry import RegistrationContext

    try:
        registered = RegistrationContext.get().event_handlers.get(handler_name)
    except LookupError:
        return ()
    return tuple(registered.states) if registered is not None else ()


async def _client_admin_state(client_token: str) -> AdminState | None:
    """The AdminState of a connected client (Reflex's tab token), without creating one.

    Read without the state lock: only the handshake's Cookie header is wanted. A
    manager keeping states in a dict (memory, disk) is asked whether it has the
    client first, so a made-up token makes nothing; Redis builds a state it does
    not have without storing it.
    """
    from reflex.istate.manager import get_state_manager
    from reflex.istate.manager.token import BaseStateToken
    from reflex.state import State

    try:
        manager = get_state_manager()
    except LookupError:
        return None
    states = getattr(manager, "states", None)
    if isinstance(states, dict) and client_token not in states:
        return None
    root = await manager.get_state(BaseStateToken(ident=client_token, cls=AdminState))
    if not isinstance(root, State):
        return None
    admin = await root.get_state(AdminState)
    return admin if isinstance(admin, AdminState) else None


async def upload_admin(headers: Headers) -> admin_auth.AdminIdentity | None:
    """The live admin behind an upload, else None.

    The cookie where the browser sends it (production: the page's own origin); in dev the
    upload goes to another port without cookies, so the client's websocket state tells:
    the session token of its handshake. Either way checked in the database now.
    """
    tokens = [cookie_value(headers.get("cookie"), TOKEN_COOKIE)]
    client_token = headers.get("reflex-client-token", "")
    if (
        not tokens[0]
        and client_token
        and client_token.isascii()
        and len(client_token) <= MAX_CLIENT_TOKEN_CHARS
    ):
        state = await _client_admin_state(client_token)
        if state is not None:
            tokens.append(state._session_token())
    for token in tokens:
        if token and len(token) <= MAX_TOKEN_CHARS:
            identity = await run_in_threadpool(admin_auth.admin_for_token, token)
            # Every upload handler manages something (a paper, a figure, an import):
            # an account whose role manages nothing sends no body either.
            if identity is not None and access.allows(identity.role, Capability.MANAGE):
                return identity
    return None


class UploadGuard:
    """POST /_upload answered 413 / 401 / 403 before its body is read; counted while read.

    Reflex's upload route parses the whole multipart body (to temp files) before
    the event handler, and so its admin check, runs: an anonymous client could
    fill the disk. Here, first: a declared Content-Length over `upload_limit()`
    is 413; a handler that is not an admin state's is 403; no live admin session
    (`upload_admin`) is 401. A body without a length (chunked) is counted as it is
    read and cut off at the limit with 413. The handlers check the admin again
    (`_require_admin`) and the file's own limit (a paper, an image, a zip).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != UPLOAD_PATH:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = upload_limit()
        length = headers.get("content-length", "")
        if length and not (length.isascii() and length.isdigit()):
            await _error(400, "The upload's Content-Length is not a number.")(scope, receive, send)
            return
        if length and int(length) > limit:
            await _error(413, _too_large(limit))(scope, receive, send)
            return
        states = _registered_states(headers.get("reflex-event-handler", ""))
        if not states or not all(issubclass(cls, AdminState) for cls in states):
            await _error(403, "Uploads are for the admin panel only.")(scope, receive, send)
            return
        try:
            identity = await upload_admin(headers)
        except SQLAlchemyError:
            logger.exception("upload: the admin session could not be checked")
            await _error(503, DB_UNREADABLE)(scope, receive, send)
            return
        if identity is None:
            await _error(401, NOT_SIGNED_IN)(scope, receive, send)
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass the upload on, cutting it off at `limit` bytes however it is framed.

        Past the limit the reader is told the client left (Starlette's parser
        stops, Reflex answers nothing), and whatever it answers is replaced by 413.
        """
        received = 0
        over = replied = False

        async def counting_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def answer_413() -> None:
            nonlocal replied
            replied = True
            await _error(413, _too_large(limit))(scope, receive, send)

        async def guarded_send(message: Message) -> None:
            if not over:
                await send(message)
            elif not replied:
                await answer_413()

        try:
            await self.app(scope, counting_receive, guarded_send)
        except ClientDisconnect:  # a reader that does not catch it (Reflex's does)
            if not over:
                raise
        if over and not replied:
            await answer_413()


def _too_large(limit: int) -> str:
    return f"The upload is larger than {limit // (1024 * 1024)} MB."


# --- The websocket: frames nested too deep for the JSON decoder -------------------
EVENT_PREFIX = "/_event"
MAX_FRAME_DEPTH = 100
# Counting brackets is C-speed; only a frame with more than this many is decoded here
# (a full answer sheet's batch has about 125).
_BRACKETS_WORTH_A_LOOK = 256


def json_depth(data: object) -> int:
    """How deep decoded JSON nests (iteratively: no recursion to exhaust)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in node)
    return deepest


def too_deep(frame: str) -> bool:
    """True for a Socket.IO frame whose JSON nests deeper than MAX_FRAME_DEPTH, or so deep
    that the decoder gives up (RecursionError). Cheap for every normal frame: only one
    with many brackets is decoded here, once, at C speed (no regex to backtrack)."""
    if frame.count("[") + frame.count("{") <= _BRACKETS_WORTH_A_LOOK:
        return False
    starts = [i for i in (frame.find("["), frame.find("{")) if i >= 0]
    try:
        data = json.loads(frame[min(starts) :])
    except RecursionError:
        return True
    except ValueError:  # not JSON: Socket.IO refuses it itself
        return False
    return json_depth(data) > MAX_FRAME_DEPTH


class WebsocketFrameGuard:
    """Close a websocket that sends a frame nested deeper than any event of this app.

    Socket.IO decodes each frame with json.loads before any handler runs; 30,000
    nested brackets raise RecursionError there, and python-engineio logs a
    40-line traceback per frame (an attacker's log flood, a little CPU each). No
    page of the app sends more than a handful of levels, so such a frame ends
    the connection with 1008 (policy violation) and one log line, before
    Socket.IO sees it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or not scope.get("path", "").startswith(EVENT_PREFIX):
            await self.app(scope, receive, send)
            return
        closed = False

        async def guarded_receive() -> Message:
            nonlocal closed
            message = await receive()
            if message["type"] == "websocket.receive" and not closed:
                frame = message.get("text")
                if frame is None and message.get("bytes"):
                    frame = message["bytes"].decode("utf-8", "replace")
                if frame and too_deep(frame):
                    client = scope.get("client") or ("?", 0)
                    logger.warning(
                        "websocket from %s closed: a frame nested over %s levels",
                        client[0],
                        MAX_FRAME_DEPTH,
                    )
                    closed = True
                    await send({"type": "websocket.close", "code": 1008})
                    return {"type": "websocket.disconnect", "code": 1008}
            return message

        async def guarded_send(message: Message) -> None:
            if not closed:
                await send(message)

        await self.app(scope, guarded_receive, guarded_send)


# Vite names every built file under /assets/ by its content hash: a browser may
# keep them for good, so a warm Mini App open fetches only the page and data.
IMMUTABLE_PREFIX = b"/assets/"
IMMUTABLE_CACHE = b"public, max-age=31536000, immutable"


class ImmutableAssetsMiddleware:
    """Mark the production build's content-hashed assets cacheable forever."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("raw_path") or scope.get("path", "").encode()
        if scope["type"] != "http" or not path.startswith(IMMUTABLE_PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ]
                headers.append((b"cache-control", IMMUTABLE_CACHE))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cache)


ADMIN_PREFIX = b"/admin"
NO_FRAMING = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)


class NoFramingMiddleware:
    """No page may frame the admin panel (clickjacking of Publish, Notify…).

    Caddy sends the same headers in the going-live layout (mockexam/deploy.py); the
    app sends them itself, so that no deployment without them exists.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("raw_path") or scope.get("path", "").encode()
        if scope["type"] != "http" or not (
            path == ADMIN_PREFIX or path.startswith((ADMIN_PREFIX + b"/", ADMIN_PREFIX + b"?"))
        ):
            await self.app(scope, receive, send)
            return

        async def send_unframable(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A policy of the response's own stays: browsers enforce every one sent.
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-frame-options"
                ]
                message = {**message, "headers": [*headers, *NO_FRAMING]}
            await send(message)

        await self.app(scope, receive, send_unframable)


PUBLIC_PREFIXES = (
    "/api/paper/",
    "/api/practice/image/",
    "/api/certificate/",
    reports.REPORT_PATH,
    SHEET_ROOT + "/",
)


class PublicCORSMiddleware:
    """`Access-Control-Allow-Origin: *` for the routes whose credential is in the request.

    The paper and practice images carry their own signed token (or none), the sheet's
    save a token in its body: any page may read them, and no cookie is involved (a
    browser refuses `*` to a request with credentials). Everything else is left to
    Reflex's CORS middleware, which answers only the app's own origins (rxconfig.py).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.public = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["Range"],
            # pdf.js reads these to fetch a large paper in ranges.
            expose_headers=["Accept-Ranges", "Content-Range", "Content-Length"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PUBLIC_PREFIXES):
            await self.public(scope, receive, send)
        else:
            await self.app(scope, receive, send)


HEALTH_ROUTE = "/health"
HEALTH_TIMEOUT_SECONDS = 10.0
HEALTH_REUSE_SECONDS = 2.0


def _queue_pending() -> int:
    """Tasks waiting in the Huey queue (imported here: the queue sits above the services)."""
    from mockexam.worker import huey

    return huey.pending_count()


class _Health:
    """GET /health: one report at a time, reused for HEALTH_REUSE_SECONDS."""

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._last: tuple[float, int, dict[str, object]] | None = None

    async def _answer(self) -> tuple[int, dict[str, object]]:
        try:
            report = await asyncio.wait_for(
                asyncio.to_thread(health.health_report, pending=_queue_pending),
                HEALTH_TIMEOUT_SECONDS,
            )
        except TimeoutError:
            logger.warning("health: the checks took over %ss", HEALTH_TIMEOUT_SECONDS)
            return 503, {"status": "down", "problems": ["health check timed out"]}
        return (200 if report.ok else 503), report.as_json()

    async def endpoint(self, _request: Request) -> Response:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            last = self._last
            if last is None or time.monotonic() - last[0] > HEALTH_REUSE_SECONDS:
                status, body = await self._answer()
                last = self._last = (time.monotonic(), status, body)
        return JSONResponse(last[2], status_code=last[1], headers=_NO_STORE)


def create_api() -> Starlette:
    """A fresh instance of the HTTP routes (tests build their own)."""
    return Starlette(
        routes=[
            Route(PAPER_ROUTE, paper, methods=["GET"]),
            Route(PRACTICE_IMAGE_ROUTE, practice_image, methods=["GET"]),
            Route(CERTIFICATE_ROUTE, certificate_download, methods=["GET"]),
            Route(CERTIFICATE_CARD_ROUTE, certificate_card, methods=["GET"]),
            Route(REPORT_ROUTE, student_report, methods=["GET"]),
            Route(BULK_ROUTE, bulk_download, methods=["GET"]),
            Route(SHEET_ROUTE, sheet_save, methods=["POST"]),
            Route(SHEET_SUBMIT_ROUTE, sheet_save, methods=["POST"]),
            Route(PRACTICE_SHEET_ROUTE, sheet_save, methods=["POST"]),
            Route(PRACTICE_SHEET_SUBMIT_ROUTE, sheet_save, methods=["POST"]),
            Route(EXPORT_ROUTE, admin_export, methods=["GET"]),
            Route(LOGIN_API, admin_login, methods=["POST"]),
            Route(LOGOUT_API, admin_logout, methods=["POST"]),
            Route(HEALTH_ROUTE, _Health().endpoint, methods=["GET"]),
            Route(WIDGET_ROUTE, telegram_widget, methods=["GET"]),
        ],
        middleware=[
            Middleware(NoFramingMiddleware),
            Middleware(ImmutableAssetsMiddleware),
            Middleware(UploadGuard),
            Middleware(WebsocketFrameGuard),
            Middleware(PublicCORSMiddleware),
        ],
    )


api = create_api()
