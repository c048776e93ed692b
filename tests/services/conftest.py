"""Fixtures shared by the service tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockexam.config import settings


@pytest.fixture
def own_upload_dir(tmp_path: Path):
    """The test stores uploads (practice images…) in a folder of its own, to see what it wrote."""
    previous = settings.upload_dir
    object.__setattr__(settings, "upload_dir", tmp_path / "uploads")
    yield tmp_path / "uploads"
    object.__setattr__(settings, "upload_dir", previous)
