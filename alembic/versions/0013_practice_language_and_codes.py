"""practice questions' language and bank code; a practice session's place

Issue 24: a practice question carries the language of its text (uz, ru, en; every
existing question is Uzbek), so students get questions in their own language first;
a practice session keeps the position of the question the student is on, so the sheet
opens there again after a backend restart. Issue 23: a practice question may carry an
item bank code (`ALG-017`), as exam items do.

Downgrade drops all three columns.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 07:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("practicequestion", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", _string(8), nullable=False, server_default="uz")
        )
        batch_op.add_column(sa.Column("bank_code", _string(32), nullable=True))
        batch_op.create_index(batch_op.f("ix_practicequestion_bank_code"), ["bank_code"])
    with op.batch_alter_table("practicequestion", schema=None) as batch_op:
        batch_op.alter_column("language", server_default=None)

    with op.batch_alter_table("practicesession", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("current_position", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("practicesession", schema=None) as batch_op:
        batch_op.alter_column("current_position", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("practicesession", schema=None) as batch_op:
        batch_op.drop_column("current_position")
    with op.batch_alter_table("practicequestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practicequestion_bank_code"))
        batch_op.drop_column("bank_code")
        batch_op.drop_column("language")
