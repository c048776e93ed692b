"""The groups pages through their handlers: an owner runs the groups, a teacher sees only
their own and decides its roster matches, and gets nothing of another group."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from mockexam.admin.auth import AuthStatus
from mockexam.admin.groups import GroupsState, GroupState
from mockexam.db import session_scope
from mockexam.models import (
    AdminRole,
    GroupMember,
    GroupTeacher,
    RosterEntry,
    RosterStatus,
    StudentGroup,
)
from mockexam.services import groups
from tests.admin.helpers import admin_token, make_admin, make_state, run
from tests.factories import make_student

ROSTER = "Aliyev Jasur\t@jasur_a\tMatematika 9-A\nKarimova Dilnoza\t+998901234567\tFizika 10\n"


def _counts() -> tuple[int, int, int, int]:
    with session_scope(readonly=True) as db:
        return tuple(
            db.exec(select(func.count()).select_from(m)).one()
            for m in (StudentGroup, GroupMember, GroupTeacher, RosterEntry)
        )


def test_an_owner_creates_groups_imports_a_roster_and_runs_a_group(db_url, monkeypatch):
    from mockexam.config import settings

    monkeypatch.setattr(settings, "telegram_bot_username", "centre_bot")
    with session_scope() as db:
        jasur = make_student(db, first_name="Jasur", username="jasur_a").id
    tess = make_admin("tess", AdminRole.TEACHER)
    state = make_state(GroupsState, path="/admin/groups", token=admin_token("olga"))
    run(GroupsState.load, state)
    assert (state.loaded, state.rows, state.can_manage) == (True, [], True)
    run(GroupsState.create, state, {"name": "Matematika 9-A"})
    assert "Matematika 9-A" in state.notice
    run(GroupsState.import_roster, state, {"roster": ROSTER})
    assert "2 rows: 1 matched, 0 to confirm, 1 waiting" in state.notice
    assert [(r["name"], r["members"], r["waiting"]) for r in state.rows] == [
        ("Fizika 10", 0, 1),
        ("Matematika 9-A", 1, 0),
    ]
    run(GroupsState.import_roster, state, {"roster": "Only a name\n"})
    assert "3 columns are needed" in state.error
    assert state.roster_error_lines == [
        "1: 3 columns are needed (full name, Telegram username or phone, group); there are 1."
    ]

    group_id = next(r["group_id"] for r in state.rows if r["name"] == "Matematika 9-A")
    page = make_state(GroupState, path=f"/admin/groups/{group_id}", token=admin_token("olga"))
    run(GroupState.load, page)
    assert page.name == "Matematika 9-A" and page.can_manage
    assert page.invite_bot.startswith("https://t.me/centre_bot?start=g_")
    assert page.invite_app == page.invite_bot.replace("?start=", "?startapp=")
    assert [(m["full_name"], m["username"]) for m in page.members] == [("Aliyev Jasur", "jasur_a")]
    old_link = page.invite_bot
    run(GroupState.rotate_code, page)
    assert page.invite_bot != old_link and "new invite link" in page.notice
    run(GroupState.toggle_teacher, page, tess)
    assert [t["username"] for t in page.teachers if t["chosen"]] == ["tess"]
    run(GroupState.rename, page, {"name": "Matematika 9-B"})
    assert page.name == "Matematika 9-B"
    run(GroupState.remove_member, page, jasur)
    assert page.members == []
    run(GroupState.set_archived, page, True)
    assert page.archived
    with session_scope(readonly=True) as db:
        assert db.get(StudentGroup, group_id).archived_at is not None


def _teacher_world() -> dict[str, int]:
    """Group A (tess teaches it) with an uncertain match; group B, someone else's, too."""
    tess = make_admin("tess", AdminRole.TEACHER)
    with session_scope() as db:
        a = groups.create_group(db, name="A", actor_id=None)
        b = groups.create_group(db, name="B secret", actor_id=None)
        groups.set_teachers(db, a.id, [tess], actor_id=None)
        ids = {"a": a.id, "b": b.id, "tess": tess}
        for name, group in (("a", a), ("b", b)):
            student = make_student(db, first_name="Dilnoza", last_name="Karimova")
            groups.import_roster(db, f"Karimova Dilnoza,,{group.name}\n".encode(), actor_id=None)
            groups.join_by_code(db, student_id=student.id, code=group.invite_code)
            entry = db.exec(
                select(RosterEntry).where(
                    RosterEntry.group_id == group.id, RosterEntry.status == RosterStatus.UNCERTAIN
                )
            ).one()
            ids[f"entry_{name}"] = entry.id
    return ids


