"""The tests' fresh databases are what `metadata.create_all` makes, only faster.

tests/conftest.py copies a template file for SQLite and sends the whole DDL as
one script for PostgreSQL; here both are compared, table by table, with a
database that create_all built: columns (type, nullability, default), primary
and foreign keys, indexes and unique constraints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from mockexam import db as db_module
from mockexam.models import metadata
from tests.conftest import make_database


def _schema(url: str) -> dict[str, Any]:
    engine = db_module.get_engine(url)
    try:
        found = inspect(engine)
        return {
            table: {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in found.get_columns(table)
                ],
                "pk": found.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted(
                    (
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        fk.get("options", {}).get("ondelete"),
                    )
                    for fk in found.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                    for ix in found.get_indexes(table)
                ),
                "unique": sorted(
                    tuple(u["column_names"]) for u in found.get_unique_constraints(table)
                ),
            }
            for table in sorted(found.get_table_names())
        }
    finally:
        db_module._engines.pop(url).dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_fresh_test_database_has_the_schema_create_all_makes(kind: str, tmp_path: Path) -> None:
    for fast in make_database(kind, tmp_path):
        for empty in make_database(kind, tmp_path, create=False):
            metadata.create_all(db_module.get_engine(empty))
            made = _schema(empty)
        got = _schema(fast)
    assert set(got) == {table.name for table in metadata.sorted_tables}
    assert got == made
    assert any(spec["fks"] for spec in got.values())  # the comparison saw the foreign keys
    assert any(ix[2] for spec in got.values() for ix in spec["indexes"])  # and unique indexes
