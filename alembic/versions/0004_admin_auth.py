"""admin auth: sign-in attempts (throttling) and admin sessions

Adds `adminloginattempt` (one row per admin sign-in attempt, indexed by
username and by client address with the time, so the throttling rules of
services/admin_auth.py are two small index range reads) and `adminsession`
(the SHA-256 of each admin browser's session token, its expiry and
revocation). Both live in the database so several backend workers agree.

Adds `ix_session_student_submitted` (student_id, submitted_at) on
`examsession`: the admin analytics and student list read each student's
submitted sessions from the index alone (retention cohorts, exams taken).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "adminloginattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adminloginattempt")),
    )
    with op.batch_alter_table("adminloginattempt", schema=None) as batch_op:
        batch_op.create_index("ix_loginattempt_client_at", ["client", "attempted_at"])
        batch_op.create_index("ix_loginattempt_username_at", ["username", "attempted_at"])

    op.create_table(
        "adminsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_id"],
            ["admin.id"],
            name=op.f("fk_adminsession_admin_id_admin"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adminsession")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_adminsession_token_hash")),
    )
    with op.batch_alter_table("adminsession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adminsession_admin_id"), ["admin_id"])

    with op.batch_alter_table("examsession", schema=None) as batch_op:
        batch_op.create_index("ix_session_student_submitted", ["student_id", "submitted_at"])


def downgrade() -> None:
    with op.batch_alter_table("examsession", schema=None) as batch_op:
        batch_op.drop_index("ix_session_student_submitted")
    with op.batch_alter_table("adminsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adminsession_admin_id"))
    op.drop_table("adminsession")
    with op.batch_alter_table("adminloginattempt", schema=None) as batch_op:
        batch_op.drop_index("ix_loginattempt_username_at")
        batch_op.drop_index("ix_loginattempt_client_at")
    op.drop_table("adminloginattempt")
