"""Plain HTTP routes beside the Reflex app: the exam's PDF question paper.

`api` is a Starlette app that Reflex mounts in front of its own backend
(`rx.App(api_transformer=api)`): its routes are matched first, everything
else falls through to Reflex. In dev mode the page (port 3000) fetches the
paper from the backend (port 8000), so the route answers CORS itself; the
signed token in the URL is the credential, no cookies are involved.

GET /api/paper/{exam_id}?t=<token> → the PDF (inline, never cached), or a
JSON error: 403 bad/expired link or not a taker of this exam, 404 no such
paper, 410 the window has closed (spec §3.8).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockexam.errors import (
    ExamNotOpenError,
    MockExamError,
    NotFoundError,
    PermissionDeniedError,
)
from mockexam.services.paper import open_paper

logger = logging.getLogger(__name__)

PAPER_ROUTE = "/api/paper/{exam_id:int}"
_NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
_STATUS: tuple[tuple[type[MockExamError], int], ...] = (
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ExamNotOpenError, 410),
)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_NO_STORE)


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


def create_api() -> Starlette:
    """A fresh instance of the HTTP routes (tests build their own)."""
    return Starlette(
        routes=[Route(PAPER_ROUTE, paper, methods=["GET"])],
        middleware=[
            Middleware(ImmutableAssetsMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "HEAD"],
                allow_headers=["Range"],
                # pdf.js reads these to fetch a large paper in ranges.
                expose_headers=["Accept-Ranges", "Content-Range", "Content-Length"],
            ),
        ],
    )


api = create_api()