def test_a_teacher_sees_their_group_and_decides_its_matches_only(db_url):
    world = _teacher_world()
    token = admin_token("tess", AdminRole.TEACHER)
    state = make_state(GroupsState, path="/admin/groups", token=token)
    run(GroupsState.load, state)
    assert [r["name"] for r in state.rows] == ["A"]
    assert not state.can_manage

    page = make_state(GroupState, path=f"/admin/groups/{world['a']}", token=token)
    run(GroupState.load, page)
    assert page.name == "A" and page.teachers == [] and not page.can_manage
    run(GroupState.decide, page, world["entry_a"], True)
    assert page.notice == "Confirmed." and page.members[0]["full_name"] == "Karimova Dilnoza"

    before = _counts()
    run(GroupState.decide, page, world["entry_b"], True)  # group B's row, from A's page
    assert "no such row" in page.error
    other = make_state(GroupState, path=f"/admin/groups/{world['b']}", token=token)
    run(GroupState.load, other)
    assert "no such group" in other.error
    assert other.name == "" and other.members == [] and other.roster == []
    assert "B secret" not in repr(other.dict())
    with session_scope(readonly=True) as db:
        assert db.get(RosterEntry, world["entry_b"]).status == RosterStatus.UNCERTAIN
    assert _counts() == before


def test_a_teacher_changes_no_group(db_url):
    world = _teacher_world()
    token = admin_token("tess", AdminRole.TEACHER)
    before = _counts()
    state = make_state(GroupsState, path="/admin/groups", token=token)
    run(GroupsState.create, state, {"name": "Mine now"})
    run(GroupsState.import_roster, state, {"roster": ROSTER})
    assert state.parent_state.auth_status == AuthStatus.FORBIDDEN
    for group in ("a", "b"):
        page = make_state(GroupState, path=f"/admin/groups/{world[group]}", token=token)
        run(GroupState.rotate_code, page)
        run(GroupState.rename, page, {"name": "Renamed"})
        run(GroupState.set_archived, page, True)
        run(GroupState.toggle_teacher, page, world["tess"])
        run(GroupState.remove_member, page, 1)
        assert page.parent_state.auth_status == AuthStatus.FORBIDDEN
    assert _counts() == before
    with session_scope(readonly=True) as db:
        assert sorted(g.name for g in db.exec(select(StudentGroup)).all()) == ["A", "B secret"]


def test_the_exam_page_sets_who_may_take_the_exam(db_url):
    from mockexam.admin.exam_audience import AudienceState
    from tests.factories import make_exam

    with session_scope() as db:
        exam = make_exam(db).id
        a = groups.create_group(db, name="Matematika 9-A", actor_id=None).id
        b = groups.create_group(db, name="Fizika 10", actor_id=None).id
    path = f"/admin/exams/{exam}"
    state = make_state(AudienceState, path=path, token=admin_token("olga"))
    run(AudienceState.load, state)
    assert state.everyone and [c["name"] for c in state.choices] == ["Fizika 10", "Matematika 9-A"]
    run(AudienceState.save, state, {"audience": "groups", f"group_{a}": "on", "group_x": "on"})
    assert state.notice == "Now for these groups only: Matematika 9-A."
    assert not state.everyone and [c["chosen"] for c in state.choices] == [False, True]
    run(AudienceState.save, state, {"audience": "groups"})
    assert "at least one live group" in state.error
    for bad in ({}, {"audience": "all"}, {"audience": None}, {"audience": ["groups"]}):
        run(AudienceState.save, state, bad)
        assert state.error == "Choose “Everyone” or “Chosen groups only”.", bad
    with session_scope(readonly=True) as db:
        assert groups.exam_audience(db, exam) == ("groups", [a])
    teacher = make_state(AudienceState, path=path, token=admin_token("tess", AdminRole.TEACHER))
    run(AudienceState.save, teacher, {"audience": "groups", f"group_{b}": "on"})
    assert teacher.parent_state.auth_status == AuthStatus.FORBIDDEN
    run(AudienceState.save, state, {"audience": "everyone", f"group_{b}": "on"})
    assert state.notice == "Open to everyone."
    with session_scope(readonly=True) as db:
        assert groups.exam_audience(db, exam) == ("everyone", [])


def test_an_owner_imports_a_roster_file_and_a_teacher_cannot(db_url):
    import io
    from pathlib import Path

    import reflex as rx
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Aliyev Jasur", "@jasur_a", "Matematika 9-A"])
    book.active.append(["Karimova Dilnoza", "+998901234567", "Fizika 10"])
    out = io.BytesIO()
    book.save(out)

    def upload(data: bytes, name: str) -> list[rx.UploadFile]:
        return [rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))]

    with session_scope() as db:
        make_student(db, first_name="Jasur", username="jasur_a")
    teacher = make_state(
        GroupsState, path="/admin/groups", token=admin_token("tess", AdminRole.TEACHER)
    )
    run(GroupsState.upload_roster, teacher, upload(out.getvalue(), "list.xlsx"))
    assert _counts() == (0, 0, 0, 0) and teacher.notice == ""

    state = make_state(GroupsState, path="/admin/groups", token=admin_token("olga"))
    run(GroupsState.upload_roster, state, upload(b"%PDF-1.4", "list.pdf"))
    assert state.roster_error_lines == ["Choose a .csv or .xlsx file."]
    run(GroupsState.upload_roster, state, upload(out.getvalue(), "list.xlsx"))
    assert "2 rows: 1 matched, 0 to confirm, 1 waiting" in state.notice
    assert [(r["name"], r["members"], r["waiting"]) for r in state.rows] == [
        ("Fizika 10", 0, 1),
        ("Matematika 9-A", 1, 0),
    ]
    run(GroupsState.upload_roster, state, [])
    assert "Choose one .csv or .xlsx file" in state.error
