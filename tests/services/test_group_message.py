"""A message to one group: only its reachable members get it, refusals create nothing.

On SQLite and PostgreSQL (the group is found again through a JSON field of the
broadcast's audit row, which both read).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from mockexam.db import session_scope
from mockexam.errors import NotFoundError, ValidationError
from mockexam.models import AdminRole, AuditLog, Broadcast, Delivery, Student
from mockexam.services import broadcasts, groups
from mockexam.services.access import Scope, scope_for
from mockexam.services.admins import create_admin
from mockexam.services.broadcasts import MAX_TEXT_CHARS
from tests.factories import make_student

PASSWORD = "correct horse battery"


def _count(model) -> int:
    with session_scope(readonly=True) as db:
        return db.exec(select(func.count()).select_from(model)).one()


def _nothing_sent() -> bool:
    return _count(Broadcast) == _count(Delivery) == 0 and not _broadcast_audit()


def _broadcast_audit() -> list[AuditLog]:
    with session_scope(readonly=True) as db:
        rows = list(db.exec(select(AuditLog).where(AuditLog.action == "broadcast.create")))
        db.expunge_all()
        return rows


def _admin(username: str = "olga", role: AdminRole = AdminRole.ADMIN) -> int:
    with session_scope() as db:
        return create_admin(db, username=username, password=PASSWORD, role=role).id


def _group_with(name: str, *student_ids: int) -> int:
    with session_scope() as db:
        group_id = groups.create_group(db, name=name, actor_id=None).id
        for student_id in student_ids:
            groups.add_member(db, group_id, student_id, actor_id=None)
        return group_id


def _student(*, reachable: bool = True) -> int:
    with session_scope() as db:
        student = make_student(db)
        student.is_reachable = reachable
        db.add(student)
        db.flush()
        return student.id


def _send(group_id: int, text: str = "Ertaga 9:00 da sinov.", *, admin_id: int, **kwargs):
    with session_scope() as db:
        return broadcasts.send_group_message(
            db, group_id=group_id, text=text, admin_id=admin_id, **kwargs
        )


def test_a_group_message_reaches_only_the_groups_reachable_members(db_url):
    admin_id = _admin()
    member, other_member = _student(), _student()
    blocked_member = _student(reachable=False)
    in_other_group, in_no_group = _student(), _student()
    group_id = _group_with("Matematika 9-A", member, other_member, blocked_member)
    other_group = _group_with("Fizika 10", in_other_group, member)

    created = _send(group_id, "  Ertaga 9:00 da sinov.  ", admin_id=admin_id)

    assert created.created and created.total == 2 and not created.channel_post
    with session_scope(readonly=True) as db:
        broadcast = db.get(Broadcast, created.broadcast_id)
        assert broadcast.kind == "custom" and broadcast.text == "Ertaga 9:00 da sinov."
        assert broadcast.created_by_admin_id == admin_id and broadcast.exam_id is None
        assert broadcast.channel_status is None
        delivered = set(
            db.exec(
                select(Delivery.student_id).where(Delivery.broadcast_id == created.broadcast_id)
            )
        )
        chats = set(db.exec(select(Delivery.chat_id)))
        member_chats = set(
            db.exec(select(Student.telegram_id).where(col(Student.id).in_([member, other_member])))
        )
    assert delivered == {member, other_member}
    assert in_other_group not in delivered and in_no_group not in delivered
    assert chats == member_chats
    (row,) = _broadcast_audit()
    assert (row.admin_id, row.entity, row.entity_id) == (
        admin_id,
        "broadcast",
        created.broadcast_id,
    )
    assert row.details["group_id"] == group_id and row.details["group"] == "Matematika 9-A"
    assert row.details["total"] == 2 and row.details["kind"] == "custom"

    # The group's page lists it with its progress; the other group's does not.
    with session_scope(readonly=True) as db:
        listed = broadcasts.list_group_messages(db, group_id)
        elsewhere = broadcasts.list_group_messages(db, other_group)
    assert [(p.broadcast_id, p.total, p.pending) for p in listed] == [(created.broadcast_id, 2, 2)]
    assert elsewhere == []


def test_group_messages_are_listed_newest_first_and_an_everyone_broadcast_is_not(db_url):
    admin_id = _admin()
    group_id = _group_with("Matematika 9-A", _student())
    first = _send(group_id, "Birinchi", admin_id=admin_id).broadcast_id
    with session_scope() as db:
        broadcasts.send_custom_broadcast(db, text="Hammaga", admin_id=admin_id)
    second = _send(group_id, "Ikkinchi", admin_id=admin_id).broadcast_id

    with session_scope(readonly=True) as db:
        listed = broadcasts.list_group_messages(db, group_id)
        latest = broadcasts.list_group_messages(db, group_id, limit=1)
    assert [(p.broadcast_id, p.text) for p in listed] == [
        (second, "Ikkinchi"),
        (first, "Birinchi"),
    ]
    assert [p.broadcast_id for p in latest] == [second]


@pytest.mark.parametrize("text", ["", "   \n ", "x" * (MAX_TEXT_CHARS + 1)])
def test_an_empty_or_too_long_message_is_refused_and_nothing_is_created(db_url, text):
    group_id = _group_with("Matematika 9-A", _student())

    with pytest.raises(ValidationError) as refused:
        _send(group_id, text, admin_id=_admin())

    assert "empty" in str(refused.value) or f"at most {MAX_TEXT_CHARS}" in str(refused.value)
    assert _nothing_sent()


def test_an_archived_group_is_refused_and_nothing_is_created(db_url):
    group_id = _group_with("Matematika 9-A", _student())
    with session_scope() as db:
        groups.set_archived(db, group_id, True, actor_id=None)

    with pytest.raises(ValidationError) as refused:
        _send(group_id, admin_id=_admin())

    assert str(refused.value) == "The group “Matematika 9-A” is archived; it gets no messages."
    assert "arxivda" in refused.value.text("uz") and "в архиве" in refused.value.text("ru")
    assert _nothing_sent()
    with session_scope(readonly=True) as db, pytest.raises(NotFoundError):
        broadcasts.list_group_messages(db, group_id + 1)


def test_an_unknown_group_is_refused_and_nothing_is_created(db_url):
    _student()

    with pytest.raises(NotFoundError, match="no such group"):
        _send(12345, admin_id=_admin())

    assert _nothing_sent()


def test_a_group_nobody_can_reach_is_refused_and_nothing_is_created(db_url):
    empty = _group_with("Bo'sh guruh")
    blocked_only = _group_with("Fizika 10", _student(reachable=False))

    for group_id in (empty, blocked_only):
        with pytest.raises(ValidationError, match="can get a message from the bot"):
            _send(group_id, admin_id=_admin(f"admin{group_id}"))

    assert _nothing_sent()


def test_a_teacher_reaches_their_own_group_and_another_reads_as_missing(db_url):
    tess = _admin("tess", AdminRole.TEACHER)
    mine = _group_with("Matematika 9-A", _student())
    theirs = _group_with("Fizika 10", _student())
    with session_scope() as db:
        groups.set_teachers(db, mine, [tess], actor_id=None)

    with session_scope() as db:
        scope = scope_for(db, admin_id=tess, role=AdminRole.TEACHER)
    with pytest.raises(NotFoundError):
        _send(theirs, admin_id=tess, scope=scope)
    with session_scope(readonly=True) as db, pytest.raises(NotFoundError):
        broadcasts.list_group_messages(db, theirs, scope=scope)
    assert _nothing_sent()

    created = _send(mine, admin_id=tess, scope=scope)
    assert created.total == 1
    with pytest.raises(NotFoundError):  # a teacher of no group reaches none
        _send(mine, admin_id=tess, scope=Scope(frozenset()))
    assert _count(Broadcast) == 1
