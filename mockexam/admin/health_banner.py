"""The red banner on every admin page while the worker (the Huey consumer) is not running.

Without the consumer nothing happens on its own: overdue exams are not
auto-submitted or released and no message is sent, and nothing else on the
page would say so. The banner is checked when an admin page shows its content
(the admin is signed in by then) and again every BANNER_TICK_MS while the page
is open. Its state is small on purpose (a bool and a short text), since every
open admin tab re-reads it; the read is one row, through services.health in a
worker thread. The rule for "not running" is services.heartbeat's, the one
`/health` and `doctor` use too. A consumer that never ran counts as not running.
"""

from __future__ import annotations

import logging

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.admin.auth import AdminState
from mockexam.services import health

logger = logging.getLogger(__name__)

BANNER_TICK_MS = 30_000
WORKER_DOWN = (
    "The worker is not running: overdue exams are not auto-submitted or released, "
    "messages are not sent."
)
NEVER_RAN = "It has not run on this installation."


class HealthBannerState(AdminState):
    """Whether the worker's heartbeat is stale, for the banner of every admin page."""

    worker_down: bool = False
    worker_age: str = ""

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def check(self, _now: str = ""):
        """On showing an admin page, and on the page's timer: re-read the heartbeat."""
        if await self._require_admin() is None:
            return
        try:
            status = await rx.run_in_thread(health.consumer_status)
        except SQLAlchemyError:
            # The page's own reads report an unavailable database; keep what was shown.
            logger.warning("worker banner: the heartbeat could not be read", exc_info=True)
            return
        self.worker_down = not status.alive
        if status.alive:
            self.worker_age = ""
        elif status.age_seconds is None:
            self.worker_age = NEVER_RAN
        else:
            self.worker_age = f"Its last sweep was {health.ago(status.age_seconds)} ago."


def health_banner() -> rx.Component:
    """The banner (shown while the worker is down) and its timer; mounted once signed in."""
    return rx.box(
        rx.cond(
            HealthBannerState.worker_down,
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert")),
                rx.callout.text(
                    rx.text.strong(WORKER_DOWN),
                    " ",
                    HealthBannerState.worker_age,
                    " Start it: python -m mockexam worker (systemctl start mockexam-worker).",
                ),
                color_scheme="red",
                variant="surface",
                role="alert",
                id="worker-banner",
                width="100%",
            ),
        ),
        rx.moment(interval=BANNER_TICK_MS, on_change=HealthBannerState.check, display="none"),
        on_mount=HealthBannerState.check,
        width="100%",
    )
