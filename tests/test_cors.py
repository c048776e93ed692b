"""CORS and the websocket answer the app's own pages only; public routes stay public.

The HTTP checks run the API with the CORS middleware Reflex puts in front of it
(`App._add_cors`, from rxconfig's `cors_allowed_origins`), as the running app
has it. The websocket check hands a handshake to the real app's Socket.IO
endpoint (`app._api`, where Reflex mounts /_event).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from reflex.app import App
from reflex_base.config import get_config
from starlette.types import Message

from mockexam.admin.auth import TOKEN_COOKIE
from mockexam.api import create_api, export_path
from mockexam.config import Settings
from mockexam.db import session_scope, utcnow
from mockexam.origins import app_origins, origin_of, parse_origins
from mockexam.services.exam_results import ExportFile
from mockexam.services.release import release_exam
from tests.admin.helpers import admin_token
from tests.event_socket import event_socket_scope
from tests.factories import make_cohort, make_exam

OTHER_PORT = "http://localhost:5555"  # a page on another port of the same host
DEV_PAGE = "http://localhost:3000"


def _get(path: str, **headers: str) -> httpx.Response:
    api = create_api()
    App._add_cors(api)  # what Reflex does to the API when it mounts it

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as c:
            return await c.get(path, headers=headers)

    return asyncio.run(send())


@pytest.fixture
def released(db_url) -> int:
    with session_scope() as db:
        exam = make_exam(db, title="Released", start=utcnow() - timedelta(days=2), hours=3)
        make_cohort(db, exam, n=5, graded=True)
        exam_id = exam.id
    assert release_exam(exam_id) is not None
    return exam_id


def test_a_page_on_another_port_cannot_read_an_admin_export(released):
    token = admin_token("alice")
    path = export_path(released, ExportFile.RESULTS_CSV)
    # fetch(url, {credentials: "include"}) from http://localhost:5555: the cookie goes along.
    response = _get(
        path,
        origin=OTHER_PORT,
        cookie=f"{TOKEN_COOKIE}={token}",
        **{"sec-fetch-site": "same-site", "sec-fetch-mode": "cors"},
    )
    assert response.status_code == 403 and "telegram" not in response.text.lower()
    assert response.headers.get("access-control-allow-origin") != OTHER_PORT
    # Nor a navigation from there (no Origin; its Referer, or none at all).
    for referer in ({"referer": OTHER_PORT + "/x"}, {}):
        response = _get(
            path,
            cookie=f"{TOKEN_COOKIE}={token}",
            **{"sec-fetch-site": "same-site", "sec-fetch-mode": "navigate"},
            **referer,
        )
        assert response.status_code == 403, referer


def test_the_admin_panels_own_pages_get_the_export(released):
    token = admin_token("alice")
    path = export_path(released, ExportFile.RESULTS_CSV)
    cookie = f"{TOKEN_COOKIE}={token}"
    # Production: the link on the same origin.
    assert _get(path, cookie=cookie, **{"sec-fetch-site": "same-origin"}).status_code == 200
    # Dev: the link on the page (3000) to the backend (8000), a navigation with a Referer.
    navigation = _get(
        path,
        cookie=cookie,
        referer=DEV_PAGE + "/admin/exams/1",
        **{"sec-fetch-site": "same-site", "sec-fetch-mode": "navigate"},
    )
    assert navigation.status_code == 200
    fetched = _get(path, cookie=cookie, origin=DEV_PAGE, **{"sec-fetch-site": "same-site"})
    assert fetched.status_code == 200
    assert fetched.headers["access-control-allow-origin"] == DEV_PAGE


def test_a_preflight_from_a_foreign_page_is_not_allowed():
    api = create_api()
    App._add_cors(api)

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as c:
            return await c.options(
                "/_upload",
                headers={
                    "origin": OTHER_PORT,
                    "access-control-request-method": "POST",
                    "access-control-request-headers": "reflex-client-token",
                },
            )

    response = asyncio.run(send())
    assert response.headers.get("access-control-allow-origin") not in (OTHER_PORT, "*")


def test_public_routes_stay_readable_from_any_page_without_credentials(db_url):
    # A bad paper link and a missing figure: the answer is readable, and it is "*",
    # which a browser never grants to a request that carries credentials.
    for path in ("/api/paper/1?t=bad", "/api/practice/image/" + "0" * 64 + ".png"):
        response = _get(path, origin="https://anywhere.example")
        assert response.status_code in (403, 404)
        assert response.headers["access-control-allow-origin"] == "*"


def test_reflex_is_configured_with_the_apps_origins_not_a_wildcard():
    origins = list(get_config().cors_allowed_origins)
    assert "*" not in origins and origins == list(app_origins())
    assert DEV_PAGE in origins and OTHER_PORT not in origins


def _handshake(origin: str) -> str:
    """The first thing the real app's websocket endpoint answers a handshake from `origin`."""
    from mockexam.mockexam import app

    sent: list[Message] = []
    connected = False

    async def receive() -> Message:
        nonlocal connected
        if not connected:
            connected = True
            return {"type": "websocket.connect"}
        await asyncio.sleep(0.2)
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = event_socket_scope(origin)
    assert app._api is not None
    asyncio.run(asyncio.wait_for(app._api(scope, receive, send), 10))
    return sent[0]["type"]


def test_the_websocket_refuses_a_foreign_origin_and_accepts_the_apps_page():
    assert _handshake(OTHER_PORT) == "websocket.close"
    assert _handshake("https://evil.example") == "websocket.close"
    assert _handshake(DEV_PAGE) == "websocket.accept"


def test_app_origins_follow_the_settings():
    prod = Settings(
        mockexam_env="production",
        webapp_url="https://exam.example.com/app",
        admin_secret_key="k" * 40,
        telegram_bot_token="1:x",
    )
    assert app_origins(prod, {}) == ("https://exam.example.com",)
    dev = Settings(webapp_url="http://localhost:3000/app", cors_allowed_origins="https://a.example")
    assert app_origins(dev, {"REFLEX_FRONTEND_PORT": "3100", "REFLEX_BACKEND_PORT": "8100"}) == (
        "http://localhost:3000",
        "http://localhost:3100",
        "http://127.0.0.1:3100",
        "http://localhost:8100",
        "http://127.0.0.1:8100",
        "https://a.example",
    )
    assert origin_of("HTTPS://Exam.Example.com:443/app?x=1") == "https://exam.example.com"
    assert origin_of("javascript:alert(1)") is None
    assert origin_of("http://user:pw@host/") is None
    for bad in ("exam.example.com", "https://a.example/path", "*", "https://ex\u0430mple.com"):
        with pytest.raises(ValueError, match="CORS_ALLOWED_ORIGINS"):
            parse_origins(bad)
