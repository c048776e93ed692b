"""The audit log: every change an admin makes, with who, when and what."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from mockexam.models import AuditLog


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
        details=details or {},
    )
    session.add(row)
    return row
