"""Mini App links as Telegram opens them: initData signed like Telegram signs it.

Telegram opens a Mini App at its URL with a fragment of launch parameters:

    <webapp_url>#tgWebAppData=<initData, percent-encoded>&tgWebAppVersion=8.0
        &tgWebAppPlatform=weba&tgWebAppThemeParams=<theme JSON, percent-encoded>

`student_link` builds exactly that for a Telegram user id, signing initData
with the bot token (`settings.webapp_token`: the real token, or the dev token
without one), so local use and browser tests take the production sign-in
path. The link signs in while `auth_date` is fresh
(`telegram.webapp_session.initdata_max_age()`: 24 h with the development
token, `INITDATA_MAX_AGE_SECONDS` — 10 min — with a real one); the opened tab
then stays signed in on its own credential. Nothing here touches the
database: the caller passes the names (`mockexam.cli.stored_profile` reads a
stored student's).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, quote, urlencode

from mockexam.config import settings
from mockexam.telegram.webapp_auth import sign_init_data

WEBAPP_VERSION = "8.0"
WEBAPP_PLATFORM = "weba"  # Telegram Web A; the platform a desktop browser reports

# Telegram's default day and night themes (tgWebAppThemeParams), as Web A sends them.
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#707579",
        "link_color": "#3390ec",
        "button_color": "#3390ec",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#f4f4f5",
        "header_bg_color": "#ffffff",
        "accent_text_color": "#3390ec",
        "section_bg_color": "#ffffff",
        "section_header_text_color": "#3390ec",
        "subtitle_text_color": "#707579",
        "destructive_text_color": "#e53935",
        "bottom_bar_bg_color": "#ffffff",
        "section_separator_color": "#e7e7e7",
    },
    "dark": {
        "bg_color": "#212121",
        "text_color": "#ffffff",
        "hint_color": "#aaaaaa",
        "link_color": "#8774e1",
        "button_color": "#8774e1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#0f0f0f",
        "header_bg_color": "#212121",
        "accent_text_color": "#8774e1",
        "section_bg_color": "#212121",
        "section_header_text_color": "#aaaaaa",
        "subtitle_text_color": "#aaaaaa",
        "destructive_text_color": "#e53935",
        "bottom_bar_bg_color": "#212121",
        "section_separator_color": "#303030",
    },
}

Theme = Literal["light", "dark"]


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    """What Telegram puts in initData's `user` besides the id."""

    first_name: str = "Student"
    last_name: str = ""
    username: str | None = None
    language_code: str | None = "uz"


def _user_json(telegram_id: int, profile: TelegramProfile) -> str:
    """The `user` field: compact JSON, empty optional fields left out (as Telegram does)."""
    user: dict[str, object] = {"id": telegram_id, "first_name": profile.first_name}
    if profile.last_name:
        user["last_name"] = profile.last_name
    if profile.username:
        user["username"] = profile.username
    if profile.language_code:
        user["language_code"] = profile.language_code
    user["allows_write_to_pm"] = True
    return json.dumps(user, ensure_ascii=False, separators=(",", ":"))


def init_data(
    telegram_id: int,
    profile: TelegramProfile,
    *,
    bot_token: str,
    auth_date: int | None = None,
    query_id: str | None = None,
    start_param: str | None = None,
) -> str:
    """Signed initData (the query string `Telegram.WebApp.initData` holds); `start_param`:
    the `startapp` value of the link that opened the Mini App (a group invite `g_<code>`)."""
    fields = {
        "query_id": query_id or f"AAH{secrets.token_urlsafe(18)}",
        "user": _user_json(telegram_id, profile),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
    }
    if start_param:
        fields["start_param"] = start_param
    signed = dict(parse_qsl(sign_init_data(fields, bot_token=bot_token)))
    # Telegram percent-encodes with %20, not '+'; the hash covers the decoded values.
    return urlencode({**fields, "hash": signed["hash"]}, quote_via=quote)


def launch_fragment(init: str, *, theme: Theme = "light") -> str:
    """The URL fragment (without '#') Telegram appends to the Mini App URL."""
    params = {
        "tgWebAppData": init,
        "tgWebAppVersion": WEBAPP_VERSION,
        "tgWebAppPlatform": WEBAPP_PLATFORM,
        "tgWebAppThemeParams": json.dumps(THEMES[theme], separators=(",", ":")),
    }
    return urlencode(params, quote_via=quote, safe="")


def student_link(
    telegram_id: int,
    *,
    path: str = "",
    profile: TelegramProfile | None = None,
    base_url: str | None = None,
    bot_token: str | None = None,
    auth_date: int | None = None,
    theme: Theme = "light",
    start_param: str | None = None,
) -> str:
    """The Mini App URL (+ `path`) with signed initData in the fragment, as Telegram opens it
    (`start_param`: as opened by a `?startapp=` link).

    `base_url` defaults to `settings.webapp_url`, `bot_token` to
    `settings.webapp_token`; `path` is appended (base ".../app", path "/exam/2").
    """
    if telegram_id <= 0:
        raise ValueError("a Telegram user id is a positive integer")
    url = base_url or settings.webapp_url
    if path:
        url = url.rstrip("/") + "/" + path.lstrip("/")
    init = init_data(
        telegram_id,
        profile or TelegramProfile(),
        bot_token=bot_token or settings.webapp_token,
        auth_date=auth_date,
        start_param=start_param,
    )
    return f"{url}#{launch_fragment(init, theme=theme)}"


def init_data_from_link(link: str) -> str:
    """initData out of a link's fragment, decoded as telegram-web-app.js decodes it."""
    fragment = link.split("#", 1)[1] if "#" in link else ""
    params = dict(parse_qsl(fragment, keep_blank_values=True))
    return params.get("tgWebAppData", "")
