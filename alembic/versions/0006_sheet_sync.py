"""answer-sheet sync: the newest stored batch seq per device of an exam session

`sheetsync` (session, device) → seq: answer saves arrive as plain HTTP
requests, which may overtake each other; a batch at or below its device's
stored seq is covered by a newer one and stores nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "sheetsync",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("device", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["examsession.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "device"),
    )


def downgrade() -> None:
    op.drop_table("sheetsync")
