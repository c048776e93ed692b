"""POST to the answer sheets' HTTP routes as the sheet does (assets/sheet_sync.jsx)."""

from __future__ import annotations

import asyncio
import json

import httpx
from starlette.types import ASGIApp


def post_json(app: ASGIApp, path: str, body: object, **headers: str) -> httpx.Response:
    """POST `body` as JSON text (text/plain, as the sheet sends it) to `app`, in process."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.post(
                path,
                content=json.dumps(body),
                headers={"content-type": "text/plain;charset=UTF-8", **headers},
            )

    return asyncio.run(send())
