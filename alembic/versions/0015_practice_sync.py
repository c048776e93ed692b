"""practice-sheet sync: the newest stored batch seq per device of a practice session

Issue 25: practice saves and submits over HTTP like the exam's, so they need the
exam's "a batch a newer one of its device covers stores nothing" rule in the
database (`sheetsync`'s twin), not in the page's state.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 11:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practicesync",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("device", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["practicesession.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "device"),
    )


def downgrade() -> None:
    op.drop_table("practicesync")
