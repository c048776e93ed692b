"""groups, teachers and roles; the exam's audience; the centre's name for a student

Issue 22: admin accounts get a role (owner, admin, teacher). Every account that
exists is made an owner: before roles, every admin managed the admin accounts,
and none of them should lose what they could do. New accounts are admins unless
said otherwise.

Groups (`studentgroup`: a class of a centre) have teachers, members and an
invite code; a roster imported for a group waits in `rosterentry` until the
students join. An exam is for everyone or for chosen groups (`exam.audience`,
`examaudience`). Students get the centre's name for them and a phone.

Downgrade drops all of it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _time() -> sqlmodel.sql.sqltypes.UTCDateTime:
    return sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    with op.batch_alter_table("admin", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", _string(16), nullable=False, server_default="owner"))
    with op.batch_alter_table("admin", schema=None) as batch_op:
        batch_op.alter_column("role", server_default=None)
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_name", _string(128), nullable=True))
        batch_op.add_column(sa.Column("phone", _string(20), nullable=True))
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", _string(16), nullable=False, server_default="everyone")
        )
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.alter_column("audience", server_default=None)

    op.create_table(
        "studentgroup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _string(80), nullable=False),
        sa.Column("invite_code", _string(16), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("archived_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["admin.id"],
            name=op.f("fk_studentgroup_created_by_admin"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studentgroup")),
        sa.UniqueConstraint("invite_code", name=op.f("uq_studentgroup_invite_code")),
    )
    with op.batch_alter_table("studentgroup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_studentgroup_name"), ["name"])

    op.create_table(
        "groupteacher",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"],
            ["admin.id"],
            name=op.f("fk_groupteacher_admin_id_admin"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["studentgroup.id"],
            name=op.f("fk_groupteacher_group_id_studentgroup"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "admin_id", name=op.f("pk_groupteacher")),
    )
    with op.batch_alter_table("groupteacher", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_groupteacher_admin_id"), ["admin_id"])

    op.create_table(
        "groupmember",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", _time(), nullable=False),
        sa.Column("source", _string(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["studentgroup.id"],
            name=op.f("fk_groupmember_group_id_studentgroup"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_groupmember_student_id_student"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "student_id", name=op.f("pk_groupmember")),
    )
    with op.batch_alter_table("groupmember", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_groupmember_student_id"), ["student_id"])

    op.create_table(
        "rosterentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("full_name", _string(128), nullable=False),
        sa.Column("phone", _string(20), nullable=True),
        sa.Column("username", _string(64), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("status", _string(16), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["studentgroup.id"],
            name=op.f("fk_rosterentry_group_id_studentgroup"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_rosterentry_student_id_student"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rosterentry")),
    )
    with op.batch_alter_table("rosterentry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rosterentry_group_id"), ["group_id"])
        batch_op.create_index(batch_op.f("ix_rosterentry_student_id"), ["student_id"])

    op.create_table(
        "examaudience",
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exam.id"], name=op.f("fk_examaudience_exam_id_exam"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["studentgroup.id"],
            name=op.f("fk_examaudience_group_id_studentgroup"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("exam_id", "group_id", name=op.f("pk_examaudience")),
    )
    with op.batch_alter_table("examaudience", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_examaudience_group_id"), ["group_id"])


def downgrade() -> None:
    for table, indexes in (
        ("examaudience", ["ix_examaudience_group_id"]),
        ("rosterentry", ["ix_rosterentry_student_id", "ix_rosterentry_group_id"]),
        ("groupmember", ["ix_groupmember_student_id"]),
        ("groupteacher", ["ix_groupteacher_admin_id"]),
        ("studentgroup", ["ix_studentgroup_name"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.drop_column("audience")
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_column("phone")
        batch_op.drop_column("full_name")
    with op.batch_alter_table("admin", schema=None) as batch_op:
        batch_op.drop_column("role")
