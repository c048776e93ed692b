"""`python -m mockexam backup` and `restore`: what the operator sees, and the exit status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockexam.cli import main
from mockexam.config import settings
from mockexam.db import session_scope
from tests.factories import make_exam, make_student
from tests.services.test_backup import HEAD, fresh_database, migrate


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite database with an exam, three students and one uploaded paper."""
    for url in fresh_database("sqlite", tmp_path):
        yield from _fill(url, tmp_path, monkeypatch)


def _fill(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    migrate(url)
    monkeypatch.setattr(settings, "database_url", url)
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
    with session_scope() as db:
        make_exam(db)
        for _ in range(3):
            make_student(db)
    (tmp_path / "uploads" / "papers").mkdir(parents=True)
    (tmp_path / "uploads" / "papers" / "exam-1.pdf").write_bytes(b"%PDF-1.4 x")
    yield url


def test_backup_then_restore_from_the_command_line(source, tmp_path, monkeypatch, capsys):
    assert main(["backup", "--dir", str(tmp_path / "backups")]) == 0
    out = capsys.readouterr().out
    files = list((tmp_path / "backups").glob("mockexam-backup-*.tar.gz"))
    assert len(files) == 1
    assert f"Backup written: {files[0]}" in out and "mode 0600" in out
    assert f"sqlite database at schema {HEAD}" in out and "1 uploaded file(s)" in out

    # Into the same, non-empty database: refused with what is there and what --force does.
    assert main(["restore", str(files[0])]) == 2
    captured = capsys.readouterr()
    assert "must be stopped" in captured.out
    assert "error: The target is not empty" in captured.err
    assert "1 exam, 3 students" in captured.err and "--force replaces" in captured.err

    # Into a new, empty database and upload folder.
    monkeypatch.setattr(settings, "database_url", f"sqlite:///{tmp_path / 'new' / 'm.db'}")
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "new-uploads")
    assert main(["restore", str(files[0])]) == 0
    out = capsys.readouterr().out
    assert re.search(r"All \d+ tables match the manifest", out)
    assert "Uploaded files restored: 1." in out
    assert f"Migrated to the latest schema: {HEAD}." in out
    assert (tmp_path / "new-uploads" / "papers" / "exam-1.pdf").read_bytes() == b"%PDF-1.4 x"

    assert main(["restore", str(files[0]), "--force"]) == 0
    assert "Replaced what was there: 1 exam, 3 students" in capsys.readouterr().out


def test_backup_without_a_folder_and_restore_of_a_foreign_file_say_why(
    source, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(settings, "backup_dir", None)
    assert main(["backup"]) == 2
    assert "pass --dir DIR or set BACKUP_DIR" in capsys.readouterr().err

    foreign = tmp_path / "photo.jpg"
    foreign.write_bytes(b"\xff\xd8\xff\xe0 not a backup")
    assert main(["restore", str(foreign)]) == 2
    assert "is not a usable mockexam backup" in capsys.readouterr().err
