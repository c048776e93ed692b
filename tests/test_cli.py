"""The command line against a real database: seed, key import, sweep, calibrate, exclude."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from mockexam.cli import main
from mockexam.db import session_scope, utcnow
from mockexam.models import Admin, Exam, ExamStatus, ItemStatistic
from mockexam.services.exams import get_items
from tests.factories import make_cohort, make_exam


def test_seed_demo_then_if_empty_adds_nothing(sqlite_url, capsys):
    assert main(["seed-demo", "--if-empty", "--students", "40"]) == 0
    with session_scope(readonly=True) as db:
        exams = db.exec(select(Exam).order_by(Exam.window_start)).all()
        assert [e.status for e in exams] == [ExamStatus.RELEASED, ExamStatus.PUBLISHED]
        assert db.exec(select(Admin)).one().username == "admin"
    assert main(["seed-demo", "--if-empty"]) == 0
    assert "nothing was added" in capsys.readouterr().out
    with session_scope(readonly=True) as db:
        assert len(db.exec(select(Exam)).all()) == 2


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
