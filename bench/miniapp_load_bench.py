"""Mini App load time: opening a student link to the page showing data, production build.

Starts the app as the browser tests do (tests/e2e/appserver.py: a fresh
SQLite database with the demo data, `reflex run --env prod` on a free port),
then opens a freshly signed student link for the demo student in headless
Chromium at a phone's size and times navigation start → `--selector` visible
(the browser's own clock, `performance.now()`):

- cold: a new browser context each time (empty HTTP cache and storage), as a
  first open;
- warm: new pages in one context that has loaded the app once (HTTP cache
  kept, fresh session storage), as reopening the Mini App.

Target (issue 6): ≤ 1.5 s warm. The dashboard renders `#dashboard-ready` once
its data is shown, which is the default selector.

    .venv/bin/python bench/miniapp_load_bench.py [--path /app] [--selector '#dashboard-ready']
        [--runs 5] [--theme light|dark]

e.g. the home page: `--path / --selector '#student-count'`.

Figures here (2 vCPUs, shared with other builds, load ~5–9; Chromium 156,
5 runs each, the /app dashboard, #dashboard-ready):

    cold  median 0.80 s   p95 1.09 s
    warm  median 0.54 s   p95 0.57 s      (target ≤ 1.5 s: met)

Starting the app: ~4–13 s for `reflex run --env prod` with the frontend
build, ~1–2 s for a restart without rebuilding. The built assets carry no
Cache-Control header, so a warm load still revalidates them (304s).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockexam.cli import student_link_for  # noqa: E402
from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID  # noqa: E402
from tests.e2e.appserver import (  # noqa: E402
    WEBAPP_PATH,
    AppServer,
    launch_chromium,
    measure_load,
    new_phone_context,
)

WARM_TARGET_SECONDS = 1.5


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def _summary(name: str, values: list[float]) -> str:
    runs = " ".join(f"{v:.2f}" for v in values)
    return (
        f"  {name:<5} median {statistics.median(values):.2f} s   p95 {_p95(values):.2f} s"
        f"   (runs: {runs})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=WEBAPP_PATH, help="page the link opens (default /app)")
    parser.add_argument("--selector", default="#dashboard-ready", help="shown once data is in")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--telegram-id", type=int, default=DEMO_STUDENT_TELEGRAM_ID)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="mockexam-load-bench-"))
    server = AppServer(workdir)
    try:
        began = time.monotonic()
        server.prepare_database()
        print(f"database migrated and seeded in {time.monotonic() - began:.1f} s")
        print(f"app started in {server.start():.1f} s (reflex run --env prod, frontend built)")
        server.stop()
        print(f"restarted in {server.start():.1f} s (same port and build, no rebuild)")

        def link() -> str:
            with server.database():
                return student_link_for(
                    args.telegram_id,
                    base_url=server.base_url + "/" + args.path.strip("/"),
                    bot_token=server.bot_token,
                    theme=args.theme,
                )

        cold: list[float] = []
        warm: list[float] = []
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            print(f"Chromium {browser.version}; page {args.path}, waiting for {args.selector}")
            for _ in range(args.runs):
                context = new_phone_context(browser, color_scheme=args.theme)
                cold.append(measure_load(context.new_page(), link(), args.selector))
                context.close()
            context = new_phone_context(browser, color_scheme=args.theme)
            page = context.new_page()
            measure_load(page, link(), args.selector)  # fills the cache; not counted
            page.close()
            for _ in range(args.runs):
                page = context.new_page()
                warm.append(measure_load(page, link(), args.selector))
                page.close()
            context.close()
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print("open student link → data shown (navigation start to selector visible):")
    print(_summary("cold", cold))
    print(_summary("warm", warm))
    met = statistics.median(warm) <= WARM_TARGET_SECONDS
    print(f"  target ≤ {WARM_TARGET_SECONDS} s warm (median): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
