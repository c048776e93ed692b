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
from mockexam.admin.i18n import russian_form, t
from mockexam.services import health
from mockexam.services.access import Capability

logger = logging.getLogger(__name__)

BANNER_TICK_MS = 30_000
WORKER_DOWN = (
    "Fon jarayoni (worker) ishlamayapti: muddati o‘tgan imtihonlar avtomatik topshirilmaydi "
    "va natijalari e’lon qilinmaydi, xabarlar yuborilmaydi.",
    "Фоновый процесс (worker) не работает: просроченные экзамены не сдаются автоматически "
    "и их результаты не публикуются, сообщения не отправляются.",
    "The worker is not running: overdue exams are not auto-submitted or released, "
    "messages are not sent.",
)
NEVER_RAN = (
    "U bu o‘rnatishda hali ishga tushmagan.",
    "На этой установке он ещё ни разу не запускался.",
    "It has not run on this installation.",
)
START_IT = (" Ishga tushiring: ", " Запустите его: ", " Start it: ")
WORKER_COMMAND = "python -m mockexam worker (systemctl start mockexam-worker)"  # i18n: not text


# The steps of `health.ago` (below how many seconds, the unit in seconds) and their words
# in Uzbek and Russian (after the number: 1 минуту, 3 минуты, 5 минут).
_UNITS = (
    (120, 1, "soniya", ("секунду", "секунды", "секунд")),
    (2 * 3600, 60, "daqiqa", ("минуту", "минуты", "минут")),
    (2 * 86400, 3600, "soat", ("час", "часа", "часов")),
    (float("inf"), 86400, "kun", ("день", "дня", "дней")),
)


def last_sweep_text(lang: str, seconds: float) -> str:
    """The banner's line on the last sweep in `lang` ("Its last sweep was 3 min ago.")."""
    if lang == "en":
        return f"Its last sweep was {health.ago(seconds)} ago."
    size, uz, ru = next((size, uz, ru) for below, size, uz, ru in _UNITS if seconds < below)
    n = int(f"{seconds / size:.0f}")
    if lang == "ru":
        return f"Последний раз он работал {n} {russian_form(n, *ru)} назад."
    return f"Oxirgi marta {n} {uz} oldin ishlagan."


class HealthBannerState(AdminState):
    """Whether the worker's heartbeat is stale, for the banner of every admin page."""

    worker_down: bool = False
    worker_age: str = ""

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def check(self, _now: str = ""):
        """On showing an admin page, and on the page's timer: re-read the heartbeat."""
        if await self._require_admin(Capability.VIEW) is None:
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
            self.worker_age = self._text(*NEVER_RAN)
        else:
            self.worker_age = last_sweep_text(self._lang(), status.age_seconds)


def health_banner() -> rx.Component:
    """The banner (shown while the worker is down) and its timer; mounted once signed in."""
    return rx.box(
        rx.cond(
            HealthBannerState.worker_down,
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert")),
                rx.callout.text(
                    rx.text.strong(t(*WORKER_DOWN)),
                    " ",
                    HealthBannerState.worker_age,
                    t(*START_IT),
                    rx.code(WORKER_COMMAND, variant="ghost"),
                    ".",
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
