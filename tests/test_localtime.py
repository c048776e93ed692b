"""One local time zone for people (localtime.py): conversions, the DST edges, and the
messages that used to print UTC (overlap, lock-out, audit details, analytics months)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from mockexam import localtime
from mockexam.config import Settings, settings
from mockexam.errors import ScheduleConflictError, ValidationError
from mockexam.models import AuditLog
from mockexam.services import exams
from tests.factories import make_exam

TASHKENT_14 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def berlin(monkeypatch):
    monkeypatch.setattr(settings, "local_timezone", "Europe/Berlin")


def test_tashkent_14_00_is_09_00_utc_both_ways():
    assert localtime.local_text(TASHKENT_14) == "22.11.2026 14:00"
    assert localtime.local_text(TASHKENT_14.replace(tzinfo=None)) == "22.11.2026 14:00"
    assert localtime.local_text(TASHKENT_14, seconds=True) == "22.11.2026 14:00:00"
    assert localtime.local_text(None) == ""
    assert localtime.local_input(TASHKENT_14) == "2026-11-22T14:00"
    assert localtime.parse_local("2026-11-22T14:00", "Start") == TASHKENT_14
    assert localtime.parse_local(" 2026-11-22 14:00 ", "Start") == TASHKENT_14
    assert localtime.to_local(TASHKENT_14).hour == 14
    assert localtime.zone_label() == "Asia/Tashkent (UTC+05:00)"
    assert localtime.utc_offset_text() == "UTC+05:00"
    assert localtime.utc_iso(TASHKENT_14) == "2026-11-22T09:00:00Z"
    assert localtime.local_iso(TASHKENT_14) == "2026-11-22 14:00:00"


def test_unreadable_or_far_times_are_refused_naming_the_field():
    with pytest.raises(ValidationError, match=r"^Start: enter a date and a time"):
        localtime.parse_local("tomorrow", "Start")
    with pytest.raises(ValidationError, match=r"^End: enter a year from 2000 to 2100"):
        localtime.parse_local("9999-01-01T10:00", "End")
    with pytest.raises(ValidationError) as err:
        localtime.parse_local("", "Boshlanish")
    assert err.value.text("uz") == "Boshlanish: sana va vaqtni kiriting."


def test_berlin_spring_gap_is_refused_and_autumn_overlap_takes_the_first(berlin):
    # 29 March 2026: Berlin's clocks jump from 02:00 to 03:00.
    with pytest.raises(ValidationError, match=r"^Start: 29\.03\.2026 02:30 does not exist") as err:
        localtime.parse_local("2026-03-29T02:30", "Start")
    assert "Europe/Berlin" in str(err.value)
    assert localtime.parse_local("2026-03-29T03:00", "Start") == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )
    # 25 October 2026: 02:30 happens twice (CEST, then CET); the first is 00:30Z.
    assert localtime.parse_local("2026-10-25T02:30", "Start") == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert localtime.zone_label(datetime(2026, 7, 1, tzinfo=UTC)) == "Europe/Berlin (UTC+02:00)"
    assert localtime.zone_label(datetime(2026, 1, 1, tzinfo=UTC)) == "Europe/Berlin (UTC+01:00)"
    assert localtime.utc_offset_modifier(datetime(2026, 1, 1, tzinfo=UTC)) == "+60 minutes"


def test_a_bad_local_timezone_refuses_to_start_naming_the_setting(monkeypatch):
    monkeypatch.setenv("LOCAL_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="LOCAL_TIMEZONE: 'Mars/Olympus' is not a time zone"):
        Settings()
    monkeypatch.setenv("LOCAL_TIMEZONE", " Europe/Berlin ")
    assert Settings().local_timezone == "Europe/Berlin"


def test_the_overlap_message_shows_local_time(db):
    start = datetime(2030, 11, 22, 9, 0, tzinfo=UTC)  # in the future: publishable
    make_exam(db, title="First", start=start, hours=4)
    second = make_exam(db, title="Second", start=start + timedelta(hours=3), publish=False)
    with pytest.raises(ScheduleConflictError) as err:
        exams.publish_exam(db, second.id)
    assert str(err.value) == (
        "The window overlaps the published exam “First” (22.11.2030 14:00–22.11.2030 18:00, "
        "Asia/Tashkent (UTC+05:00)). Windows of two published exams may not overlap "
        "(unless both are for groups only and no group is in both)."
    )
    assert "«First» (22.11.2030 14:00–22.11.2030 18:00" in err.value.text("ru")


def test_audit_details_of_an_edited_window_are_iso_utc(db):
    exam = make_exam(db, title="Draft", start=TASHKENT_14, publish=False)
    exams.update_exam(db, exam.id, window_start=TASHKENT_14 - timedelta(hours=1))
    entry = db.exec(select(AuditLog).where(AuditLog.action == "exam.edit")).one()
    assert entry.details == {"window_start": "2026-11-22T08:00:00Z"}


def test_bot_messages_use_the_local_zone_and_weighted_points(berlin):
    from mockexam.telegram import messages

    summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert messages.format_time(summer) == "01.07.2026 11:00"  # Berlin, CEST
    assert messages.DISPLAY_TZ.key == "Europe/Berlin"
    score = messages.ScoreLine(
        points=143.70000000000002,
        max_points=189.0,
        scaled_score=63.14,
        scaled_score_se=None,
        grade="B+",
        elo_before=None,
        elo_after=None,
    )
    assert messages.score_line(score, "uz").startswith("Ball: 143,7/189 · ")
    assert messages.score_line(score, "ru").startswith("Баллы: 143,7/189 · ")
    assert messages.score_line(score, "en").startswith("Points: 143.7/189 · ")


def test_the_lock_out_cookie_is_in_the_login_pages_language_and_local_time(db_url, monkeypatch):
    import asyncio
    from http.cookies import SimpleCookie

    import httpx

    from mockexam.admin.auth import LANGUAGE_COOKIE, LOGIN_ERROR_COOKIE
    from mockexam.admin.login import login_error_text
    from mockexam.api import create_api
    from tests.admin.helpers import make_admin

    monkeypatch.setattr(settings, "admin_login_max_failures", 1)
    make_admin("alice")

    def login(lang: str) -> str:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=create_api())
            async with httpx.AsyncClient(
                transport=transport, base_url="http://localhost:8000"
            ) as c:
                return await c.post(
                    "/admin/api/login",
                    data={"username": "alice", "password": "nope nope"},
                    headers={
                        "sec-fetch-site": "same-origin",
                        "origin": "http://localhost:3000",
                        "cookie": f"{LANGUAGE_COOKIE}={lang}",
                    },
                )

        response = asyncio.run(send())
        jar = SimpleCookie()
        for header in response.headers.get_list("set-cookie"):
            jar.load(header)
        return login_error_text(f"{LOGIN_ERROR_COOKIE}={jar[LOGIN_ERROR_COOKIE].value}")

    login("en")  # the one free failure
    start = datetime.now(UTC)
    russian = login("ru")
    assert russian.startswith("Слишком много неудачных попыток входа")
    until = russian.rsplit("после ", 1)[1].removesuffix(" (Asia/Tashkent).")
    soon = [start + timedelta(seconds=s) for s in range(61)]
    assert until in {localtime.local_time_text(m, seconds=True) for m in soon} | {
        localtime.local_text(m, seconds=True)
        for m in soon  # past local midnight: with the date
    }  # a local time a few seconds from now, not UTC
    assert login("xx").startswith("Too many failed sign-ins")  # tests' default: English


def test_the_audit_page_shows_moments_in_details_in_local_time():
    from mockexam.admin.audit import audit_row
    from mockexam.services.audit import AuditEntry

    entry = AuditEntry(
        entry_id=1,
        created_at=TASHKENT_14,
        admin="alice",
        action="exam.edit",
        entity="exam",
        entity_id=3,
        details={
            "window_start": "2026-11-22T09:00:00Z",
            "window_end": "2026-11-22 12:30:00+00:00",  # rows written before localtime
            "until": "2026-11-22T09:00:05Z",
            "title": "2026-11-22 09:00 mock",
        },
    )
    row = audit_row(entry)
    assert row["when"] == "22.11.2026 14:00"
    assert row["details"] == (
        '{"title": "2026-11-22 09:00 mock", "until": "22.11.2026 14:00:05", '
        '"window_end": "22.11.2026 17:30", "window_start": "22.11.2026 14:00"}'
    )


def test_analytics_months_are_local_months(db_url):
    from mockexam.db import session_scope
    from mockexam.models import ExamSession
    from mockexam.services import analytics
    from tests.factories import make_student

    late_january = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)  # 04:30 on 1 February in Tashkent
    with session_scope() as db:
        make_student(db).created_at = late_january
        exam = make_exam(db, start=late_january - timedelta(hours=2), publish=False)
        student = make_student(db)
        student.created_at = late_january
        db.add(
            ExamSession(
                student_id=student.id,
                exam_id=exam.id,
                started_at=late_january - timedelta(hours=1),
                deadline=late_january + timedelta(hours=1),
                submitted_at=late_january,
                status="submitted",
            )
        )
    now = datetime(2025, 3, 1, tzinfo=UTC)
    growth = analytics.user_growth_by_month(now=now)
    assert [(g.month, g.new_students) for g in growth] == [("2025-02", 2), ("2025-03", 0)]
    retention = analytics.retention_by_cohort(now=now)
    assert [(c.month, c.retained) for c in retention.cohorts] == [("2025-02", (1, 0))]
    assert analytics.month_of(late_january) == "2025-02"


def test_the_restore_message_gives_the_backups_local_time():
    from mockexam.services.backup import FileEntry, Manifest, RestoreResult

    manifest = Manifest(
        created_at=datetime(2026, 12, 7, 22, 30, 5, tzinfo=UTC),
        kind="sqlite",
        schema_revision="0009",
        app_version="1.0",
        tables=(),
        database=FileEntry(path="database.sqlite3", size=1, sha256="0" * 64),
    )
    result = RestoreResult(
        manifest=manifest,
        database="sqlite:///x.db",
        checks=(),
        revision_after="0009",
        uploads_restored=0,
    )
    assert result.describe().startswith(
        "Restored the backup of 2026-12-08 03:30:05 Asia/Tashkent (sqlite, schema 0009"
    )


def test_doctor_prints_the_zone_and_notes_daylight_saving_on_sqlite(berlin, monkeypatch):
    from types import SimpleNamespace

    from mockexam.services import doctor

    monkeypatch.setattr(settings, "database_url", "sqlite:///unused.db")
    now = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    check = doctor.check_time_zone(SimpleNamespace(health=None), now)
    assert check.ok and check.detail == (
        "Europe/Berlin (UTC+02:00): 01.07.2026 12:00 there now; "
        "it has daylight saving: SQLite's analytics months use today's offset"
    )
    monkeypatch.setattr(settings, "local_timezone", "Asia/Tashkent")
    assert doctor.check_time_zone(SimpleNamespace(health=None), now).detail == (
        "Asia/Tashkent (UTC+05:00): 01.07.2026 15:00 there now"
    )
