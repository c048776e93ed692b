"""Timestamps for the browser: the server keeps UTC; the browser shows local time."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    """A UTC timestamp (naive means UTC) as ISO 8601 with `Z`."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")
