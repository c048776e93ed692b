"""Notify with live progress, the broadcasts page, the live monitor, results, exports, audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from mockexam.admin.audit import AuditState
from mockexam.admin.broadcasts import BroadcastsState
from mockexam.admin.monitor import MonitorState
from mockexam.admin.notify import NotifyState
from mockexam.admin.progress import eta_text, progress_view, sending_notice
from mockexam.admin.results import PAGE_SIZE, ResultsState, signed
from mockexam.db import session_scope, utcnow
from mockexam.models import Admin, AuditLog, Broadcast, Delivery
from mockexam.services import broadcasts as broadcast_service
from mockexam.services.release import release_exam
from mockexam.services.sessions import start_session
from tests.admin.helpers import make_state, run, sibling
from tests.factories import make_cohort, make_exam, make_student


def _path(exam_id: int) -> str:
    return f"/admin/exams/{exam_id}"


def _published(n_students: int = 3, **kwargs) -> int:
    with session_scope() as db:
        for _ in range(n_students):
            make_student(db)
        exam = make_exam(db, start=utcnow() + timedelta(days=1), **kwargs)
        return exam.id


def _released(n: int = 30) -> int:
    """A closed exam with `n` graded sessions, released (calibrated)."""
    with session_scope() as db:
        exam = make_exam(db, title="Released", start=utcnow() - timedelta(days=2), hours=3)
        make_cohort(db, exam, n=n, graded=True)
        exam_id = exam.id
    assert release_exam(exam_id) is not None
    return exam_id


# --- Notify ------------------------------------------------------------------------
def test_notify_without_telegram_stores_the_broadcast_and_says_nothing_is_sent(admin):
    exam_id = _published(n_students=3)
    state = make_state(NotifyState, path=_path(exam_id), token=admin.token)
    run(NotifyState.load, state)
    assert state.has_current is False and state.delivery_enabled is False

    run(NotifyState.notify, state, "new")

    assert state.error == "" and "Sending to 3 students." in state.notice
    assert state.has_current and state.current["total"] == 3
    assert state.current["pending"] == 3 and state.current["done"] is False
    assert "not configured" in state.current["notice"]
    with session_scope() as db:
        broadcast = db.exec(select(Broadcast)).one()
        assert broadcast.created_by_admin_id == admin.admin_id
        assert db.exec(select(AuditLog).where(AuditLog.action == "broadcast.create")).one()

    # Pressing again shows the same broadcast (once per exam), nothing new is created.
    run(NotifyState.notify, state, "new")
    assert "already made" in state.notice
    with session_scope() as db:
        assert len(db.exec(select(Broadcast)).all()) == 1


def test_notify_sends_through_the_fake_bot_api_and_progress_reaches_100_percent(admin, telegram):
    exam_id = _published(n_students=4)
    state = make_state(NotifyState, path=_path(exam_id), token=admin.token)

    run(NotifyState.notify, state, "new")  # huey.immediate: the sender runs inline
    run(NotifyState.tick, state, "")

    assert state.current["sent"] == 4 and state.current["total"] == 4
    assert state.current["percent"] == 100.0 and state.current["done"] is True
    assert len(telegram.messages) == 4

    # A reload (a fresh state) reads the same report from the database.
    again = make_state(NotifyState, path=_path(exam_id), token=admin.token)
    run(NotifyState.load, again)
    assert again.current["broadcast_id"] == state.current["broadcast_id"]
    assert again.current["sent"] == 4 and again.current["done"] is True


def test_tick_follows_the_database_while_a_broadcast_is_being_sent(admin):
    exam_id = _published(n_students=2)
    state = make_state(NotifyState, path=_path(exam_id), token=admin.token)
    run(NotifyState.notify, state, "new")
    with session_scope() as db:
        first = db.exec(select(Delivery).order_by(Delivery.id)).first()
        first.status = "sent"
        db.add(first)

    run(NotifyState.tick, state, "")

    assert state.current["sent"] == 1 and state.current["pending"] == 1
    assert state.current["percent"] == 50.0


@pytest.mark.parametrize(
    ("kind", "message"),
    [("open", "only while the exam's window is open"), ("results", "after they are released")],
)
def test_notify_refusals_are_shown(admin, kind, message):
    exam_id = _published()
    state = make_state(NotifyState, path=_path(exam_id), token=admin.token)

    run(NotifyState.notify, state, kind)

    assert message in state.error
    with session_scope() as db:
        assert db.exec(select(Broadcast)).all() == []


def test_notify_of_a_draft_is_refused(admin):
    with session_scope() as db:
        exam_id = make_exam(db, start=utcnow() + timedelta(days=1), publish=False).id
    state = make_state(NotifyState, path=_path(exam_id), token=admin.token)
    run(NotifyState.notify, state, "new")
    assert "publish it first" in state.error


def test_notify_ignores_unknown_kinds(admin):
    exam_id = _published()
    state = make_state(NotifyState, path=_path(exam_id), token=admin.token)
    run(NotifyState.notify, state, "everyone")
    assert state.error == "" and state.notice == ""


# --- Broadcasts page -----------------------------------------------------------------
def test_custom_broadcast_is_sent_and_listed_with_its_report(admin, telegram):
    with session_scope() as db:
        for _ in range(3):
            make_student(db)
    state = make_state(BroadcastsState, path="/admin/broadcasts", token=admin.token)
    run(BroadcastsState.load, state)
    assert state.rows == [] and state.delivery_enabled

    run(BroadcastsState.send, state, {"text": "Exam moved to Sunday", "channel": "on"})

    assert "Sending to 3 students." in state.notice
    assert len(telegram.messages) == 3
    run(BroadcastsState.tick, state, "")
    assert state.current["sent"] == 3 and state.current["done"]
    assert [r["kind"] for r in state.rows] == ["Message"]
    assert state.rows[0]["text"] == "Exam moved to Sunday"
    run(BroadcastsState.show, state, state.rows[0]["broadcast_id"])
    assert state.current["broadcast_id"] == state.rows[0]["broadcast_id"]


@pytest.mark.parametrize(
    ("form", "message"),
    [({"text": "  "}, "Write the message first"), ({"text": "x" * 5000}, "longer than")],
)
def test_custom_broadcast_refuses_empty_or_long_text(admin, form, message):
    state = make_state(BroadcastsState, path="/admin/broadcasts", token=admin.token)
    run(BroadcastsState.send, state, form)
    assert message in state.error
    with session_scope() as db:
        assert db.exec(select(Broadcast)).all() == []


def _speaks(username: str, lang: str) -> None:
    with session_scope() as db:
        row = db.exec(select(Admin).where(Admin.username == username)).one()
        row.language = lang
        db.add(row)


def test_notify_and_broadcasts_speak_the_admins_language(admin):
    _speaks("alice", "ru")
    exam_id = _published(n_students=3)
    state = make_state(NotifyState, path=_path(exam_id), token=admin.token)

    run(NotifyState.notify, state, "open")  # not open yet: the service's refusal, in Russian
    assert state.error == "Напоминание отправляется, только пока окно экзамена открыто."
    run(NotifyState.notify, state, "new")
    assert state.error == "" and state.notice == "Отправляем 3 ученикам."
    assert state.current["kind"] == "Новый экзамен" and state.current["status"] == "ожидает"
    assert state.current["notice"].startswith("Telegram не настроен")
    run(NotifyState.notify, state, "new")
    assert state.notice.startswith("Это объявление уже отправлялось")

    page = make_state(BroadcastsState, path="/admin/broadcasts", token=admin.token)
    run(BroadcastsState.send, page, {"text": "  "})
    assert page.error == "Сначала напишите сообщение."
    run(BroadcastsState.load, page)
    assert [r["kind"] for r in page.rows] == ["Новый экзамен"]


def test_progress_words_follow_the_language():
    assert sending_notice("ru", 1) == "Отправляем 1 ученику."
    assert sending_notice("en", 1) == "Sending to 1 student."
    assert sending_notice("uz", 21) == "21 ta o‘quvchiga yuborilmoqda."
    assert eta_text(125, "ru") == "осталось около 2 мин 5 с"
    assert eta_text(125) == "about 2 min 5 s left"
    assert eta_text(7300, "uz") == "taxminan 2 soat 1 daq qoldi"
    # What the sender stored in English is worded again; Telegram's own text stays as it is.
    refused = broadcast_service.TOKEN_REFUSED[2].format(detail="401: Unauthorized")
    assert broadcast_service.stored_message(refused).text("ru") == (
        "Telegram отклонил токен бота (401: Unauthorized); проверьте TELEGRAM_BOT_TOKEN."
    )
    assert broadcast_service.stored_message("Bad Request: chat not found").text("uz") == (
        "Bad Request: chat not found"
    )
    assert broadcast_service.stored_message(None) is None


def test_a_stored_channel_error_and_the_unknown_notice_in_russian(admin):
    exam_id = _published(n_students=2)
    with session_scope() as db:
        created = broadcast_service.notify_new_exam(db, exam_id)
        broadcast = db.get(Broadcast, created.broadcast_id)
        broadcast.status = "sending"
        broadcast.started_at = utcnow() - timedelta(seconds=5)
        broadcast.channel_status = "failed"
        broadcast.channel_error = broadcast_service.NO_CHANNEL[2]
        db.add(broadcast)
        for row in db.exec(select(Delivery)):
            row.status, row.updated_at = "unknown", utcnow()
            db.add(row)
    with session_scope(readonly=True) as db:
        progress = broadcast_service.broadcast_progress(db, created.broadcast_id)
    view = progress_view(progress, "ru")
    assert view["channel"] == "Пост в канале: ошибка (TELEGRAM_CHANNEL_ID не задан.)"
    assert view["status"] == "отправляется" and view["percent_text"] == "100"
    # Rows finished in the last seconds: someone is sending; two of them may not have arrived.
    assert view["notice"].startswith("Неизвестно, дошли ли сообщения (2)")
    assert progress.notice is not None and "not resent" in progress.notice  # the CLI's English


# --- Monitor -----------------------------------------------------------------------
def test_monitor_counts_started_in_progress_and_submitted(admin):
    with session_scope() as db:
        exam = make_exam(db, title="Open")
        students = [make_student(db) for _ in range(4)]
        for s in students[:3]:
            start_session(db, student_id=s.id, exam_id=exam.id)
        exam_id = exam.id
    from mockexam.services.sessions import submit_session

    with session_scope() as db:
        from mockexam.services.sessions import find_session

        first = find_session(db, student_id=students[0].id, exam_id=exam_id)
        submit_session(db, student_id=students[0].id, session_id=first.id)
    state = make_state(MonitorState, path=_path(exam_id), token=admin.token)

    run(MonitorState.load, state)

    assert state.phase == "open"
    assert (state.started, state.in_progress, state.submitted, state.not_started) == (3, 2, 1, 1)
    assert state.submitted_percent == 33
    run(MonitorState.tick, state, "")
    assert state.started == 3


# --- Results -----------------------------------------------------------------------
def test_results_page_sorts_pages_and_searches(admin):
    exam_id = _released(n=60)
    state = make_state(ResultsState, path=_path(exam_id), token=admin.token)

    run(ResultsState.load, state)
    assert state.total == 60 and len(state.rows) == PAGE_SIZE
    points = [int(r["points"].split("/")[0]) for r in state.rows]
    assert points == sorted(points, reverse=True)
    assert state.rows[0]["rank"] == 1 and state.rows[0]["scaled"].count("±") == 1

    run(ResultsState.sort_by, state, "points")  # same column: ascending now
    points = [int(r["points"].split("/")[0]) for r in state.rows]
    assert points == sorted(points) and state.descending is False

    run(ResultsState.page, state, 1)
    assert state.offset == PAGE_SIZE and len(state.rows) == 10 and state.rows[0]["rank"] == 51
    run(ResultsState.page, state, 1)  # past the end: stays
    assert state.offset == PAGE_SIZE

    run(ResultsState.find, state, {"search": "Sim7"})
    assert state.offset == 0 and {r["name"] for r in state.rows} >= {"Sim7"}
    assert all("Sim7" in r["name"] for r in state.rows)

    run(ResultsState.sort_by, state, "no_such_column")
    assert state.sort == "points"

    assert state.exam_id == exam_id  # the export links (tests/admin/test_export_routes.py)
    assert "export" not in ResultsState.event_handlers  # files never go over the websocket


def test_results_filtered_by_a_group_show_its_students_only(admin):
    from sqlmodel import col, select

    from mockexam.models import ExamSession
    from mockexam.services import groups

    exam_id = _released(n=12)
    with session_scope() as db:
        sessions = dict(
            db.exec(
                select(ExamSession.id, ExamSession.student_id)
                .where(ExamSession.exam_id == exam_id)
                .order_by(col(ExamSession.id))
            ).all()
        )
        takers = list(sessions.values())
        group = groups.create_group(db, name="Matematika 9-A", actor_id=None)
        for sid in takers[:4]:
            groups.add_member(db, group.id, sid, actor_id=None)
        group_id = group.id
    state = make_state(ResultsState, path=_path(exam_id), token=admin.token)
    run(ResultsState.load, state)
    assert [c["label"] for c in state.group_choices] == ["All students", "Matematika 9-A"]
    assert state.total == 12

    run(ResultsState.filter_group, state, str(group_id))
    assert (state.group, state.total) == (str(group_id), 4)
    assert {sessions[r["session_id"]] for r in state.rows} == set(takers[:4])
    assert [r["rank"] for r in state.rows] == [1, 2, 3, 4]

    run(ResultsState.filter_group, state, "99999")  # gone: says so, back to everyone
    assert "no such group" in state.error
    assert (state.group, state.total) == ("", 12)
    run(ResultsState.filter_group, state, str(group_id))
    run(ResultsState.filter_group, state, "not-an-id")  # ignored
    assert (state.group, state.total) == (str(group_id), 4)
    run(ResultsState.filter_group, state, "all")
    assert (state.group, state.total) == ("", 12)


def test_signed_changes_read_well():
    assert (signed(12.4), signed(-7.6), signed(0.2), signed(None)) == (
        "+12",
        "\u22128",
        "\u00b10",
        "—",
    )


# --- Audit log ---------------------------------------------------------------------
def test_audit_page_lists_who_did_what_newest_first_and_filters(admin):
    exam_id = _published()
    state = make_state(NotifyState, path=_path(exam_id), token=admin.token)
    run(NotifyState.notify, state, "new")
    audit = make_state(AuditState, path="/admin/audit", token=admin.token)

    run(AuditState.load, audit)

    actions = [r["action"] for r in audit.rows]
    assert actions[0] == "broadcast.create"
    assert "admin.login" in actions
    assert audit.rows[0]["admin"] == "alice"
    run(AuditState.set_filter, audit, "broadcast.")
    assert [r["action"] for r in audit.rows] == ["broadcast.create"] and audit.total == 1
    run(AuditState.set_filter, audit, "'; drop table audit;--")
    assert audit.action_filter == "broadcast."


def test_audit_rows_name_what_they_are_about_in_the_admins_language(admin):
    _speaks("alice", "ru")
    exam_id = _published()
    state = make_state(NotifyState, path=_path(exam_id), token=admin.token)
    run(NotifyState.notify, state, "new")
    audit = make_state(AuditState, path="/admin/audit", token=admin.token)

    run(AuditState.load, audit)

    assert audit.rows[0]["action"] == "broadcast.create"  # a code: never translated
    assert audit.rows[0]["target"].startswith("рассылка #")
    assert audit.rows[0]["admin"] == "alice"


def test_analytics_notes_and_refusals_in_the_admins_language(admin):
    from mockexam.admin.analytics import AnalyticsChartsState, AnalyticsState, ScoreChartState

    _speaks("alice", "uz")
    state = make_state(AnalyticsState, path="/admin/analytics", token=admin.token)
    run(AnalyticsState.load, state)
    figures = sibling(state, AnalyticsChartsState)
    assert figures.growth.layout.annotations[0].text == "Hali o‘quvchilar yo‘q."
    score = sibling(state, ScoreChartState)
    run(ScoreChartState.choose, score, "not-an-id")
    assert score.error == "Ro‘yxatdan imtihonni tanlang."
