"""The one converter between UTC (what the database keeps) and people's local time.

Every time a person reads or types (the admin panel, bot messages, error messages,
the operator's CLI) is in one zone: `settings.local_timezone` (env `LOCAL_TIMEZONE`,
an IANA name, "Asia/Tashkent" by default; config refuses a bad name at start-up).
The Mini App shows times in the device's zone (ui/intl.py) and is not served here.

A naive datetime is UTC (SQLite gives naive values back). Typed local times are
checked: a time that does not exist (the hour skipped when clocks go forward) is
refused naming the field; a time that happens twice (clocks go back) is the first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from mockexam.config import settings
from mockexam.errors import Msg, ValidationError, msg

INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
# Times an admin can mean: outside this, a typo (year 0001 or 9999 overflows the
# time-zone conversion; either is no exam anyone sits).
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_DATETIME_CHARS = 32


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    """The zone of `settings.local_timezone` (cached per name, so a changed setting is followed)."""
    return _zone(settings.local_timezone)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime (a naive one is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    """The moment in the local zone (aware); a naive datetime is UTC."""
    return as_utc(moment).astimezone(local_zone())


def local_text(moment: datetime | None, *, seconds: bool = False) -> str:
    """`22.11.2026 14:00` (`14:00:05` with seconds) in local time; "" for None."""
    if moment is None:
        return ""
    return to_local(moment).strftime("%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M")


def local_time_text(moment: datetime, *, seconds: bool = False) -> str:
    """`14:00` (`14:00:05` with seconds) in local time."""
    return to_local(moment).strftime("%H:%M:%S" if seconds else "%H:%M")


def local_input(moment: datetime) -> str:
    """The moment as the value of a datetime-local input, in local time: `2026-11-22T14:00`."""
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def utc_iso(moment: datetime) -> str:
    """`2026-11-22T09:05:09Z`: the machine form of a moment (audit details, logs)."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso(moment: datetime) -> str:
    """`2026-11-22 14:05:09`: a sortable local time for exports and audit details."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M:%S")


def utc_offset_text(at: datetime | None = None) -> str:
    """The local zone's offset from UTC at a moment (now by default): `UTC+05:00`."""
    offset = to_local(at or datetime.now(UTC)).utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def utc_offset_modifier(at: datetime | None = None) -> str:
    """The offset as an SQLite date modifier: `+300 minutes` (`-60 minutes`)."""
    offset = to_local(at or datetime.now(UTC)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    return f"{minutes:+d} minutes"


def zone_label(at: datetime | None = None) -> str:
    """`Asia/Tashkent (UTC+05:00)`: the zone's name and its offset at a moment (now)."""
    return f"{settings.local_timezone} ({utc_offset_text(at)})"


def time_zone_note() -> Msg:
    """The note under the admin form's time fields, in uz/ru/en (a `Msg`)."""
    return msg(
        "Vaqtlar {zone} vaqti bilan.",
        "Время указано по {zone}.",
        "Times are {zone} time.",
        zone=zone_label(),
    )


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    """False for a wall time that the zone skips (clocks go forward over it)."""
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == naive


def parse_local(value: Any, field: str) -> datetime:
    """A datetime-local value typed in local time → aware UTC.

    Refused with a `ValidationError` naming `field`: empty or unreadable text, a year
    outside 2000–2100, a time that does not exist in the zone (a DST gap). A time that
    happens twice (clocks go back) is its first occurrence (fold=0).
    """
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > MAX_DATETIME_CHARS or not text.isascii():
        text = ""  # strptime reads other scripts' digits; a form sends ASCII
    for fmt in INPUT_FORMATS:
        try:
            naive = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if not FIRST_YEAR <= naive.year <= LAST_YEAR:
            raise ValidationError(
                msg(
                    "{field}: {first} dan {last} gacha bo‘lgan yilni kiriting.",
                    "{field}: укажите год от {first} до {last}.",
                    "{field}: enter a year from {first} to {last}.",
                    field=field,
                    first=FIRST_YEAR,
                    last=LAST_YEAR,
                )
            )
        zone = local_zone()
        if not _exists(naive, zone):
            raise ValidationError(
                msg(
                    "{field}: {time} {zone} vaqti bo‘yicha mavjud emas "
                    "(soatlar oldinga suriladi); boshqa vaqtni kiriting.",
                    "{field}: времени {time} по {zone} не существует "
                    "(часы переводятся вперёд); укажите другое время.",
                    "{field}: {time} does not exist in {zone} "
                    "(the clocks go forward over it); enter another time.",
                    field=field,
                    time=naive.strftime("%d.%m.%Y %H:%M"),
                    zone=settings.local_timezone,
                )
            )
        return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    raise ValidationError(
        msg(
            "{field}: sana va vaqtni kiriting.",
            "{field}: укажите дату и время.",
            "{field}: enter a date and a time.",
            field=field,
        )
    )
