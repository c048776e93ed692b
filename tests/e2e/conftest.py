"""Browser tests: the production build in Debian's Chromium at a phone's size.

Fixtures
- `app_server` (session): an `AppServer` (tests/e2e/appserver.py) with its
  own migrated SQLite database seeded with the demo data, running
  `reflex run --env prod` on one free port. `.base_url`, `.webapp_url`
  (WEBAPP_URL, base_url + "/app"), `.database_url`, `.port`; `.stop()` kills
  it (backend offline), `.start()` brings it back on the same port without
  rebuilding (about a second). A test that stops it must start it again.
- `app_db`: inside the test, `mockexam.db.session_scope()` and the services
  read and write the app's database (settings restored afterwards).
- `student_link(telegram_id, path="", **options)`: a signed Mini App link
  for the app, as Telegram opens it (options: first_name, last_name,
  username, language, theme).
- `browser` (session): headless Chromium through Playwright.
- `phone_page`: a page in a fresh phone context (390×844, scale 2, touch);
  `@pytest.mark.parametrize("phone_page", ["light", "dark"], indirect=True)`
  picks the colour scheme (default light).

`measure_load(page, url, ready_selector)` is re-exported from appserver.

Without Chromium or Playwright the tests skip; with CI=true they fail.
Every test here is marked `slow` (they run in `make test`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.appserver import (
    AppServer,
    AppServerError,
    chromium_path,
    launch_chromium,
    measure_load,
    new_phone_context,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["measure_load"]

IN_CI = os.environ.get("CI", "").lower() == "true"
E2E_DIR = Path(__file__).parent

try:
    import playwright  # noqa: F401
except ImportError:  # pragma: no cover - make install always has it
    if not IN_CI:  # under CI=true the test modules' imports fail loudly instead
        collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.slow)


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (CI=true: the browser tests must run)")
    pytest.skip(what)


def require_browser_tools() -> None:
    """Playwright and Debian's Chromium are there (skip, or fail under CI=true)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("playwright is not installed (make install)")
    if chromium_path() is None:
        _missing("chromium is not installed (make chromium)")


@pytest.fixture(scope="package")
def app_server() -> Iterator[AppServer]:
    """The production app on its own database and port, for the browser tests."""
    workdir = Path(tempfile.mkdtemp(prefix="mockexam-e2e-"))
    server = AppServer(workdir)
    try:
        try:
            server.prepare_database()
            server.start()
        except AppServerError as err:
            if "bun is not installed" in str(err):
                _missing(str(err))
            pytest.fail(str(err))
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def app_db(app_server: AppServer) -> Iterator[str]:
    """This test's own database calls go to the app's database."""
    with app_server.database() as url:
        yield url


@pytest.fixture
def student_link(app_server: AppServer) -> Callable[..., str]:
    def link(telegram_id: int, path: str = "", **options: Any) -> str:
        return app_server.student_link(telegram_id, path, **options)

    return link


# Package scope, not session: Playwright's sync API keeps an event loop running
# in this thread while it is open, and every later `asyncio.run` (the Reflex
# state tests) would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    require_browser_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    color_scheme = getattr(request, "param", "light")
    context = new_phone_context(browser, color_scheme=color_scheme)
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()
