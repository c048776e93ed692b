"""item bank codes and linking; copying pairs found at release

Issue 23: an exam item may carry a bank code (the same code on two exams is the same
question); `bankitem` keeps each code's difficulty on the linked scale; a released
exam records how it was linked (`exam.link_*`). `copyingpair` keeps the pairs of
sessions whose agreement is improbable for independent work.

Downgrade drops all of it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _time() -> sqlmodel.sql.sqltypes.UTCDateTime:
    return sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    with op.batch_alter_table("examitem", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bank_code", _string(32), nullable=True))
        batch_op.create_index(batch_op.f("ix_examitem_bank_code"), ["bank_code"])
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_status", _string(16), nullable=True))
        batch_op.add_column(sa.Column("link_shift", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("link_shift_se", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("link_report", sa.JSON(), nullable=False, server_default="{}")
        )
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.alter_column("link_report", server_default=None)

    op.create_table(
        "bankitem",
        sa.Column("code", _string(32), nullable=False),
        sa.Column("beta", sa.Float(), nullable=False),
        sa.Column("beta_se", sa.Float(), nullable=True),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("set_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exam.id"], name=op.f("fk_bankitem_exam_id_exam")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["examitem.id"], name=op.f("fk_bankitem_item_id_examitem")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_bankitem")),
    )
    with op.batch_alter_table("bankitem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bankitem_exam_id"), ["exam_id"])

    op.create_table(
        "copyingpair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("session_a", sa.Integer(), nullable=False),
        sa.Column("session_b", sa.Integer(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("identical_wrong", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("found_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"],
            ["exam.id"],
            name=op.f("fk_copyingpair_exam_id_exam"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_a"],
            ["examsession.id"],
            name=op.f("fk_copyingpair_session_a_examsession"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_b"],
            ["examsession.id"],
            name=op.f("fk_copyingpair_session_b_examsession"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_copyingpair")),
        sa.UniqueConstraint("exam_id", "session_a", "session_b", name="uq_copying_pair"),
    )
    with op.batch_alter_table("copyingpair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_copyingpair_exam_id"), ["exam_id"])


def downgrade() -> None:
    for table, index in (
        ("copyingpair", "ix_copyingpair_exam_id"),
        ("bankitem", "ix_bankitem_exam_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.drop_column("link_report")
        batch_op.drop_column("link_shift_se")
        batch_op.drop_column("link_shift")
        batch_op.drop_column("link_status")
    with op.batch_alter_table("examitem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_examitem_bank_code"))
        batch_op.drop_column("bank_code")
