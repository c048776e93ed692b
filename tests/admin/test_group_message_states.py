"""“Message this group” through its handlers: the group's teacher, an admin and an owner send
to the group's members; a teacher of another group gets nothing and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from mockexam.admin.auth import AuthStatus
from mockexam.admin.group_message import GroupMessageState, group_message_card
from mockexam.db import session_scope
from mockexam.models import AdminRole, AuditLog, Broadcast, Delivery
from mockexam.services import groups
from tests.admin.helpers import admin_token, make_admin, make_state, run
from tests.factories import make_student

TEXT = "Ertaga soat 9:00 da sinov imtihoni."


def _world() -> tuple[int, int, set[int]]:
    """Two groups, each with its own teacher: (the group, the other group, its members' chats)."""
    tess = make_admin("tess", AdminRole.TEACHER)
    tom = make_admin("tom", AdminRole.TEACHER)
    with session_scope() as db:
        members = [make_student(db) for _ in range(2)]
        outsider = make_student(db)
        group = groups.create_group(db, name="Matematika 9-A", actor_id=None).id
        other = groups.create_group(db, name="Fizika 10", actor_id=None).id
        for student in members:
            groups.add_member(db, group, student.id, actor_id=None)
        groups.add_member(db, other, outsider.id, actor_id=None)
        groups.set_teachers(db, group, [tess], actor_id=None)
        groups.set_teachers(db, other, [tom], actor_id=None)
        return group, other, {s.telegram_id for s in members}


def _page(group_id: int, username: str, role: AdminRole) -> GroupMessageState:
    return make_state(
        GroupMessageState, path=f"/admin/groups/{group_id}", token=admin_token(username, role)
    )


def _counts() -> tuple[int, int, int]:
    with session_scope(readonly=True) as db:
        return tuple(
            db.exec(select(func.count()).select_from(m)).one()
            for m in (Broadcast, Delivery, AuditLog)
        )


def _delivered_chats(broadcast_id: int) -> set[int]:
    with session_scope(readonly=True) as db:
        return set(db.exec(select(Delivery.chat_id).where(Delivery.broadcast_id == broadcast_id)))


@pytest.mark.parametrize(
    ("username", "role"),
    [("tess", AdminRole.TEACHER), ("olga", AdminRole.ADMIN), ("owen", AdminRole.OWNER)],
)
def test_the_groups_teacher_an_admin_and_an_owner_message_the_groups_members(
    db_url, username, role
):
    group, _other, member_chats = _world()
    page = _page(group, username, role)
    run(GroupMessageState.load, page)
    assert (page.loaded, page.messages, page.error) == (True, [], "")
    assert page.delivery_enabled is False  # no bot token in the tests

    run(GroupMessageState.send, page, {"text": f"  {TEXT}\u202e "})

    assert page.error == "" and page.notice == "Sending to 2 students."
    assert page.form_version == 1
    (shown,) = page.messages
    assert (shown["text"], shown["total"], shown["pending"]) == (TEXT, 2, 2)
    assert _delivered_chats(shown["broadcast_id"]) == member_chats
    with session_scope(readonly=True) as db:
        broadcast = db.get(Broadcast, shown["broadcast_id"])
        row = db.exec(select(AuditLog).where(AuditLog.action == "broadcast.create")).one()
    assert broadcast.created_by_admin_id == row.admin_id is not None
    assert row.entity_id == shown["broadcast_id"] and row.details["group_id"] == group

    # A reload reads the same list from the database.
    again = _page(group, username, role)
    run(GroupMessageState.load, again)
    assert [m["broadcast_id"] for m in again.messages] == [shown["broadcast_id"]]


def test_a_teacher_of_another_group_gets_nothing_and_changes_nothing(db_url):
    group, _other, _chats = _world()
    owner = _page(group, "owen", AdminRole.OWNER)
    run(GroupMessageState.send, owner, {"text": "Faqat 9-A uchun"})
    page = _page(group, "tom", AdminRole.TEACHER)  # (signing in is audited too)
    before = _counts()

    run(GroupMessageState.load, page)
    assert page.messages == [] and page.loaded is False
    assert "no such group" in page.error
    run(GroupMessageState.send, page, {"text": TEXT})

    assert page.messages == [] and page.notice == ""
    assert "no such group" in page.error
    assert "Faqat 9-A" not in repr(page.dict()) and "Matematika" not in repr(page.dict())
    assert _counts() == before


def test_the_group_comes_from_the_route_never_from_the_form(db_url):
    group, other, member_chats = _world()
    page = _page(group, "tess", AdminRole.TEACHER)

    run(GroupMessageState.send, page, {"text": TEXT, "group_id": other})

    (shown,) = page.messages
    assert _delivered_chats(shown["broadcast_id"]) == member_chats


def test_refusals_are_shown_and_create_nothing(db_url):
    group, _other, _chats = _world()
    page = _page(group, "olga", AdminRole.ADMIN)
    before = _counts()

    for form in ({"text": "   "}, {"text": 5}, {}, "not a form"):
        run(GroupMessageState.send, page, form)
        assert page.error == "The message is empty." and page.notice == ""
    run(GroupMessageState.send, page, {"text": "x" * 5000})
    assert "Telegram allows at most 4096" in page.error
    assert _counts() == before

    with session_scope() as db:
        groups.set_archived(db, group, True, actor_id=None)
    run(GroupMessageState.send, page, {"text": TEXT})
    assert page.error == "The group “Matematika 9-A” is archived; it gets no messages."
    assert _counts()[:2] == before[:2]

    nowhere = make_state(GroupMessageState, path="/admin/groups", token=admin_token("olga"))
    run(GroupMessageState.send, nowhere, {"text": TEXT})
    assert nowhere.error == "There is no such group."


def test_a_signed_out_tab_gets_nothing(db_url):
    group, _other, _chats = _world()
    page = make_state(GroupMessageState, path=f"/admin/groups/{group}")
    before = _counts()

    run(GroupMessageState.load, page)
    run(GroupMessageState.send, page, {"text": TEXT})

    assert page.auth_status == AuthStatus.DENIED
    assert (page.messages, page.error, page.notice, page.loaded) == ([], "", "", False)
    assert _counts() == before


def test_the_sender_delivers_a_group_message_to_the_members_only(db_url, telegram):
    group, _other, member_chats = _world()
    page = _page(group, "tess", AdminRole.TEACHER)

    run(GroupMessageState.send, page, {"text": TEXT})  # huey.immediate: the sender runs inline
    run(GroupMessageState.load, page)

    assert {m.chat_id for m in telegram.messages} == member_chats
    assert [m.text for m in telegram.messages] == [TEXT, TEXT]
    (shown,) = page.messages
    assert shown["sent"] == 2 and shown["done"] is True and shown["percent"] == 100.0


def test_the_card_renders(db_url):
    assert group_message_card() is not None
