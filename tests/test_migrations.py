"""The models and the Alembic chain agree, and the chain goes up and down, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from mockexam import db as db_module
from mockexam.config import PROJECT_ROOT
from mockexam.models import metadata
from tests.conftest import make_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path: Path):
    yield from make_database(request.param, tmp_path, create=False)


def _config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def test_migrations_match_models(empty_url):
    command.upgrade(_config(empty_url), "head")
    engine = db_module.get_engine(empty_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_then_downgrade_base(empty_url):
    config = _config(empty_url)
    command.upgrade(config, "head")
    engine = db_module.get_engine(empty_url)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    command.downgrade(config, "base")
    engine.dispose()
    remaining = set(inspect(db_module.get_engine(empty_url)).get_table_names()) - {
        "alembic_version"
    }
    assert remaining == set()
    command.upgrade(config, "head")


def _load_0009():
    import importlib.util

    path = PROJECT_ROOT / "alembic" / "versions" / "0009_exam_layouts.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_0009_frozen_certificate_equals_the_template():
    from mockexam.scoring.layout_templates import CERTIFICATE_MATH

    assert CERTIFICATE_MATH.to_json() == _load_0009().CERTIFICATE_MATH


_T0 = datetime(2026, 11, 22, 5, 0)


def _at_0008(url: str) -> tuple[Config, sa.Engine, sa.MetaData]:
    config = _config(url)
    command.upgrade(config, "0008")
    engine = db_module.get_engine(url)
    tables = sa.MetaData()
    tables.reflect(bind=engine)
    return config, engine, tables


def _reflect(url: str) -> sa.MetaData:
    db_module._engines.pop(url).dispose()
    tables = sa.MetaData()
    tables.reflect(bind=db_module.get_engine(url))
    return tables


def _insert_exam(conn, t: sa.MetaData, exam_id: int, items: list[tuple]) -> dict[str, int]:
    """An exam and its items [(number, sub_part, kind, options, points, excluded)]; label → id."""
    conn.execute(
        t.tables["exam"].insert(),
        {
            "id": exam_id,
            "title": f"Exam {exam_id}",
            "description": "",
            "window_start": _T0,
            "window_end": _T0 + timedelta(hours=3),
            "duration_minutes": 150,
            "status": "published",
            "grading_scheme": "percentile",
            "created_at": _T0,
            "updated_at": _T0,
            "is_provisional": False,
        },
    )
    ids = {}
    for position, (number, part, kind, options, points, excluded) in enumerate(items):
        item_id = exam_id * 1000 + position
        conn.execute(
            t.tables["examitem"].insert(),
            {
                "id": item_id,
                "exam_id": exam_id,
                "position": position,
                "number": number,
                "sub_part": part,
                "kind": kind,
                "options": options,
                "accepted_answers": ["A"] if kind == "mcq" else ["1"],
                "points": points,
                "is_excluded": excluded,
            },
        )
        ids[f"{number}{part}"] = item_id
    return ids


def _insert_session(conn, t, session_id, exam_id, ids, right, *, graded=True) -> None:
    conn.execute(
        t.tables["student"].insert(),
        {
            "id": session_id,
            "telegram_id": 500 + session_id,
            "first_name": "S",
            "last_name": "",
            "language_code": "uz",
            "is_reachable": True,
            "created_at": _T0,
            "updated_at": _T0,
        },
    )
    conn.execute(
        t.tables["examsession"].insert(),
        {
            "id": session_id,
            "student_id": session_id,
            "exam_id": exam_id,
            "status": "submitted",
            "started_at": _T0,
            "deadline": _T0 + timedelta(hours=2),
            "submitted_at": _T0 + timedelta(hours=1),
            "is_auto_submitted": False,
            "is_provisional": False,
            "is_extreme": False,
            "graded_at": _T0 + timedelta(hours=4) if graded else None,
            "points": len(right) if graded else None,
            "max_points": 54 if graded else None,
        },
    )
    conn.execute(
        t.tables["answer"].insert(),
        [
            {
                "session_id": session_id,
                "exam_id": exam_id,
                "item_id": item_id,
                "value": "x",
                "is_flagged": False,
                "saved_at": _T0,
                "is_correct": (label in right) if graded else None,
            }
            for label, item_id in ids.items()
        ],
    )


def test_0009_backfills_the_certificate_layout_and_groups_a_custom_one(empty_url):
    """One upgrade (they cost seconds): exam 1 is the certificate's 55 items (item 2
    excluded), exam 2 has no items yet, exam 3 an odd list that becomes a custom layout."""
    from mockexam.scoring.layout import validate_layout_json
    from mockexam.scoring.layout_templates import CERTIFICATE_MATH

    config, engine, t = _at_0008(empty_url)
    certificate = [(n, "", "mcq", ["A", "B", "C", "D"], 1, n == 2) for n in range(1, 36)]
    certificate += [(n, p, "free", [], 1, False) for n in range(36, 46) for p in ("a", "b")]
    odd = [(n, "", "mcq", list("ABCDE"), 2, False) for n in range(1, 6)]
    odd += [(n, "", "mcq", list("ABCD"), 1, False) for n in range(6, 9)]
    odd += [(n, "", "free", [], 1, False) for n in (9, 10)]
    odd += [(11, p, "free", [], 1, False) for p in ("a", "b", "c")]
    with engine.begin() as conn:
        ids = _insert_exam(conn, t, 1, certificate)
        _insert_session(conn, t, 1, 1, ids, {"1", "2", "3", "36a", "36b", "37a"})
        _insert_session(conn, t, 2, 1, ids, set())
        _insert_session(conn, t, 3, 1, ids, {"1"}, graded=False)
        _insert_exam(conn, t, 2, [])  # no items yet: the certificate too
        odd_ids = _insert_exam(conn, t, 3, odd)
        _insert_session(conn, t, 4, 3, odd_ids, {"1", "6", "9", "11a", "11b", "11c"})
    command.upgrade(config, "0009")

    t = _reflect(empty_url)
    exam, examitem = t.tables["exam"], t.tables["examitem"]
    with db_module.get_engine(empty_url).connect() as conn:
        layouts = dict(conn.execute(sa.select(exam.c.id, exam.c.layout)).all())
        items = (
            conn.execute(
                sa.select(examitem).where(examitem.c.exam_id == 1).order_by(examitem.c.position)
            )
            .mappings()
            .all()
        )
        odd_sections = list(
            conn.execute(
                sa.select(examitem.c.section)
                .where(examitem.c.exam_id == 3)
                .order_by(examitem.c.position)
            ).scalars()
        )
        sessions = {
            row.id: row for row in conn.execute(sa.select(t.tables["examsession"]).order_by("id"))
        }
    assert layouts[1] == layouts[2] == CERTIFICATE_MATH.to_json()
    assert [i["section"] for i in items] == [0] * 35 + [1] * 20
    assert all(isinstance(i["points"], float) and i["points"] == 1.0 for i in items)
    # item 2 is excluded: 34 points and exercises in section 0; 36 is whole, 37 half right
    assert sessions[1].section_scores == [
        {"points": 2.0, "max_points": 34.0, "exercises": 2, "max_exercises": 34},
        {"points": 3.0, "max_points": 20.0, "exercises": 1, "max_exercises": 10},
    ]
    assert sessions[2].section_scores == [
        {"points": 0.0, "max_points": 34.0, "exercises": 0, "max_exercises": 34},
        {"points": 0.0, "max_points": 20.0, "exercises": 0, "max_exercises": 10},
    ]
    assert sessions[3].section_scores is None
    assert (sessions[1].points, sessions[1].max_points) == (6.0, 54.0)
    assert isinstance(sessions[1].points, float)

    layout = validate_layout_json(layouts[3])  # a valid layout
    assert layout.template == "custom" and layout.official_score == "scaled"
    shape = [(s.kind, s.count, s.options, s.parts, s.points, s.first) for s in layout.sections]
    assert shape == [
        ("mcq", 5, tuple("ABCDE"), (), 2.0, 1),
        ("mcq", 3, tuple("ABCD"), (), 1.0, 6),
        ("free", 2, (), (), 1.0, 9),
        ("free", 1, (), ("a", "b", "c"), 1.0, 11),
    ]
    assert [s.key for s in layout.sections] == ["s1", "s2", "s3", "s4"]
    assert [i.label for i in layout.items()] == list(odd_ids)
    expected = [0] * 5 + [1] * 3 + [2] * 2 + [3] * 3
    assert odd_sections == [i.section for i in layout.items()] == expected
    scores = sessions[4].section_scores
    assert [(s["points"], s["max_points"], s["exercises"], s["max_exercises"]) for s in scores] == [
        (2.0, 10.0, 1, 5),
        (1.0, 3.0, 1, 3),
        (1.0, 2.0, 1, 2),
        (3.0, 3.0, 1, 1),
    ]


def test_0013_makes_every_existing_practice_question_uzbek_and_every_session_start_at_one(
    empty_url,
):
    """Questions written before languages are Uzbek, without a bank code; a session
    running at the upgrade opens at its first question."""
    config = _config(empty_url)
    command.upgrade(config, "0012")
    engine = db_module.get_engine(empty_url)
    t = sa.MetaData()
    t.reflect(bind=engine)
    with engine.begin() as conn:
        topic_id = conn.execute(sa.select(t.tables["practicetopic"].c.id).limit(1)).scalar_one()
        conn.execute(
            t.tables["practicequestion"].insert(),
            {
                "id": 1,
                "topic_id": topic_id,
                "difficulty": 2,
                "kind": "free",
                "text": "Tenglamani yeching: $2x = 4$.",
                "options": [],
                "accepted_answers": ["2"],
                "explanation": "",
                "is_active": True,
                "fingerprint": "f" * 64,
                "created_at": _T0,
                "updated_at": _T0,
            },
        )
        conn.execute(
            t.tables["student"].insert(),
            {
                "id": 1,
                "telegram_id": 501,
                "first_name": "S",
                "last_name": "",
                "language_code": "ru",
                "is_reachable": True,
                "created_at": _T0,
                "updated_at": _T0,
            },
        )
        conn.execute(
            t.tables["practicesession"].insert(),
            {
                "id": 1,
                "student_id": 1,
                "mode": "light",
                "is_adaptive": False,
                "started_at": _T0,
                "deadline": _T0 + timedelta(minutes=30),
                "is_auto_submitted": False,
            },
        )
    command.upgrade(config, "0013")
    t = _reflect(empty_url)
    with db_module.get_engine(empty_url).connect() as conn:
        question = conn.execute(sa.select(t.tables["practicequestion"])).mappings().one()
        session = conn.execute(sa.select(t.tables["practicesession"])).mappings().one()
    assert (question["language"], question["bank_code"]) == ("uz", None)
    assert session["current_position"] == 1
    command.downgrade(config, "0012")
    t = _reflect(empty_url)
    assert "language" not in t.tables["practicequestion"].c
    assert "current_position" not in t.tables["practicesession"].c
