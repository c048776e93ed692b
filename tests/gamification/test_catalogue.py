"""The achievement list seeded by migration 0002 and the app's list agree; both seed paths work."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlmodel import Session, select

from mockexam import db as db_module
from mockexam.config import PROJECT_ROOT
from mockexam.db import session_scope
from mockexam.gamification.achievements import ACHIEVEMENTS
from mockexam.models import Achievement
from mockexam.services.achievements import catalogue, ensure_achievements
from tests.conftest import make_database


def _migration():
    path = PROJECT_ROOT / "alembic" / "versions" / "0002_gamification.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(specs) -> list[tuple]:
    return [
        (s.code, str(s.kind), s.name, s.description, s.icon, float(s.threshold), s.sort_order)
        for s in specs
    ]


def test_migration_copy_equals_the_app_catalogue():
    assert [tuple(r) for r in _migration().ACHIEVEMENTS] == _rows(ACHIEVEMENTS)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path: Path):
    yield from make_database(request.param, tmp_path, create=False)


def test_migration_seeds_the_catalogue_and_downgrade_removes_it(empty_url):
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", empty_url.replace("%", "%%"))
    command.upgrade(config, "head")
    engine = db_module.get_engine(empty_url)
    with Session(engine) as session:
        seeded = session.exec(select(Achievement).order_by(Achievement.sort_order)).all()
        assert _rows(seeded) == _rows(ACHIEVEMENTS)
        assert ensure_achievements(session) == 0
    command.downgrade(config, "0001")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM achievement").scalar() == 0
    command.upgrade(config, "head")


def test_ensure_achievements_fills_a_create_all_database(sqlite_url):
    with session_scope() as session:
        assert ensure_achievements(session) == len(ACHIEVEMENTS)
        assert ensure_achievements(session) == 0
        assert _rows(catalogue(session)) == _rows(ACHIEVEMENTS)
