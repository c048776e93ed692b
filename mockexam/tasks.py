"""Thin Huey tasks: open a database session, call a service, log the outcome.

Every task is idempotent, so a re-run (a retry, a duplicate enqueue, the
sweep finding the same work) changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from huey import crontab
from huey.exceptions import TaskLockedException

from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.services import (
    admin_auth,
    bulk,
    certificates,
    grading,
    heartbeat,
    leaderboard,
    practice,
    release,
    sessions,
)
from mockexam.worker import huey

logger = logging.getLogger(__name__)


@huey.task(retries=3, retry_delay=5)
def grade_pending_task() -> int:
    """Raw scores of every submitted, ungraded session (batched; a re-run finds none)."""
    return grade_all_pending()


@huey.task(retries=2, retry_delay=30)
def release_exam_task(exam_id: int) -> bool:
    """Calibrate and release one closed exam (no-op if already released)."""
    return release.release_exam(exam_id) is not None


@huey.task(retries=2, retry_delay=30)
def issue_certificates_task(exam_id: int) -> int:
    """Issue (or re-issue) one released exam's certificates; one run per exam at a time."""
    try:
        with huey.lock_task(f"certificates-{exam_id}"):
            summary = certificates.issue_for_exam(exam_id)
    except TaskLockedException:
        logger.debug("Certificates of exam %s are being issued already", exam_id)
        return 0
    if summary is None:
        return 0
    logger.info("%s", summary.describe())
    return summary.issued + summary.reissued


# Created at import so the periodic consumer's `flush_locks` knows it and clears
# a lock left held by a SIGKILLed consumer.
_SWEEP_LOCK = huey.lock_task("sweep")


@huey.periodic_task(crontab())  # every scheduler tick (SWEEP_INTERVAL_SECONDS)
def sweep() -> None:
    """Do whatever should have happened: auto-submit, grade, release closed exams, practice.

    One sweep at a time: a tick that finds the previous sweep still running
    skips (the lock is flushed when the periodic consumer starts, so a
    SIGKILLed sweep cannot leave it held).
    """
    with session_scope() as db:
        # The consumer is alive: /health, `doctor` and the admin banner read this.
        heartbeat.beat(db, heartbeat.SWEEP)
    try:
        with _SWEEP_LOCK:
            run_sweep()
    except TaskLockedException:
        logger.debug("Previous sweep still running; skipping this tick")


def run_sweep() -> dict[str, int]:
    """One sweep, callable without a queue (CLI `auto-submit`, tests)."""
    with session_scope() as db:
        submitted = sessions.auto_submit_overdue(db)
    if submitted:
        logger.info("Auto-submitted %s session(s) past their deadline", submitted)
    # Not an exam in its closing rush (GRADING_HOLD_SECONDS): the next sweeps grade it.
    graded = grade_all_pending(hold_seconds=settings.grading_hold_seconds)
    if graded:
        logger.info("Graded %s submitted session(s)", graded)
    released = 0
    for exam_id in release.exams_due_for_release():
        released += release.release_exam(exam_id) is not None
    for exam_id in certificates.exams_due():
        issue_certificates_task(exam_id)
    practice_submitted = practice.auto_submit_overdue_practice()
    if practice_submitted:
        logger.info("Auto-submitted %s practice session(s) past their deadline", practice_submitted)
    # An exam leaving the 30-day window changes "most improved": refresh here, not on a read.
    leaderboard.refresh_recent_gains_if_stale()
    mockexam.tasks_telegram.telegram_sweep()  # notifications due; restart stalled broadcasts
    return {
        "auto_submitted": submitted,
        "graded": graded,
        "released": released,
        "practice_submitted": practice_submitted,
    }


@huey.periodic_task(crontab(minute="7", hour="3"))
def prune_admin_auth() -> None:
    """Daily: forget admin sign-in attempts and ended admin sessions older than 30 days,
    and the bulk downloads older than a day.

    The scheduler ticks every SWEEP_INTERVAL_SECONDS, so this may run a few
    times in its minute; deleting what is already gone changes nothing.
    """
    removed = admin_auth.prune_auth_records()
    if removed:
        logger.info("Pruned %s old admin sign-in record(s)", removed)
    gone = bulk.prune()
    if gone:
        logger.info("Deleted %s bulk download(s) older than a day", gone)


@huey.task(retries=0)
def run_bulk_job_task(job_id: int) -> str:
    """Make one ZIP an admin asked for (services/bulk.py); the job row keeps its progress."""
    status = bulk.run_job(job_id)
    return status.status if status is not None else "missing"


def _utc_crontab_for_local(hour: int, minute: int) -> Any:
    """A daily crontab at hour:minute of LOCAL_TIMEZONE, in the UTC the consumer schedules in
    (today's offset: exact for zones without daylight saving, such as Asia/Tashkent)."""
    from mockexam.localtime import local_zone

    zone = local_zone()
    local = datetime.now(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
    at = local.astimezone(UTC)
    return crontab(minute=str(at.minute), hour=str(at.hour))


# 03:30 local time (22:30 UTC in Tashkent): the quietest hour for students in
# Uzbekistan, long after evening study and before the school day.
@huey.periodic_task(_utc_crontab_for_local(3, 30))
def nightly_backup() -> None:
    """Nightly, when BACKUP_DIR is set: back up the database and uploads, rotate old backups.

    The scheduler ticks every SWEEP_INTERVAL_SECONDS, so this fires several times
    in its minute: a backup within the last hour (or one running) makes it skip.
    A failure is logged as an error and does not beat `backup`.
    """
    from mockexam.services import backup

    backup.scheduled_backup()


def grade_all_pending(*, hold_seconds: int = 0) -> int:
    """Grade ungraded submitted sessions exam by exam, one committed batch at a time
    (`hold_seconds`: not the exams in their closing rush, grading.exams_with_ungraded_sessions)."""
    with session_scope(readonly=True) as db:
        exam_ids = grading.exams_with_ungraded_sessions(db, hold_seconds=hold_seconds)
    graded = 0
    for exam_id in exam_ids:
        while True:
            with session_scope() as db:
                done = grading.grade_pending(db, exam_id)
            graded += done
            if done == 0:
                break
    return graded


import mockexam.tasks_telegram  # noqa: E402  (registers the Telegram tasks)
