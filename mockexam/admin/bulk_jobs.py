"""The "make a ZIP" buttons and their progress: an exam's certificates, a group's reports.

`BulkJobState.start(kind, exam_id, group)` asks services/bulk.py for a job (it checks
who may ask for what: a teacher only for their own groups), then queues the Huey task
that makes the file. While the job runs, the page mounts a one-second ticker (as the
broadcast progress does) that re-reads `done` of `total` from the database; when it is
done, the button becomes a download link (the route checks the admin cookie and that
the job is the caller's). One job at a time per tab: a second request replaces the one
shown (the first still finishes).
"""

from __future__ import annotations

import logging

import reflex as rx

from mockexam import tasks
from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.i18n import t
from mockexam.parsing import parse_id
from mockexam.services import bulk
from mockexam.services.access import Capability
from mockexam.services.transactions import in_session
from mockexam.ui.backend import BACKEND_ORIGIN

logger = logging.getLogger(__name__)

TICK_MS = 1000
JOBS_ROOT = f"{ADMIN_ROOT}/api/jobs/"  # as in mockexam/api.py


class BulkJobState(AdminState):
    """The tab's current ZIP job and its progress."""

    job_id: int = 0
    kind: str = ""
    status: str = ""  # queued, running, done, failed ("" none)
    done: int = 0
    total: int = 0
    file_name: str = ""
    error: str = ""

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def start(self, kind: str, exam: str = "", group: str = ""):
        """Ask for a ZIP: `kind` certificates (of `exam`, one group's when `group`) or
        reports (of `group`); ids as the page has them, as text."""
        me = await self._require_admin(Capability.VIEW)
        if me is None:
            return None
        self.error = ""
        if kind not in (bulk.CERTIFICATES, bulk.REPORTS):
            return None
        wanted_exam = parse_id(exam) if isinstance(exam, str) and exam else None
        group_text = group if isinstance(group, str) else ""
        group_id = parse_id(group_text) if group_text not in ("", "all") else None
        if group_text not in ("", "all") and group_id is None:
            self.error = self._text("Guruh topilmadi.", "Группа не найдена.", "No such group.")
            return None
        role = self._admin_role
        job = await self._service(
            in_session(
                lambda db: (
                    bulk.start_job(
                        db,
                        admin_id=me,
                        role=role,
                        kind=kind,
                        exam_id=wanted_exam,
                        group_id=group_id,
                    ).id
                )
            )
        )
        if job is FAILED:
            return None
        try:
            tasks.run_bulk_job_task(job)
        except Exception:  # the queue is down: the job stays queued, the page says so
            logger.exception("bulk job %s could not be queued", job)
        self.job_id, self.kind, self.status = job, kind, bulk.QUEUED
        self.done = self.total = 0
        self.file_name = ""
        return BulkJobState.tick

    @rx.event
    async def tick(self):
        """Re-read the job's progress (the ticker, while it runs)."""
        if not self.job_id or self.status in (bulk.DONE, bulk.FAILED):
            return None
        me = await self._require_admin(Capability.VIEW)
        if me is None:
            return None
        job_id = self.job_id
        status = await self._service(
            in_session(lambda db: bulk.job_status(db, job_id=job_id, admin_id=me), readonly=True)
        )
        if status is FAILED:
            self.job_id, self.status = 0, ""
            return None
        self.status, self.done, self.total = status.status, status.done, status.total
        self.file_name = status.file_name
        if status.status == bulk.FAILED:
            self.error = self._text(
                "Faylni tayyorlab bo‘lmadi: ",
                "Файл не удалось подготовить: ",
                "The file could not be made: ",
            ) + (status.error or "")
        return None


def _running() -> rx.Var[bool]:
    return (BulkJobState.status == bulk.QUEUED) | (BulkJobState.status == bulk.RUNNING)


def bulk_button(
    label: rx.Var[str] | str,
    kind: str,
    *,
    exam: rx.Var[str] | str,
    group: rx.Var[str] | str,
    button_id: str,
) -> rx.Component:
    """A button that starts a ZIP of `kind` for `exam` / `group` (ids as text)."""
    return rx.button(
        rx.icon("file_archive", size=14),
        label,
        size="1",
        variant="soft",
        on_click=BulkJobState.start(kind, exam, group),
        loading=_running(),
        id=button_id,
    )


def bulk_progress() -> rx.Component:
    """The current job: its progress while it runs, then the download; or why it failed."""
    return rx.fragment(
        rx.cond(
            _running(),
            rx.hstack(
                rx.progress(
                    value=rx.cond(
                        BulkJobState.total > 0,
                        (BulkJobState.done * 100 / BulkJobState.total).to(int),
                        0,
                    ),
                    width="10rem",
                ),
                rx.text(
                    rx.cond(
                        BulkJobState.total > 0,
                        BulkJobState.done.to_string() + " / " + BulkJobState.total.to_string(),
                        t("tayyorlanmoqda…", "готовится…", "preparing…"),
                    ),
                    size="1",
                    color="var(--gray-11)",
                ),
                rx.moment(interval=TICK_MS, on_change=BulkJobState.tick, display="none"),
                align="center",
                spacing="2",
                id="bulk-progress",
            ),
        ),
        rx.cond(
            BulkJobState.status == bulk.DONE,
            rx.el.a(
                rx.button(
                    rx.icon("download", size=14),
                    BulkJobState.file_name,
                    size="1",
                    color_scheme="grass",
                ),
                href=BACKEND_ORIGIN + JOBS_ROOT + BulkJobState.job_id.to_string() + "/download",
                download=True,
                reload_document=True,
                id="bulk-download",
            ),
        ),
        rx.cond(
            BulkJobState.error != "",
            rx.text(BulkJobState.error, color="var(--red-11)", size="1", id="bulk-error"),
        ),
    )
