"""The Mini App's link to Telegram: back button, closing guard, theme, haptics.

`telegram_bridge()` is rendered once per page by the layout. It loads
Telegram's own telegram-web-app.js from the npm package `@twa-dev/sdk` (bundled
with the app; nothing is fetched from telegram.org) and, inside Telegram,
calls `ready()`/`expand()`, follows Telegram's light/dark scheme, shows the
BackButton, toggles the closing confirmation and keeps the
`--tg-safe-area-inset-*` / `--tg-content-safe-area-inset-*` CSS variables set.
In a plain browser it does nothing. The React side is `assets/telegram.jsx`.
"""

from __future__ import annotations

from typing import Literal

import reflex as rx

TWA_SDK = "@twa-dev/sdk@8.0.2"
SESSION_STORAGE_KEY = "mockexam_session"  # = telegram.webapp_session.STORAGE_KEY

HapticKind = Literal["light", "medium", "success", "warning", "error", "selection"]
HAPTIC_KINDS: tuple[str, ...] = ("light", "medium", "success", "warning", "error", "selection")

# What a student page signs in with, for `rx.call_script(INIT_DATA_JS, callback=...)`:
# the raw Mini App initData, preceded by the tab's own credential and a newline when it
# has one (student/auth.py, telegram/webapp_session.py). initData works before the
# bridge has loaded the SDK (reads `tgWebAppData` from the launch hash) and after
# in-app navigation dropped the hash (sessionStorage: ours, then the one
# telegram-web-app.js keeps). "" outside Telegram without a credential.
# The sessionStorage key of the web sign-in's one-time state (student/login.py).
LOGIN_STATE_KEY = "mockexam_login_state"
INIT_DATA_STORAGE_KEY = "mockexam_init_data"  # the tab's Telegram initData, once seen

# `read()`: the tab's Telegram initData from wherever it is ("" when it has none), kept in
# the tab's sessionStorage once seen; shared by INIT_DATA_JS and the web sign-out button's
# check (student/shell.py), which must tell a Telegram tab from a web sign-in.
READ_INIT_DATA_JS = (
    f"const KEY = '{INIT_DATA_STORAGE_KEY}';"
    " const keep = (v) => { try { window.sessionStorage.setItem(KEY, v); } catch (e) {} return v; };"
    " const read = () => { try {"
    " const live = window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData;"
    " if (live) return keep(live);"
    " const fromHash = new URLSearchParams((window.location.hash || '').slice(1)).get('tgWebAppData');"
    " if (fromHash) return keep(fromHash);"
    " let stored = null; try { stored = window.sessionStorage.getItem(KEY); } catch (e) {}"
    " if (stored) return stored;"
    " let sdk = null; try { sdk = JSON.parse(window.sessionStorage.getItem('__telegram__initParams') || 'null'); } catch (e) {}"
    " if (sdk && sdk.tgWebAppData) return keep(sdk.tgWebAppData);"
    " return '';"
    " } catch (e) { return ''; } };"
)

INIT_DATA_JS = (
    f"(() => {{ {READ_INIT_DATA_JS}"
    # A sign-in on the web (the Login Widget, /auth/telegram) hands the credential over in
    # the fragment, with the one-time state this tab put in the widget's URL: taken only
    # when the state is this tab's own, then wiped from the address bar and history.
    " try { const h = new URLSearchParams((window.location.hash || '').slice(1));"
    " const handed = h.get('mx_session'), st = h.get('state');"
    f" if (handed && st && st === window.sessionStorage.getItem('{LOGIN_STATE_KEY}')) {{"
    f" window.sessionStorage.setItem('{SESSION_STORAGE_KEY}', handed);"
    f" window.sessionStorage.removeItem('{LOGIN_STATE_KEY}'); }}"
    " if (handed) window.history.replaceState(null, '', window.location.pathname + window.location.search);"
    " } catch (e) {}"
    " let session = null;"
    f" try {{ session = window.sessionStorage.getItem('{SESSION_STORAGE_KEY}'); }} catch (e) {{}}"
    " const init = read();"
    " return session ? session + '\\n' + init : init; })()"
)


class TelegramBridge(rx.Component):
    """Connects the page to the Telegram Mini App host; renders nothing.

    Props:
        back_href: "" hides Telegram's BackButton; otherwise it is shown and
            goes back in history when the previous entry is a page of this
            app, else navigates to `back_href` (replacing the current entry).
        confirm_close: ask before Telegram closes the Mini App (exam pages).
    Also defines `window.mockexamHaptic(kind)` (see `haptic`), and fires a
    `mockexam:activated` window event when Telegram reports the Mini App
    active again (the countdown listens for it).
    """

    library = "$/public/telegram.jsx"
    tag = "TelegramBridge"
    lib_dependencies: list[str] = [TWA_SDK]  # noqa: RUF012 (Reflex field)

    back_href: rx.Var[str]
    confirm_close: rx.Var[bool]


def telegram_bridge(
    back_href: str | rx.Var[str] = "",
    confirm_close: bool | rx.Var[bool] = False,
) -> rx.Component:
    """The page's Telegram bridge; render exactly one per page (in the layout).

    Beside it, a hidden tick that keeps the tab's sign-in credential fresh while the
    Mini App is open (`StudentState.keep_signed_in`): an exam page whose answers
    save over HTTP may send no Reflex event for hours.
    """
    from mockexam.student.auth import StudentState  # the state imports INIT_DATA_JS from here
    from mockexam.telegram.webapp_session import RENEW_TICK_MS

    return rx.fragment(
        TelegramBridge.create(back_href=back_href, confirm_close=confirm_close),
        rx.moment(interval=RENEW_TICK_MS, on_change=StudentState.keep_signed_in, display="none"),
    )


def haptic(kind: HapticKind) -> rx.event.EventSpec:
    """An event that buzzes the phone: Telegram's HapticFeedback, else a short vibrate.

    Use in an event chain: `on_click=[haptic("light"), State.pick(...)]`.
    """
    if kind not in HAPTIC_KINDS:
        raise ValueError(f"haptic kind must be one of {HAPTIC_KINDS}, not {kind!r}")
    return rx.call_script(f"window.mockexamHaptic && window.mockexamHaptic('{kind}')")
