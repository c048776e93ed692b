"""exam layouts: sections, weighted points, per-section subtotals, admin language, topic subject

Issue 21: an exam's answer sheet is a list of sections (scoring/layout.py); its
recipe is `exam.layout` (JSON) and each item says its section. Points become
floats in 0.01 steps (DTM blocks weigh 1.1, 3.1, 2.1 per item); graded sessions
keep per-section subtotals. Admins choose the panel's language; practice topics
carry a subject.

The backfill recognises the one layout that existed before (35 multiple-choice
A–D + 10 two-part free-response, 1 point each) and writes the certificate
template's JSON, frozen here (a test checks it equals
`layout_templates.CERTIFICATE_MATH.to_json()`); any other item list becomes a
"custom" layout with one section per run of alike items.

Downgrade drops the new columns and rounds points back to integers (weights
like 1.1 are lost).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 19:50:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LETTERS = ["A", "B", "C", "D"]

CERTIFICATE_MATH: dict[str, Any] = {
    "version": 1,
    "template": "certificate_math",
    "official_score": "scaled",
    "sections": [
        {
            "key": "s1",
            "titles": {
                "uz": "Test topshiriqlari",
                "ru": "Тестовые задания",
                "en": "Multiple choice",
            },
            "subject": "math",
            "kind": "mcq",
            "count": 35,
            "options": LETTERS,
            "parts": [],
            "points": 1.0,
            "first": 1,
        },
        {
            "key": "s2",
            "titles": {
                "uz": "Ochiq javobli topshiriqlar",
                "ru": "Задания с открытым ответом",
                "en": "Free response",
            },
            "subject": "math",
            "kind": "free",
            "count": 10,
            "options": [],
            "parts": ["a", "b"],
            "points": 1.0,
            "first": 36,
        },
    ],
}


def _exercises(items: list[dict]) -> list[dict]:
    """Items grouped into exercises (by number) in sheet order."""
    by_number: dict[int, dict] = {}
    order: list[int] = []
    for item in sorted(items, key=lambda i: i["position"]):
        ex = by_number.get(item["number"])
        if ex is None:
            ex = by_number[item["number"]] = {
                "number": item["number"],
                "kind": item["kind"],
                "options": list(item["options"] or []),
                "parts": [],
                "points": float(item["points"]),
                "items": [],
            }
            order.append(item["number"])
        if item["sub_part"]:
            ex["parts"].append(item["sub_part"])
        ex["items"].append(item)
    return [by_number[n] for n in order]


def _layout_for(items: list[dict]) -> tuple[dict[str, Any], dict[int, int]]:
    """The exam's layout JSON and each item id's section index."""
    exercises = _exercises(items)
    signature = [
        (e["kind"], tuple(e["options"]), tuple(e["parts"]), e["points"]) for e in exercises
    ]
    certificate = [("mcq", tuple(LETTERS), (), 1.0)] * 35 + [("free", (), ("a", "b"), 1.0)] * 10
    numbers = [e["number"] for e in exercises]
    if signature == certificate and numbers == list(range(1, 46)):
        section_of = {
            item["id"]: (0 if e["kind"] == "mcq" else 1) for e in exercises for item in e["items"]
        }
        return CERTIFICATE_MATH, section_of
    sections: list[dict[str, Any]] = []
    section_of: dict[int, int] = {}
    previous = None
    for e, sig in zip(exercises, signature, strict=True):
        if sig != previous or e["number"] != sections[-1]["first"] + sections[-1]["count"]:
            n = len(sections) + 1
            sections.append(
                {
                    "key": f"s{n}",
                    "titles": {"uz": f"{n}-bo'lim", "ru": f"Раздел {n}", "en": f"Section {n}"},
                    "subject": "math",
                    "kind": e["kind"],
                    "count": 0,
                    "options": e["options"] if e["kind"] == "mcq" else [],
                    "parts": e["parts"] if e["kind"] == "free" else [],
                    "points": e["points"],
                    "first": e["number"],
                }
            )
            previous = sig
        sections[-1]["count"] += 1
        for item in e["items"]:
            section_of[item["id"]] = len(sections) - 1
    layout = {"version": 1, "template": "custom", "official_score": "scaled", "sections": sections}
    return layout, section_of


def upgrade() -> None:
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.add_column(sa.Column("layout", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("examitem", schema=None) as batch_op:
        batch_op.add_column(sa.Column("section", sa.Integer(), nullable=False, server_default="0"))
        batch_op.alter_column(
            "points",
            existing_type=sa.Integer(),
            type_=sa.Float(),
            existing_nullable=False,
            postgresql_using="points::double precision",
        )
    with op.batch_alter_table("examsession", schema=None) as batch_op:
        batch_op.add_column(sa.Column("section_scores", sa.JSON(), nullable=True))
        batch_op.alter_column(
            "points",
            existing_type=sa.Integer(),
            type_=sa.Float(),
            existing_nullable=True,
            postgresql_using="points::double precision",
        )
        batch_op.alter_column(
            "max_points",
            existing_type=sa.Integer(),
            type_=sa.Float(),
            existing_nullable=True,
            postgresql_using="max_points::double precision",
        )
    with op.batch_alter_table("admin", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="uz")
        )
    with op.batch_alter_table("practicetopic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subject", sa.String(length=24), nullable=False, server_default="math")
        )
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.alter_column("layout", server_default=None)
    with op.batch_alter_table("examitem", schema=None) as batch_op:
        batch_op.alter_column("section", server_default=None)
    with op.batch_alter_table("admin", schema=None) as batch_op:
        batch_op.alter_column("language", server_default=None)
    with op.batch_alter_table("practicetopic", schema=None) as batch_op:
        batch_op.alter_column("subject", server_default=None)
    _backfill(op.get_bind())


def _json(value: Any) -> Any:
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value


def _backfill(bind: sa.engine.Connection) -> None:
    exam = sa.table("exam", sa.column("id", sa.Integer), sa.column("layout", sa.JSON))
    examitem = sa.table("examitem", sa.column("id", sa.Integer), sa.column("section", sa.Integer))
    examsession = sa.table(
        "examsession", sa.column("id", sa.Integer), sa.column("section_scores", sa.JSON)
    )
    item_rows = bind.execute(
        sa.text(
            "SELECT id, exam_id, position, number, sub_part, kind, options, points, is_excluded"
            " FROM examitem"
        )
    ).mappings()
    items_by_exam: dict[int, list[dict]] = defaultdict(list)
    for row in item_rows:
        item = dict(row)
        item["options"] = _json(item["options"])
        items_by_exam[item["exam_id"]].append(item)
    exam_ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM exam"))]
    for exam_id in exam_ids:
        items = items_by_exam.get(exam_id, [])
        if not items:
            bind.execute(exam.update().where(exam.c.id == exam_id).values(layout=CERTIFICATE_MATH))
            continue
        layout, section_of = _layout_for(items)
        bind.execute(exam.update().where(exam.c.id == exam_id).values(layout=layout))
        for section in range(1, len(layout["sections"])):
            ids = [i for i, s in section_of.items() if s == section]
            for start in range(0, len(ids), 500):
                bind.execute(
                    examitem.update()
                    .where(examitem.c.id.in_(ids[start : start + 500]))
                    .values(section=section)
                )
        _backfill_subtotals(bind, examsession, exam_id, items, layout, section_of)


def _backfill_subtotals(
    bind: sa.engine.Connection,
    examsession: sa.TableClause,
    exam_id: int,
    items: list[dict],
    layout: dict[str, Any],
    section_of: dict[int, int],
) -> None:
    """Points and whole exercises per section of each graded session, as grading counts them."""
    n = len(layout["sections"])
    graded = {i["id"]: i for i in items if not i["is_excluded"]}
    max_points = [0.0] * n
    max_numbers: list[set[int]] = [set() for _ in range(n)]
    for item in graded.values():
        s = section_of[item["id"]]
        max_points[s] += float(item["points"])
        max_numbers[s].add(item["number"])
    rows = bind.execute(
        sa.text(
            "SELECT a.session_id, a.item_id, a.is_correct FROM answer a"
            " JOIN examsession s ON s.id = a.session_id"
            " WHERE a.exam_id = :exam AND s.graded_at IS NOT NULL"
        ),
        {"exam": exam_id},
    )
    right: dict[int, set[int]] = defaultdict(set)
    for session_id, item_id, is_correct in rows:
        if is_correct and item_id in graded:
            right[session_id].add(item_id)
    sessions = [
        row[0]
        for row in bind.execute(
            sa.text("SELECT id FROM examsession WHERE exam_id = :exam AND graded_at IS NOT NULL"),
            {"exam": exam_id},
        )
    ]
    for session_id in sessions:
        ok = right.get(session_id, set())
        points = [0.0] * n
        exercise_right: list[dict[int, bool]] = [{} for _ in range(n)]
        for item in graded.values():
            s = section_of[item["id"]]
            hit = item["id"] in ok
            if hit:
                points[s] += float(item["points"])
            number = item["number"]
            exercise_right[s][number] = exercise_right[s].get(number, True) and hit
        scores = [
            {
                "points": round(points[s], 2),
                "max_points": round(max_points[s], 2),
                "exercises": sum(exercise_right[s].values()),
                "max_exercises": len(max_numbers[s]),
            }
            for s in range(n)
        ]
        bind.execute(
            examsession.update().where(examsession.c.id == session_id).values(section_scores=scores)
        )


def downgrade() -> None:
    with op.batch_alter_table("practicetopic", schema=None) as batch_op:
        batch_op.drop_column("subject")
    with op.batch_alter_table("admin", schema=None) as batch_op:
        batch_op.drop_column("language")
    op.execute("UPDATE examsession SET points = ROUND(points), max_points = ROUND(max_points)")
    op.execute("UPDATE examitem SET points = ROUND(points)")
    with op.batch_alter_table("examsession", schema=None) as batch_op:
        batch_op.drop_column("section_scores")
        batch_op.alter_column(
            "points",
            existing_type=sa.Float(),
            type_=sa.Integer(),
            existing_nullable=True,
            postgresql_using="points::integer",
        )
        batch_op.alter_column(
            "max_points",
            existing_type=sa.Float(),
            type_=sa.Integer(),
            existing_nullable=True,
            postgresql_using="max_points::integer",
        )
    with op.batch_alter_table("examitem", schema=None) as batch_op:
        batch_op.drop_column("section")
        batch_op.alter_column(
            "points",
            existing_type=sa.Float(),
            type_=sa.Integer(),
            existing_nullable=False,
            postgresql_using="points::integer",
        )
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.drop_column("layout")
