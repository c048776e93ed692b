"""The Huey instance: SqliteHuey by default, Redis-backed when REDIS_URL is set.

Tasks import `huey` from here; the consumer is `python -m mockexam worker`.
Huey is at-most-once (a task killed mid-run is gone), so durability comes
from the database: the periodic sweep finds work that should have happened.
"""

from __future__ import annotations

import logging

from huey import Huey, RedisHuey, SqliteHuey

from mockexam.config import settings

logger = logging.getLogger(__name__)


def build_huey() -> Huey:
    """The queue for the configured deployment mode."""
    if settings.redis_url:
        return RedisHuey("mockexam", url=settings.redis_url, utc=True)
    settings.huey_sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("mockexam", filename=str(settings.huey_sqlite_path), utc=True)


huey = build_huey()


def run_consumer(*, workers: int | None = None, periodic: bool = True) -> None:
    """Run the consumer with thread workers; periodic tasks tick every sweep interval.

    Huey's scheduler enqueues periodic tasks once a minute; the sweep's
    tick is `SWEEP_INTERVAL_SECONDS` (default 15 s) so an abandoned session
    is auto-submitted soon after its deadline. Only one consumer per
    deployment should run periodic tasks (`--no-periodic` on the others);
    the tasks are idempotent anyway.
    """
    from huey import consumer as huey_consumer

    import mockexam.tasks  # noqa: F401  (registers the tasks)

    huey_consumer.Scheduler.periodic_task_seconds = settings.sweep_interval_seconds
    consumer = huey.create_consumer(
        workers=workers or settings.huey_workers,
        worker_type="thread",
        periodic=periodic,
        scheduler_interval=1,
        check_worker_health=True,
        flush_locks=periodic,
    )
    logger.info(
        "Huey consumer: %s, %s workers, periodic=%s every %ss",
        type(huey).__name__,
        workers or settings.huey_workers,
        periodic,
        settings.sweep_interval_seconds,
    )
    consumer.run()
