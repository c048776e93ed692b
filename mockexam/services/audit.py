"""The audit log: every change an admin makes, with who, when and what.

Details are for machines as well as people: a moment in them is ISO UTC with a
`Z` ("2026-11-22T09:00:00Z"); the admin page shows it in local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from mockexam.localtime import utc_iso
from mockexam.models import Admin, AuditLog

MAX_PAGE = 500


def record(
    session: Session,
    *,
    admin_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row in the caller's transaction (so it commits with the change)."""
    row = AuditLog(
        admin_id=admin_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=_plain(details or {}),
    )
    session.add(row)
    return row


def _plain(value: Any) -> Any:
    """`value` with every datetime in it as ISO UTC with Z (the JSON column stores text)."""
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log as the admin page shows it."""

    entry_id: int
    created_at: datetime
    admin: str  # the admin's username; "—" for anonymous rows (failed sign-ins)
    action: str
    entity: str
    entity_id: int | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of the audit log and how many entries match the filter in all."""

    entries: list[AuditEntry]
    total: int


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def list_entries(
    session: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    action_prefix: str | None = None,
    exam_id: int | None = None,
    admin_id: int | None = None,
) -> AuditPage:
    """The audit log newest first, one page, filtered by action prefix, exam and admin.

    `action_prefix="exam."` matches every exam action (LIKE with `%` and `_`
    escaped, so the prefix is taken literally); `exam_id` keeps the rows
    about that exam (entity "exam"). Two statements: the page (joined to the
    admin's name) and the count of matching rows.
    """
    conditions: list[Any] = []
    if action_prefix:
        conditions.append(col(AuditLog.action).like(_like_prefix(action_prefix), escape="\\"))
    if exam_id is not None:
        conditions += [AuditLog.entity == "exam", AuditLog.entity_id == exam_id]
    if admin_id is not None:
        conditions.append(AuditLog.admin_id == admin_id)
    rows = session.exec(
        select(AuditLog, Admin.username)
        .join(Admin, col(Admin.id) == AuditLog.admin_id, isouter=True)
        .where(*conditions)
        .order_by(col(AuditLog.id).desc())
        .limit(max(1, min(limit, MAX_PAGE)))
        .offset(max(0, offset))
    ).all()
    total = session.exec(select(func.count()).select_from(AuditLog).where(*conditions)).one()
    entries = [
        AuditEntry(
            entry_id=row.id or 0,
            created_at=row.created_at,
            admin=username or ("—" if row.admin_id is None else f"#{row.admin_id}"),
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            details=dict(row.details or {}),
        )
        for row, username in rows
    ]
    return AuditPage(entries=entries, total=int(total))
