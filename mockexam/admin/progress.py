"""A broadcast's live progress as the admin pages show it: plain values and the panel.

The numbers always come from `services.broadcasts.broadcast_progress` (the
database), so a reload, a second tab or a restarted backend shows the same
thing. While a broadcast is unfinished the page mounts a 1-second ticker
(`rx.moment` with an interval) that calls the page state's `tick`, which
re-reads the progress; the ticker goes away with the page or when the
broadcast is done.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from mockexam.admin.components import header_row
from mockexam.admin.exam_form import local_text
from mockexam.models import BroadcastStatus
from mockexam.services.broadcasts import BroadcastProgress

TICK_MS = 1000

KIND_NAMES = {
    "new_exam": "New exam",
    "exam_open": "Exam is open",
    "results_ready": "Results ready",
    "custom": "Message",
}


class ProgressView(TypedDict):
    broadcast_id: int
    kind: str
    status: str
    total: int
    sent: int
    blocked: int
    failed: int
    unknown: int
    pending: int
    finished: int
    percent: float
    rate: str
    eta: str
    notice: str
    channel: str
    done: bool
    created: str
    text: str


def eta_text(seconds: float | None) -> str:
    """`about 2 min 5 s left`, or "" when unknown."""
    if seconds is None:
        return ""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"about {whole} s left"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"about {minutes} min {rest} s left"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min left"


def progress_view(progress: BroadcastProgress) -> ProgressView:
    """The plain values of one broadcast's progress (what the state keeps)."""
    channel = ""
    if progress.channel_status:
        channel = f"Channel post: {progress.channel_status}"
        if progress.channel_error:
            channel += f" ({progress.channel_error})"
    sending = progress.status == BroadcastStatus.SENDING
    return {
        "broadcast_id": progress.broadcast_id,
        "kind": KIND_NAMES.get(progress.kind, progress.kind),
        "status": progress.status,
        "total": progress.total,
        "sent": progress.sent,
        "blocked": progress.blocked,
        "failed": progress.failed,
        "unknown": progress.unknown,
        "pending": progress.pending + progress.sending,
        "finished": progress.finished,
        "percent": round(100.0 * progress.fraction, 1),
        "rate": f"{progress.rate_per_second:.1f} msg/s" if sending else "",
        "eta": eta_text(progress.eta_seconds) if not progress.is_done else "",
        "notice": progress.notice or "",
        "channel": channel,
        "done": progress.is_done,
        "created": local_text(progress.created_at),
        "text": progress.text[:300],
    }


def _count(label: str, value: rx.Var, colour: str, test_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color="var(--gray-11)"),
        rx.text(value, size="5", weight="bold", color=colour, id=test_id),
        spacing="0",
        align="start",
        min_width="5.5rem",
    )


def progress_panel(view: rx.Var[ProgressView], *, tick: rx.EventHandler) -> rx.Component:
    """Bar, counts, rate and time left, the notice; ticks every second until done."""
    return rx.vstack(
        rx.hstack(
            rx.text(
                view["kind"].to(str),
                " · broadcast #",
                view["broadcast_id"].to(str),
                weight="medium",
            ),
            rx.badge(
                view["status"].to(str),
                color_scheme=rx.cond(view["done"].to(bool), "green", "blue"),
                variant="soft",
                id="broadcast-status",
            ),
            rx.spacer(),
            rx.text(view["created"].to(str), size="1", color="var(--gray-10)"),
            align="center",
            width="100%",
        ),
        rx.progress(value=view["percent"].to(int), max=100, size="3", id="broadcast-progress"),
        rx.hstack(
            rx.text(
                view["finished"].to(str),
                " of ",
                view["total"].to(str),
                " done (",
                view["percent"].to(str),
                "%)",
                size="2",
                id="broadcast-fraction",
            ),
            rx.spacer(),
            rx.text(view["rate"].to(str), size="2", color="var(--gray-11)"),
            rx.text(view["eta"].to(str), size="2", color="var(--gray-11)", id="broadcast-eta"),
            spacing="3",
            width="100%",
        ),
        rx.hstack(
            _count("Sent", view["sent"], "var(--green-11)", "broadcast-sent"),
            _count("Blocked", view["blocked"], "var(--amber-11)", "broadcast-blocked"),
            _count("Failed", view["failed"], "var(--red-11)", "broadcast-failed"),
            _count("Unknown", view["unknown"], "var(--orange-11)", "broadcast-unknown"),
            _count("Pending", view["pending"], "var(--gray-11)", "broadcast-pending"),
            _count("Total", view["total"], "var(--gray-12)", "broadcast-total"),
            spacing="5",
            wrap="wrap",
        ),
        rx.cond(
            view["channel"].to(str) != "",
            rx.text(view["channel"].to(str), size="2", color="var(--gray-11)", id="channel-status"),
        ),
        rx.cond(
            view["notice"].to(str) != "",
            rx.callout(
                view["notice"].to(str),
                icon="info",
                color_scheme="amber",
                size="1",
                id="broadcast-notice",
                width="100%",
            ),
        ),
        rx.cond(
            ~view["done"].to(bool),
            rx.moment(interval=TICK_MS, on_change=tick, display="none"),
        ),
        spacing="3",
        width="100%",
    )


def history_table(rows: rx.Var[list[ProgressView]]) -> rx.Component:
    """Earlier broadcasts: kind, when, status, sent / blocked / failed / unknown of total."""
    return rx.table.root(
        header_row(
            "#", "Kind", "Created", "Status", "Sent", "Blocked", "Failed", "Unknown", "Total"
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda r: rx.table.row(
                    rx.table.cell(r["broadcast_id"]),
                    rx.table.cell(r["kind"]),
                    rx.table.cell(r["created"]),
                    rx.table.cell(r["status"]),
                    rx.table.cell(r["sent"]),
                    rx.table.cell(r["blocked"]),
                    rx.table.cell(r["failed"]),
                    rx.table.cell(r["unknown"]),
                    rx.table.cell(r["total"]),
                ),
            )
        ),
        size="1",
        variant="surface",
        width="100%",
    )


EMPTY_PROGRESS: ProgressView = {
    "broadcast_id": 0,
    "kind": "",
    "status": "",
    "total": 0,
    "sent": 0,
    "blocked": 0,
    "failed": 0,
    "unknown": 0,
    "pending": 0,
    "finished": 0,
    "percent": 0.0,
    "rate": "",
    "eta": "",
    "notice": "",
    "channel": "",
    "done": True,
    "created": "",
    "text": "",
}
