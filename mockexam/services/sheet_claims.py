"""The answer sheet's "newest batch wins" rule, kept in the database for exams and practice.

The sheet (assets/sheet_sync.jsx) numbers its batches with a seq that only rises on
one device (a random id kept in the browser's localStorage with the seqs), and every
batch carries every change still pending. Over HTTP the requests of one tab may
arrive out of order, so a batch at or below the device's stored seq is covered by a
newer one: storing it would put older answers over newer ones. The exam's sessions
keep the seqs in `sheetsync`, practice's in `practicesync`; both tables have the same
columns (session_id, device, seq, updated_at), and the caller holds the session's row
lock, so two batches of one session never race here.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection


def claim_batch(
    conn: Connection, table: Table, *, session_id: int, device: str, seq: int, now: datetime
) -> int | None:
    """Record `seq` as the device's newest stored batch; None when it is, else the newer seq
    that covers it (then nothing of the batch may be stored).

    One upsert that only moves the seq forward.
    """
    params = {"session_id": session_id, "device": device, "seq": seq, "updated_at": now}
    if conn.execute(_claim_statement(table, conn.dialect.name), params).first() is not None:
        return None
    return stored_seq(conn, table, session_id=session_id, device=device)


def device_seq(conn: Connection, table: Table, *, session_id: int, device: str) -> int | None:
    """The seq of the device's newest stored batch, None when it stored none."""
    return conn.execute(
        select(table.c.seq).where(table.c.session_id == session_id, table.c.device == device)
    ).scalar()


def stored_seq(conn: Connection, table: Table, *, session_id: int, device: str) -> int:
    """The seq of the device's newest stored batch (the one that covers a later-stored one);
    the device has stored one (its claim just lost to it)."""
    seq = device_seq(conn, table, session_id=session_id, device=device)
    if seq is None:
        raise LookupError(f"session {session_id}: device {device!r} stored no batch")
    return seq


def submit_retried(
    conn: Connection, table: Table, *, session_id: int, device: str | None, seq: int
) -> bool:
    """Whether the submit of an already-submitted session is its device's own retry whose
    answer was lost: the first try stored these changes (or newer ones) before
    submitting, so they are not lost and the retry is acknowledged."""
    if device is None or seq <= 0:
        return False
    stored = device_seq(conn, table, session_id=session_id, device=device)
    return stored is not None and stored >= seq


@functools.cache
def _claim_statement(table: Table, dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … WHERE stored seq < new seq RETURNING seq."""
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    return insert.on_conflict_do_update(
        index_elements=["session_id", "device"],
        set_={"seq": insert.excluded.seq, "updated_at": insert.excluded.updated_at},
        where=table.c.seq < insert.excluded.seq,
    ).returning(table.c.seq)
