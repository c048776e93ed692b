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
