"""result certificates, the exam's results and certificates versions, bulk jobs

Issue 24: `certificate` keeps one row per issued certificate (a recalibration that
changes a result supersedes the row with a new code). `exam.results_version` counts
releases (a recalibration or an excluded item is another); the certificate task brings
`exam.certified_version` up to it. Exams released before this migration count one
release, so their certificates are issued by the next sweep. `bulkjob` keeps the ZIPs
an admin asked for (an exam's certificates, a group's progress reports) and their
progress.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _time() -> sqlmodel.sql.sqltypes.UTCDateTime:
    return sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("results_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("certified_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute("UPDATE exam SET results_version = 1 WHERE status = 'released'")
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.alter_column("results_version", server_default=None)
        batch_op.alter_column("certified_version", server_default=None)

    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", _string(16), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("lang", _string(8), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("issued_at", _time(), nullable=False),
        sa.Column("superseded_at", _time(), nullable=True),
        sa.Column("superseded_by", _string(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["examsession.id"],
            name=op.f("fk_certificate_session_id_examsession"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exam.id"], name=op.f("fk_certificate_exam_id_exam"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_certificate_student_id_student"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("code", name=op.f("uq_certificate_code")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_session_id"), ["session_id"])
        batch_op.create_index(batch_op.f("ix_certificate_exam_id"), ["exam_id"])
        batch_op.create_index(batch_op.f("ix_certificate_student_id"), ["student_id"])
        batch_op.create_index(
            "uq_certificate_current_session",
            ["session_id"],
            unique=True,
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        )

    op.create_table(
        "bulkjob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _string(16), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("status", _string(16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("file", _string(200), nullable=True),
        sa.Column("error", _string(500), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("finished_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exam.id"], name=op.f("fk_bulkjob_exam_id_exam"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["studentgroup.id"],
            name=op.f("fk_bulkjob_group_id_studentgroup"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admin.id"], name=op.f("fk_bulkjob_admin_id_admin"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulkjob")),
    )
    with op.batch_alter_table("bulkjob", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulkjob_admin_id"), ["admin_id"])


def downgrade() -> None:
    with op.batch_alter_table("bulkjob", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulkjob_admin_id"))
    op.drop_table("bulkjob")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("uq_certificate_current_session")
        batch_op.drop_index(batch_op.f("ix_certificate_student_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_exam_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_session_id"))
    op.drop_table("certificate")
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.drop_column("certified_version")
        batch_op.drop_column("results_version")
