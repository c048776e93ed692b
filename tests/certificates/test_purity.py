"""The renderers stay a pure layer: no database, web framework, queue or Telegram."""

from __future__ import annotations

import ast

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
    "mockexam.config",
)


def test_certificates_import_no_framework():
    files = sorted((PROJECT_ROOT / "mockexam" / "certificates").rglob("*.py"))
    assert files
    offenders = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name} imports {name}"
                for name in names
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
            ]
    assert offenders == []


def test_fonts_ship_in_the_repository_with_their_licence():
    fonts = PROJECT_ROOT / "assets" / "fonts"
    for name in ("NotoSans-Regular", "NotoSans-Bold", "NotoSerif-Bold"):
        assert (fonts / f"{name}.ttf").stat().st_size > 100_000
    assert "SIL OPEN FONT LICENSE" in (fonts / "OFL.txt").read_text(encoding="utf-8")
