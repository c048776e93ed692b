"""Huey tasks for Telegram: deliver pending broadcasts, and the sweep's part.

Creating a broadcast (services/broadcasts.py) only writes rows; after the
creating transaction has committed, call `start_delivery()`. If that is
forgotten, or the worker dies mid-broadcast, the periodic sweep notices the
unfinished broadcast with no live sender and starts one. The database lease
(not a Huey lock, which would stay held after a SIGKILL) makes sure only one
sender per bot token runs, so enqueueing too often is harmless.
"""

from __future__ import annotations

import logging

from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.services import broadcasts
from mockexam.worker import huey

logger = logging.getLogger(__name__)


@huey.task()
def deliver_broadcasts_task() -> str:
    """Send every pending broadcast as the one sender for this bot token."""
    report = broadcasts.deliver_pending()
    if report.state != "busy":
        logger.info("%s", report.describe())
    return report.state


def start_delivery() -> bool:
    """Enqueue the sender (call after the broadcast's transaction committed).

    Returns False, and enqueues nothing, when TELEGRAM_BOT_TOKEN is unset.
    """
    if not settings.telegram_enabled:
        logger.info("Telegram is not configured: the broadcast is stored but not sent")
        return False
    deliver_broadcasts_task()
    return True


def notify_exam(
    exam_id: int, *, kind: str = "new", admin_id: int | None = None
) -> broadcasts.CreatedBroadcast:
    """Create one exam notification (once per exam and kind) and start sending it.

    `kind`: "new" (DM + channel post), "open" (reminder) or "results". For
    the admin UI's Notify button: commits before enqueueing, so the worker
    always finds the rows.
    """
    create = {
        "new": broadcasts.notify_new_exam,
        "open": broadcasts.notify_exam_open,
        "results": broadcasts.notify_results_ready,
    }[kind]
    with session_scope() as db:
        created = create(db, exam_id, admin_id=admin_id)
    start_delivery()
    return created


def send_text(
    text: str, *, admin_id: int | None = None, channel_post: bool = False
) -> broadcasts.CreatedBroadcast:
    """An admin's message to every reachable student: create it, commit, start sending."""
    with session_scope() as db:
        created = broadcasts.send_custom_broadcast(
            db, text=text, admin_id=admin_id, channel_post=channel_post
        )
    start_delivery()
    return created


def telegram_sweep() -> dict[str, int]:
    """The sweep's part: due notifications (exam opened, results released) and stalled sends.

    Never raises: a Telegram problem must not stop the rest of the sweep.
    """
    outcome = {"notifications": 0, "restarted": 0}
    try:
        with session_scope() as db:
            outcome["notifications"] = len(broadcasts.create_due_notifications(db))
        if outcome["notifications"]:
            logger.info("Created %s notification broadcast(s)", outcome["notifications"])
        if settings.telegram_enabled:
            with session_scope(readonly=True) as db:
                stalled = broadcasts.has_pending_work(db) and not broadcasts.sender_is_active(db)
            if stalled:
                logger.info("Unfinished broadcasts and no live sender: starting one")
                deliver_broadcasts_task()
                outcome["restarted"] = 1
    except Exception:  # logged with the traceback; the next tick tries again
        logger.exception("The Telegram part of the sweep failed")
    return outcome
