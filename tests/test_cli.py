"""The command line against a real database: seed, key import, sweep, calibrate, exclude,
signed student links."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
from sqlmodel import select

from mockexam.cli import main, student_link_for
from mockexam.config import DEV_WEBAPP_TOKEN, settings
from mockexam.db import dispose_engines, session_scope, utcnow
from mockexam.localtime import to_local
from mockexam.models import Admin, Exam, ExamStatus, ItemStatistic
from mockexam.services import groups
from mockexam.services.access import Scope
from mockexam.services.exams import get_items
from mockexam.telegram.webapp_auth import (
    InitDataError,
    InitDataProblem,
    TelegramUser,
    validate_init_data,
)
from mockexam.telegram.webapp_link import init_data_from_link, student_link
from tests.factories import make_cohort, make_exam, make_student


def test_seed_demo_then_if_empty_adds_nothing(sqlite_url, capsys):
    assert main(["seed-demo", "--if-empty", "--students", "40"]) == 0
    with session_scope(readonly=True) as db:
        exams = db.exec(select(Exam).order_by(Exam.window_start)).all()
        assert [e.status for e in exams] == [
            ExamStatus.RELEASED,
            ExamStatus.RELEASED,
            ExamStatus.PUBLISHED,
        ]
        assert [e.id for e in exams] == [1, 3, 2]  # the DTM block test comes last
        assert exams[1].layout["template"] == "dtm_block"
        opens = to_local(exams[2].window_start)  # tomorrow at 10:00 local time
        assert (opens.hour, opens.minute) == (10, 0)
        assert opens.date() == to_local(utcnow() + timedelta(days=1)).date()
        # The owner, and the demo class's teacher (the same public password; a teacher's view).
        accounts = {a.username: a.role for a in db.exec(select(Admin))}
        assert accounts == {"admin": "owner", "teacher": "teacher"}
        [group] = groups.list_groups(db, scope=Scope.everything())
        assert (group.name, group.teachers) == ("Matematika 9-A", ("teacher",))
    assert "released DTM block test #3" in capsys.readouterr().out
    assert main(["seed-demo", "--if-empty"]) == 0
    assert "nothing was added" in capsys.readouterr().out
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(Exam)).all()) == 3


def test_seed_demo_never_seeds_production_unless_asked_and_then_with_a_random_password(
    sqlite_url, monkeypatch, capsys
):
    from mockexam.services.admins import authenticate
    from mockexam.services.demo import DEMO_ADMIN_PASSWORD_DEFAULT, admin_sign_in_hint

    monkeypatch.setattr(settings, "mockexam_env", "production")

    # What `make run` / `make run-scale` run on every start: skipped, and said why.
    assert main(["seed-demo", "--if-empty"]) == 0
    assert "Skipped: Demo data is never seeded in production" in capsys.readouterr().out
    assert main(["seed-demo"]) == 2
    assert "create-admin NAME" in capsys.readouterr().err
    with session_scope(readonly=True) as db:
        assert db.exec(select(Admin)).all() == []
        assert db.exec(select(Exam)).all() == []
    assert "admin-demo" not in admin_sign_in_hint()

    assert main(["seed-demo", "--in-production", "--students", "12"]) == 0
    out = capsys.readouterr().out
    password = out.split("Its password, shown this once: ", 1)[1].split()[0]
    with session_scope() as db:
        assert authenticate(db, username="admin", password=password) is not None
        assert authenticate(db, username="admin", password=DEMO_ADMIN_PASSWORD_DEFAULT) is None
        assert [a.username for a in db.exec(select(Admin))] == ["admin"]  # no demo teacher


def test_import_key_reports_line_errors_and_changes_nothing(sqlite_url, tmp_path, capsys):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() + timedelta(days=2), publish=False, key=False)
    bad = tmp_path / "bad.txt"
    bad.write_text("1 A\n2 Q\n", encoding="utf-8")
    assert main(["import-key", str(exam.id), str(bad)]) == 2
    assert "line 2" in capsys.readouterr().err
    good = tmp_path / "good.txt"
    good.write_text("1 A\n36a 1/2\n", encoding="utf-8")
    assert main(["import-key", str(exam.id), str(good)]) == 0
    assert "Still missing" in capsys.readouterr().out
    with session_scope(readonly=True) as db:
        keyed = {i.label: i.accepted_answers for i in get_items(db, exam.id) if i.accepted_answers}
    assert keyed == {"1": ["A"], "36a": ["1/2"]}


def test_sweep_calibrate_and_exclude_from_the_command_line(sqlite_url, capsys):
    with session_scope() as db:
        exam = make_exam(db, start=utcnow() - timedelta(hours=5), hours=4)
        make_cohort(db, exam, n=40)
    assert main(["calibrate-exam", str(exam.id)]) == 0
    assert "Released exam" in capsys.readouterr().out
    assert main(["auto-submit"]) == 0
    assert "released 0 exam(s)" in capsys.readouterr().out
    assert main(["exclude-item", str(exam.id), "3"]) == 0
    assert "Recalibrated" in capsys.readouterr().out
    with session_scope(readonly=True) as db:
        item = next(i for i in get_items(db, exam.id) if i.label == "3")
        stat = db.exec(select(ItemStatistic).where(ItemStatistic.item_id == item.id)).one()
        assert item.is_excluded and stat.flags == ["excluded"]
    assert main(["exclude-item", str(exam.id), "99"]) == 2
    assert "not on this exam" in capsys.readouterr().err


def _link_user(link: str, token: str) -> TelegramUser:
    return validate_init_data(
        init_data_from_link(link),
        bot_token=token,
        max_age_seconds=settings.initdata_max_age_seconds,
    )


def test_student_link_is_signed_like_telegram_with_the_stored_names(sqlite_url, capsys):
    with session_scope() as db:
        make_student(
            db,
            telegram_id=555_001,
            first_name="Dilnoza",
            last_name="Rashidova",
            username="dilnoza",
            language_code="ru",
        )
    assert main(["student-link", "555001", "--path", "/exam/2"]) == 0
    out = capsys.readouterr()
    link = out.out.strip()
    assert "valid for 24 h" in out.err

    url, fragment = link.split("#", 1)
    assert url == settings.webapp_url + "/exam/2"
    params = dict(parse_qsl(fragment))
    assert set(params) == {
        "tgWebAppData",
        "tgWebAppVersion",
        "tgWebAppPlatform",
        "tgWebAppThemeParams",
    }
    assert params["tgWebAppPlatform"] == "weba"
    assert json.loads(params["tgWebAppThemeParams"])["bg_color"] == "#ffffff"
    fields = dict(parse_qsl(params["tgWebAppData"]))
    assert set(fields) == {"query_id", "user", "auth_date", "hash"}
    assert abs(int(fields["auth_date"]) - time.time()) < 60

    user = _link_user(link, settings.webapp_token)
    assert (user.id, user.first_name, user.last_name) == (555_001, "Dilnoza", "Rashidova")
    assert (user.username, user.language_code) == ("dilnoza", "ru")
    with pytest.raises(InitDataError) as refused:
        _link_user(link, "123456:another-bot-token")
    assert refused.value.reason == InitDataProblem.BAD_HASH


def test_student_link_options_override_and_unknown_students_get_defaults(sqlite_url, capsys):
    assert main(["student-link", "777", "--first-name", "Ali Vali", "--language", "en"]) == 0
    link = capsys.readouterr().out.strip()
    assert link.split("#", 1)[0] == settings.webapp_url
    user = _link_user(link, settings.webapp_token)
    assert (user.id, user.first_name, user.language_code) == (777, "Ali Vali", "en")
    assert user.last_name == "" and user.username is None

    assert main(["student-link", "0"]) == 2
    assert "positive" in capsys.readouterr().err


def test_student_link_uses_the_real_bot_token_when_one_is_configured(sqlite_url, monkeypatch):
    monkeypatch.setattr(settings, "telegram_bot_token", "4242:real-bot-token")
    link = student_link_for(4242, base_url="http://app.test/app/")
    assert link.startswith("http://app.test/app/#tgWebAppData=")
    assert _link_user(link, "4242:real-bot-token").id == 4242
    with pytest.raises(InitDataError):
        _link_user(link, DEV_WEBAPP_TOKEN)


def test_student_link_expires_with_the_initdata_max_age():
    link = student_link(9, auth_date=int(time.time()) - settings.initdata_max_age_seconds - 5)
    with pytest.raises(InitDataError) as refused:
        _link_user(link, settings.webapp_token)
    assert refused.value.reason == InitDataProblem.STALE


def test_student_link_without_a_usable_database_still_prints_a_link(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(settings, "database_url", f"sqlite:///{tmp_path / 'no-tables.db'}")
    try:
        assert main(["student-link", "31337"]) == 0
    finally:
        dispose_engines()
    user = _link_user(capsys.readouterr().out.strip(), settings.webapp_token)
    assert (user.id, user.first_name) == (31337, "Student")


def test_an_invalid_configuration_is_named_without_a_traceback(tmp_path):
    """Production without its secrets: every command says which setting, and nothing runs."""
    import os
    import subprocess
    import sys

    from mockexam.config import PROJECT_ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("ADMIN_SECRET_KEY",)}
    env.update(MOCKEXAM_ENV="production", TELEGRAM_BOT_TOKEN="", SWEEP_INTERVAL_SECONDS="15")
    done = subprocess.run(
        [sys.executable, "-m", "mockexam", "migrate"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "the configuration is not valid" in done.stderr
    assert "ADMIN_SECRET_KEY, TELEGRAM_BOT_TOKEN" in done.stderr
    assert "latest schema" not in done.stdout


# --- admins: reset, deactivate, re-activate (issue 20, item 6) ---------------------------------


def _admin_sessions(username: str) -> tuple[str, str]:
    from mockexam.services import admin_auth

    return tuple(
        admin_auth.login(username=username, password="first password", client="10.0.0.1").token
        for _ in range(2)
    )


def _audit_actions() -> list[tuple[str, dict]]:
    from mockexam.models import AuditLog

    with session_scope(readonly=True) as db:
        rows = db.exec(select(AuditLog).order_by(AuditLog.id)).all()
    return [(row.action, row.details) for row in rows if not row.action.startswith("admin.log")]


def test_create_admin_reset_signs_out_everywhere_and_is_audited(sqlite_url, capsys):
    from mockexam.services import admin_auth

    assert main(["create-admin", "alice", "--password", "first password"]) == 0
    assert "Admin 'alice' is ready" in capsys.readouterr().out
    tokens = _admin_sessions("alice")

    assert main(["create-admin", "alice", "--password", "second password"]) == 0

    assert "password of admin 'alice' was reset; 2 session(s) signed out" in (
        capsys.readouterr().out
    )
    assert all(admin_auth.admin_for_token(token) is None for token in tokens)
    assert _audit_actions() == [
        ("admin.password_reset", {"username": "alice", "by": "cli", "sessions_ended": 2})
    ]


def test_deactivate_admin_signs_out_and_a_reset_does_not_reactivate(sqlite_url, capsys):
    from mockexam.services import admin_auth

    main(["create-admin", "alice", "--password", "first password"])
    main(["create-admin", "bob", "--password", "first password"])
    tokens = _admin_sessions("alice")
    capsys.readouterr()

    assert main(["deactivate-admin", "alice"]) == 0

    out = capsys.readouterr().out
    assert "Admin 'alice' deactivated; 2 session(s) signed out." in out
    assert "create-admin alice --reactivate" in out
    assert all(admin_auth.admin_for_token(token) is None for token in tokens)

    # A reset alone leaves her deactivated, and says how to re-activate.
    assert main(["create-admin", "alice", "--password", "third password"]) == 0
    out = capsys.readouterr().out
    assert "still deactivated (a reset does not re-activate)" in out
    with session_scope(readonly=True) as db:
        assert db.exec(select(Admin).where(Admin.username == "alice")).one().is_active is False

    assert main(["create-admin", "alice", "--password", "third password", "--reactivate"]) == 0
    assert "Admin 'alice' is active again." in capsys.readouterr().out
    assert admin_auth.login(username="alice", password="third password", client="10.0.0.1")
    assert [action for action, _ in _audit_actions()] == [
        "admin.deactivated",
        "admin.password_reset",
        "admin.password_reset",
        "admin.reactivated",
    ]


def test_deactivate_admin_of_an_unknown_name_is_an_error(sqlite_url, capsys):
    assert main(["deactivate-admin", "nobody"]) == 2
    assert "error: There is no admin named 'nobody'." in capsys.readouterr().err


def test_deactivating_the_last_active_admin_says_what_that_means(sqlite_url, capsys):
    main(["create-admin", "alice", "--password", "first password"])
    capsys.readouterr()
    assert main(["deactivate-admin", "alice"]) == 0
    assert "No active admin is left" in capsys.readouterr().out


# --- layouts (issue 21) -------------------------------------------------------------------


def test_layouts_lists_the_templates(capsys):
    assert main(["layouts"]) == 0
    out = capsys.readouterr().out
    assert "certificate_math" in out and "National certificate: mathematics" in out
    assert "5 section(s), 90 items, 189 points, points first, 180 min" in out
    assert "1 section(s), 30 items, 30 points" in out
    assert main(["layouts", "--lang", "ru"]) == 0
    assert "Тестовый блок ДТМ" in capsys.readouterr().out


def test_layouts_show_prints_sections_and_json_that_checks(tmp_path, capsys):
    from mockexam.scoring.layout import validate_layout_json
    from mockexam.scoring.layout_templates import DTM_BLOCK

    assert main(["layouts", "show", "dtm_block"]) == 0
    out = capsys.readouterr().out
    assert "[s4] 31–60  Specialty subject 1: Mathematics: 30 × multiple choice A/B/C/D" in out
    assert "at 3.1 points each, 93 points" in out
    assert main(["layouts", "show", "dtm_block", "--lang", "uz"]) == 0
    assert "3,1 points each" in capsys.readouterr().out
    assert main(["layouts", "show", "dtm_block", "--json"]) == 0
    text = capsys.readouterr().out
    assert validate_layout_json(text) == DTM_BLOCK
    path = tmp_path / "dtm.json"
    path.write_text(text, encoding="utf-8")
    assert main(["layouts", "check", str(path)]) == 0
    assert "a valid layout: 5 section(s), 90 items, 189 points" in capsys.readouterr().out
    assert main(["layouts", "show", "nope"]) == 2
    assert "no template 'nope'" in capsys.readouterr().err


def test_layouts_check_names_every_problem_and_exits_1(tmp_path, capsys):
    bad = {
        "version": 1,
        "template": "custom",
        "official_score": "points",
        "sections": [
            {"key": "s1", "titles": {"uz": "Algebra"}, "subject": "maths", "kind": "mcq",
             "count": 10, "options": ["A", "B", "A"], "points": 0, "first": 1},
            {"key": "s2", "titles": {"uz": "Geometriya"}, "subject": "math", "kind": "free",
             "count": 5, "parts": [], "points": 1.005, "first": 8},
        ],
    }  # fmt: skip
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    assert main(["layouts", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "not a valid layout (5 problem(s))" in err
    for words in (
        "Section 1 (Algebra): unknown subject 'maths'",
        "Section 1 (Algebra): points must be more than 0",
        "Section 1 (Algebra): options repeat: A, B, A",
        "Section 2 (Geometriya): points go in steps of 0.01 (1.005)",
        "Section 2 (Geometriya): exercises 8–12 overlap section 1 (1–10)",
    ):
        assert words in err
    assert main(["layouts", "check", str(path), "--lang", "ru"]) == 1
    assert "Раздел 1 (Algebra): неизвестный предмет 'maths'" in capsys.readouterr().err
    path.write_text("{not json", encoding="utf-8")
    assert main(["layouts", "check", str(path)]) == 1
    assert "not a valid layout (1 problem(s))" in capsys.readouterr().err
    assert main(["layouts", "check", str(tmp_path / "missing.json")]) == 1
    assert "cannot be read" in capsys.readouterr().err


def test_create_admin_with_a_language_keeps_it(sqlite_url, capsys):
    from sqlmodel import select

    from mockexam.db import session_scope
    from mockexam.models import Admin

    assert main(["create-admin", "rustam", "--password", "first password", "--language", "ru"]) == 0
    assert "panel in ru" in capsys.readouterr().out
    assert main(["create-admin", "bekzod", "--password", "first password"]) == 0
    with session_scope(readonly=True) as db:
        languages = dict(db.exec(select(Admin.username, Admin.language)).all())
    assert languages["rustam"] == "ru" and languages["bekzod"] == "en"  # the tests' default
    with pytest.raises(SystemExit):
        main(["create-admin", "x1y", "--password", "first password", "--language", "de"])
