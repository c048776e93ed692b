"""practice mode: topic names per language, question fingerprints, session questions as rows

- `practicetopic.names`: the students' name of a topic per language; the six
  topics of the demo bank are seeded here as data (admins may edit them).
- `practicequestion.fingerprint` (unique) and `updated_at`: an import or an
  edit never adds the same question twice.
- `practicesession`: `question_ids` goes (the questions are the session's
  `practiceanswer` rows, drawn at start, with their `position`), plus
  `is_adaptive` / `target_difficulty`, an index for the sweep, and a partial
  unique index: at most one unsubmitted session per student.
- `practiceanswer.position`, and an index on `question_id` (which questions a
  student has seen).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (code, admin name, {language: students' name}, sort order): as in
# mockexam/services/practice_bank.py DEFAULT_TOPICS (a test checks they agree).
TOPICS = [
    ("algebra", "Algebra", {"uz": "Algebra", "ru": "Алгебра", "en": "Algebra"}, 1),
    ("geometry", "Geometry", {"uz": "Geometriya", "ru": "Геометрия", "en": "Geometry"}, 2),
    (
        "probability",
        "Probability & statistics",
        {
            "uz": "Ehtimollik va statistika",
            "ru": "Вероятность и статистика",
            "en": "Probability & statistics",
        },
        3,
    ),
    (
        "calculus",
        "Calculus",
        {"uz": "Matematik analiz", "ru": "Начала анализа", "en": "Calculus"},
        4,
    ),
    (
        "trigonometry",
        "Trigonometry",
        {"uz": "Trigonometriya", "ru": "Тригонометрия", "en": "Trigonometry"},
        5,
    ),
    (
        "number_theory",
        "Number theory",
        {"uz": "Sonlar nazariyasi", "ru": "Теория чисел", "en": "Number theory"},
        6,
    ),
]


def upgrade() -> None:
    with op.batch_alter_table("practicetopic", schema=None) as batch_op:
        batch_op.add_column(sa.Column("names", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("practicetopic", schema=None) as batch_op:
        batch_op.alter_column("names", server_default=None)

    with op.batch_alter_table("practicequestion", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "fingerprint",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=False,
                server_default=sa.func.now(),
            )
        )
    # Any question from before this revision gets its id as a placeholder fingerprint.
    op.execute("UPDATE practicequestion SET fingerprint = 'legacy-' || id WHERE fingerprint = ''")
    with op.batch_alter_table("practicequestion", schema=None) as batch_op:
        batch_op.alter_column("fingerprint", server_default=None)
        batch_op.alter_column("updated_at", server_default=None)
        batch_op.create_unique_constraint(
            batch_op.f("uq_practicequestion_fingerprint"), ["fingerprint"]
        )

    with op.batch_alter_table("practicesession", schema=None) as batch_op:
        batch_op.drop_column("question_ids")
        batch_op.add_column(
            sa.Column("is_adaptive", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("target_difficulty", sa.Integer(), nullable=True))
    with op.batch_alter_table("practicesession", schema=None) as batch_op:
        batch_op.alter_column("is_adaptive", server_default=None)
        batch_op.create_index(
            "ix_practice_open_deadline", ["submitted_at", "deadline"], unique=False
        )
        batch_op.create_index(
            "uq_practice_one_open",
            ["student_id"],
            unique=True,
            sqlite_where=sa.text("submitted_at IS NULL"),
            postgresql_where=sa.text("submitted_at IS NULL"),
        )

    with op.batch_alter_table("practiceanswer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("position", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("practiceanswer", schema=None) as batch_op:
        batch_op.alter_column("position", server_default=None)
        batch_op.create_index(
            batch_op.f("ix_practiceanswer_question_id"), ["question_id"], unique=False
        )

    topics = sa.table(
        "practicetopic",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("names", sa.JSON),
        sa.column("sort_order", sa.Integer),
    )
    existing = {row[0] for row in op.get_bind().execute(sa.text("SELECT code FROM practicetopic"))}
    rows = [
        {"code": code, "name": name, "names": names, "sort_order": order}
        for code, name, names, order in TOPICS
        if code not in existing
    ]
    if rows:
        op.bulk_insert(topics, rows)


def downgrade() -> None:
    op.execute(
        "DELETE FROM practicetopic WHERE code IN ("
        + ", ".join(f"'{code}'" for code, *_ in TOPICS)
        + ") AND id NOT IN (SELECT topic_id FROM practicequestion)"
    )
    with op.batch_alter_table("practiceanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practiceanswer_question_id"))
        batch_op.drop_column("position")
    with op.batch_alter_table("practicesession", schema=None) as batch_op:
        batch_op.drop_index("uq_practice_one_open")
        batch_op.drop_index("ix_practice_open_deadline")
        batch_op.drop_column("target_difficulty")
        batch_op.drop_column("is_adaptive")
        batch_op.add_column(
            sa.Column("question_ids", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("practicequestion", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_practicequestion_fingerprint"), type_="unique")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("fingerprint")
    with op.batch_alter_table("practicetopic", schema=None) as batch_op:
        batch_op.drop_column("names")
