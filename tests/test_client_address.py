"""client_address: X-Forwarded-For is believed only from TRUSTED_PROXIES, read from the right."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.datastructures import Headers

from mockexam.api import create_api
from mockexam.config import Settings, settings
from mockexam.services.client_address import MAX_HEADER_CHARS, client_address
from tests.admin.helpers import PASSWORD, make_admin


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch):
    def set_(value: str) -> None:
        monkeypatch.setattr(settings, "trusted_proxies", value)

    return set_


def test_nobody_is_trusted_by_default_so_a_spoofed_header_is_ignored(trust):
    assert Settings.model_fields["trusted_proxies"].default == ""
    trust("")
    xff = {"X-Forwarded-For": "10.0.0.1"}
    assert client_address("203.0.113.9", xff) == "203.0.113.9"
    assert client_address("127.0.0.1", xff) == "127.0.0.1"  # loopback too


def test_a_header_from_an_untrusted_peer_is_ignored(trust):
    trust("127.0.0.1,::1")
    xff = {"x-forwarded-for": "10.0.0.1, 127.0.0.1"}
    assert client_address("198.51.100.4", xff) == "198.51.100.4"


def test_one_trusted_proxy_gives_the_client_it_saw(trust):
    trust("127.0.0.1,::1")
    assert client_address("127.0.0.1", {"X-Forwarded-For": "198.51.100.4"}) == "198.51.100.4"
    assert client_address("::1", {"X-Forwarded-For": "2001:db8::7"}) == "2001:db8::7"


def test_a_trusted_chain_is_walked_from_the_right_and_the_clients_claim_ignored(trust):
    trust("127.0.0.1, 10.0.0.0/8")
    # The client claims 1.1.1.1; the CDN (10.2.3.4) saw 198.51.100.4; Caddy saw the CDN.
    headers = Headers(
        raw=[
            (b"x-forwarded-for", b"1.1.1.1, 198.51.100.4"),
            (b"x-forwarded-for", b"10.2.3.4"),
        ]
    )
    assert client_address("127.0.0.1", headers) == "198.51.100.4"


def test_malformed_entries_are_skipped_and_ports_and_brackets_understood(trust):
    trust("127.0.0.1")
    assert client_address("127.0.0.1", {"X-Forwarded-For": "198.51.100.4, nonsense"}) == (
        "198.51.100.4"
    )
    assert client_address("127.0.0.1", {"X-Forwarded-For": "198.51.100.4:51234"}) == (
        "198.51.100.4"
    )
    assert client_address("127.0.0.1", {"X-Forwarded-For": "[2001:db8::7]:443"}) == "2001:db8::7"
    assert client_address("127.0.0.1", {"X-Forwarded-For": "::ffff:198.51.100.4"}) == (
        "198.51.100.4"
    )
    for junk in ("", " , ,", "²³.1.1.1", "1.2.3.4:99999", "[::1", "x" * 500, "%%%"):
        assert client_address("127.0.0.1", {"X-Forwarded-For": junk}) == "127.0.0.1"


def test_a_huge_header_is_read_from_its_right_end_only(trust):
    trust("127.0.0.1")
    claims = ", ".join(f"10.{k % 250}.{k % 200}.1" for k in range(5000))
    headers = {"X-Forwarded-For": f"{claims}, 198.51.100.4"}
    assert len(headers["X-Forwarded-For"]) > 10 * MAX_HEADER_CHARS
    assert client_address("127.0.0.1", headers) == "198.51.100.4"


def test_only_trusted_proxies_in_the_header_means_the_proxy_itself(trust):
    trust("127.0.0.1,10.0.0.0/8")
    assert client_address("127.0.0.1", {"X-Forwarded-For": "10.0.0.5, 127.0.0.1"}) == "10.0.0.5"
    assert client_address("127.0.0.1", {}) == "127.0.0.1"
    assert client_address("127.0.0.1", None) == "127.0.0.1"


def test_a_peer_that_is_not_an_address_is_kept_as_given_and_bounded():
    assert client_address(None) == "unknown"
    assert client_address("  ") == "unknown"
    assert client_address("test") == "test"
    assert len(client_address("y" * 1000)) == 64


def test_reflex_router_headers_with_underscores_are_read(trust):
    trust("127.0.0.1")
    assert client_address("127.0.0.1", {"x_forwarded_for": "198.51.100.4"}) == "198.51.100.4"


@pytest.mark.parametrize("value", ["127.0.0.1,localhost", "10.0.0.0/33", "caddy"])
def test_a_bad_trusted_proxies_value_refuses_to_start(monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match=r"TRUSTED_PROXIES: .* is not an IP address or CIDR"):
        Settings()


@pytest.mark.parametrize("value", ["0.0.0.0/0", "127.0.0.1, ::/0"])
def test_trusting_every_address_refuses_to_start(monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match="trusts every address"):
        Settings()


# --- through the real login route (mockexam/api.py), as Caddy forwards it ------------------------
SAME_ORIGIN = {"sec-fetch-site": "same-origin", "origin": "http://localhost:3000"}


def _login_via_http(password: str, forwarded_for: str | None) -> int:
    """POST /admin/api/login from the ASGI peer 127.0.0.1 (Caddy's place); the status code."""
    headers = dict(SAME_ORIGIN)
    if forwarded_for is not None:
        headers["x-forwarded-for"] = forwarded_for

    async def send() -> int:
        transport = httpx.ASGITransport(app=create_api(), client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as c:
            response = await c.post(
                "/admin/api/login",
                json={"username": "alice", "password": password},
                headers=headers,
            )
            if response.status_code == 429:  # how long to wait, for a client that reads it
                assert 1 <= int(response.headers["retry-after"]) <= 15 * 60
            return response.status_code

    return asyncio.run(send())


def test_behind_a_trusted_proxy_the_real_admin_gets_in_while_an_attacker_waits(db_url, trust):
    trust("127.0.0.1,::1")
    make_admin("alice")
    for _ in range(settings.admin_login_max_failures):
        assert _login_via_http("wrong password", "6.6.6.6") == 401
    assert _login_via_http(PASSWORD, "6.6.6.6") == 429  # the attacker's address waits
    assert _login_via_http(PASSWORD, "198.51.100.4") == 200  # alice, elsewhere, does not


def test_without_trusted_proxies_a_forged_header_buys_no_fresh_address(db_url, trust):
    trust("")
    make_admin("alice")
    for k in range(settings.admin_login_max_failures):
        assert _login_via_http("wrong password", f"203.0.113.{k}") == 401
    # Every attempt came from 127.0.0.1 whatever the header said: that address waits.
    assert _login_via_http(PASSWORD, "198.51.100.77") == 429
