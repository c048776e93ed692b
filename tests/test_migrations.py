"""The models and the Alembic chain agree, and the chain goes up and down, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
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
