"""Thin Huey tasks: open a database session, call a service, log the outcome.

Every task is idempotent, so a re-run (a retry, a duplicate enqueue, the
sweep finding the same work) changes nothing.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.exceptions import TaskLockedException

from mockexam.db import session_scope
from mockexam.services import release, sessions
from mockexam.worker import huey

logger = logging.getLogger(__name__)


@huey.task(retries=3, retry_delay=5)
def grade_session_task(session_id: int) -> bool:
    """Raw score of one submitted session."""
    with session_scope() as db:
        return sessions.grade_session(db, session_id)


@huey.task(retries=2, retry_delay=30)
def release_exam_task(exam_id: int) -> bool:
    """Calibrate and release one closed exam (no-op if already released)."""
    return release.release_exam(exam_id) is not None


@huey.periodic_task(crontab())  # every scheduler tick (SWEEP_INTERVAL_SECONDS)
def sweep() -> None:
    """Do whatever should have happened: auto-submit, grade, release closed exams.

    One sweep at a time: a tick that finds the previous sweep still running
    skips (the lock is flushed when the periodic consumer starts, so a
    SIGKILLed sweep cannot leave it held).
    """
    try:
        with huey.lock_task("sweep"):
            run_sweep()
    except TaskLockedException:
        logger.debug("Previous sweep still running; skipping this tick")


def run_sweep() -> dict[str, int]:
    """One sweep, callable without a queue (CLI `auto-submit`, tests)."""
    with session_scope() as db:
        submitted = sessions.auto_submit_overdue(db)
    if submitted:
        logger.info("Auto-submitted %s session(s) past their deadline", submitted)
    with session_scope(readonly=True) as db:
        pending = sessions.ungraded_session_ids(db)
    graded = 0
    for session_id in pending:
        with session_scope() as db:
            graded += sessions.grade_session(db, session_id)
    if graded:
        logger.info("Graded %s submitted session(s)", graded)
    released = 0
    for exam_id in release.exams_due_for_release():
        released += release.release_exam(exam_id) is not None
    return {"auto_submitted": submitted, "graded": graded, "released": released}
