"""The pure layers import no framework: scoring/ and gamification/ stay numpy + stdlib."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mockexam.config import PROJECT_ROOT

FORBIDDEN = (
    "reflex",
    "sqlmodel",
    "sqlalchemy",
    "huey",
    "telegram",
    "mockexam.db",
    "mockexam.models",
    "mockexam.services",
)
PURE_PACKAGES = ("scoring", "gamification")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_packages_import_no_framework(package):
    files = sorted((PROJECT_ROOT / "mockexam" / package).rglob("*.py"))
    assert files, f"mockexam/{package} has no modules"
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in files
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert offenders == []


def test_services_do_not_import_entry_points():
    """Services sit below the UI, tasks, CLI and bot: they never import them."""
    entry = (
        "reflex",
        "huey",
        "mockexam.tasks",
        "mockexam.worker",
        "mockexam.cli",
        "mockexam.bot",
        "mockexam.student",
        "mockexam.admin",
    )
    files = sorted((PROJECT_ROOT / "mockexam" / "services").rglob("*.py"))
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in files
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in entry)
    ]
    assert offenders == []


# The UI may catch the database's errors (sqlalchemy.exc) and read the clock
# (mockexam.db.utcnow); queries, sessions and engines belong to the services.
UI_PACKAGES = ("admin", "student")
UI_ALLOWED_MODULES = ("sqlalchemy.exc",)
UI_ALLOWED_DB_NAMES = {"utcnow"}


def _ui_offences(path: Path) -> list[str]:
    """Imports in a UI module that reach the database without a service."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "mockexam.db":
                found += [
                    f"mockexam.db.{alias.name}"
                    for alias in node.names
                    if alias.name not in UI_ALLOWED_DB_NAMES
                ]
                continue
            if node.module == "mockexam" and any(a.name == "db" for a in node.names):
                found.append("mockexam.db")
                continue
            modules = [node.module]
        else:
            continue
        found += [
            name
            for name in modules
            if (
                name == "mockexam.db"
                or any(name == m or name.startswith(m + ".") for m in ("sqlmodel", "sqlalchemy"))
            )
            and not any(name == m or name.startswith(m + ".") for m in UI_ALLOWED_MODULES)
        ]
    return found


@pytest.mark.parametrize("package", UI_PACKAGES)
def test_ui_packages_query_the_database_only_through_services(package):
    """Admin and student pages call services; they never import query APIs or open sessions."""
    files = sorted((PROJECT_ROOT / "mockexam" / package).rglob("*.py"))
    assert files, f"mockexam/{package} has no modules"
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in files
        for name in _ui_offences(path)
    ]
    assert offenders == []


def test_ui_layering_check_catches_direct_queries(tmp_path):
    """The check above is not vacuous: each way of reaching the database is caught."""
    module = tmp_path / "page.py"
    module.write_text(
        "from sqlmodel import select\n"
        "import sqlalchemy as sa\n"
        "from sqlalchemy.orm import Session\n"
        "from sqlalchemy.exc import SQLAlchemyError\n"
        "from mockexam.db import session_scope, utcnow\n"
        "from mockexam import db\n"
        "import mockexam.db\n",
        encoding="utf-8",
    )
    assert _ui_offences(module) == [
        "sqlmodel",
        "sqlalchemy",
        "sqlalchemy.orm",
        "mockexam.db.session_scope",
        "mockexam.db",
        "mockexam.db",
    ]
