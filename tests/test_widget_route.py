"""GET /auth/telegram: the Login Widget's redirect signs the same student in as the Mini App,
and hands the tab its credential only with the tab's own state; anything else: 403, nothing
stored."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from mockexam.api import WIDGET_REFUSED, create_api
from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.models import Student
from mockexam.telegram.webapp_auth import LOGIN_WIDGET_ROUTE, sign_init_data, sign_login_widget
from mockexam.telegram.webapp_session import check_credential

TOKEN = "4242:real-bot-token-for-the-widget"
STATE = "a" * 16 + "0123456789abcdef"


@pytest.fixture(autouse=True)
def real_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "telegram_bot_token", TOKEN)
    monkeypatch.setattr(settings, "webapp_url", "https://exam.example.uz/app")


def _fields(**overrides: object) -> dict[str, str]:
    fields = {
        "id": "777000111",
        "first_name": "Dilnoza",
        "last_name": "Karimova",
        "username": "dilnoza_k",
        "auth_date": str(int(time.time()) - 3),
    }
    fields.update({k: str(v) for k, v in overrides.items()})
    return fields


def _get(query: str) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_api())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get(f"{LOGIN_WIDGET_ROUTE}?{query}")

    return asyncio.run(send())


def _students() -> int:
    with session_scope(readonly=True) as db:
        return db.exec(select(func.count()).select_from(Student)).one()


def test_a_genuine_sign_in_is_the_same_student_with_a_credential_for_the_asking_tab(db_url):
    response = _get(f"state={STATE}&" + sign_login_widget(_fields(), bot_token=TOKEN))
    assert response.status_code == 303
    assert "no-store" in response.headers["cache-control"]
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path, location.query) == (
        "https",
        "exam.example.uz",
        "/app",
        "",  # nothing in the query string: the fragment never reaches a server or a log
    )
    handed = parse_qs(location.fragment)
    assert handed["state"] == [STATE]
    claim = check_credential(handed["mx_session"][0])
    with session_scope(readonly=True) as db:
        student = db.exec(select(Student).where(Student.telegram_id == 777000111)).one()
    assert (claim.student_id, claim.telegram_id) == (student.id, 777000111)
    assert (student.first_name, student.last_name, student.username) == (
        "Dilnoza",
        "Karimova",
        "dilnoza_k",
    )
    # the Mini App later: the same student
    again = _get(
        f"state={STATE}&" + sign_login_widget(_fields(first_name="Dilya"), bot_token=TOKEN)
    )
    assert again.status_code == 303 and _students() == 1


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(lambda: sign_login_widget(_fields(), bot_token=TOKEN), id="no-state"),
        pytest.param(
            lambda: "state=short&" + sign_login_widget(_fields(), bot_token=TOKEN), id="bad-state"
        ),
        pytest.param(
            lambda: f"state={STATE}&state={STATE}&" + sign_login_widget(_fields(), bot_token=TOKEN),
            id="two-states",
        ),
        pytest.param(
            lambda: f"state={STATE}&" + sign_login_widget(_fields(), bot_token="1:another-bot"),
            id="other-bot",
        ),
        pytest.param(
            lambda: (
                f"state={STATE}&"
                + sign_login_widget(_fields(auth_date=int(time.time()) - 3600), bot_token=TOKEN)
            ),
            id="stale",
        ),
        pytest.param(
            lambda: (
                f"state={STATE}&"
                + sign_login_widget(_fields(), bot_token=TOKEN).replace("Dilnoza", "Malika")
            ),
            id="forged",
        ),
        pytest.param(
            lambda: f"state={STATE}&" + sign_init_data(_fields(), bot_token=TOKEN),
            id="mini-app-signature",
        ),
        pytest.param(lambda: f"state={STATE}&" + urlencode(_fields()), id="unsigned"),
        pytest.param(lambda: f"state={STATE}&id=1&hash=" + "0" * 64, id="no-auth-date"),
    ],
)
def test_anything_but_a_genuine_fresh_sign_in_with_a_state_is_refused(db_url, query):
    response = _get(query())
    assert response.status_code == 403
    assert response.text == WIDGET_REFUSED
    assert "location" not in response.headers
    assert _students() == 0
