"""Reflex configuration for mockexam.

The storage settings come from `mockexam.config.settings` (environment / .env):
- embedded default: Reflex's in-memory state manager on one backend worker;
  the database, not Reflex state, holds everything that matters;
- `REDIS_URL` set: Reflex's Redis state manager, so several backend workers
  can serve the same clients.

Ports: frontend 3000 and backend 8000 in dev; `--env prod` serves both on the
frontend port. `REFLEX_FRONTEND_PORT` / `REFLEX_BACKEND_PORT` override them
(Reflex reads every `REFLEX_<FIELD>` variable itself). Reflex's own database
(`db_url`, for `rx.Model`) stays unset: our tables live in `mockexam.db`.

CORS and the websocket answer only the app's own origins (mockexam/origins.py:
WEBAPP_URL's, the dev ports on localhost outside production, CORS_ALLOWED_ORIGINS),
not Reflex's default "*": with "*" Reflex's CORS middleware echoes any Origin
with credentials allowed, so a page on another port of the same host could read
what the admin's cookie unlocks.
"""

import reflex as rx
from reflex.plugins import SitemapPlugin

from mockexam.config import settings
from mockexam.origins import app_origins
from mockexam.ui.theme import app_theme

config = rx.Config(
    app_name="mockexam",
    frontend_port=3000,
    backend_port=8000,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    state_manager_mode=(
        rx.constants.StateManagerMode.REDIS
        if settings.redis_url
        else rx.constants.StateManagerMode.MEMORY
    ),
    redis_url=settings.redis_url,
    cors_allowed_origins=list(app_origins()),
    # Radix themes only (no Tailwind: nothing to build or download). The
    # sitemap would list every route, admin pages included, and nothing here
    # is meant for search engines.
    plugins=[rx.plugins.RadixThemesPlugin(theme=app_theme())],
    disable_plugins=[SitemapPlugin],
)
