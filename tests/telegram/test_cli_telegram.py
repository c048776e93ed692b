"""`python -m mockexam broadcast / notify`: the CLI entry points (run in-process)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mockexam.cli import main
from mockexam.db import session_scope, utcnow
from tests.factories import make_exam, make_student

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def test_cli_broadcast_without_token_is_stored_and_says_nothing_is_sent(db_url, capsys):
    with session_scope() as db:
        make_student(db, telegram_id=801)
    assert main(["broadcast", "--text", "Salom"]) == 0
    out = capsys.readouterr().out
    assert "created for 1 student(s)" in out
    assert "TELEGRAM_BOT_TOKEN is unset" in out


def test_cli_notify_here_sends_through_the_fake_and_reports(db_url, telegram, capsys):
    with session_scope() as db:
        make_student(db, telegram_id=802)
        exam = make_exam(db, start=utcnow() + timedelta(days=1))
    assert main(["notify", str(exam.id), "--here"]) == 0
    out = capsys.readouterr().out
    assert "1 sent" in out and "done" in out
    assert main(["notify", str(exam.id)]) == 0
    assert "already exists" in capsys.readouterr().out
    assert [m.chat_id for m in telegram.messages] == [802]


def test_cli_notify_results_before_release_is_a_clear_error(db_url, capsys):
    with session_scope() as db:
        exam = make_exam(db)
    assert main(["notify", str(exam.id), "--kind", "results"]) == 2
    assert "only after they are released" in capsys.readouterr().err
