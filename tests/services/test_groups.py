"""Groups: names, invite codes, joining, teachers, members, rosters and their matches.

On SQLite and PostgreSQL. Bad input is refused with a specific message and
changes nothing; every change is in the audit log.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from mockexam.db import session_scope
from mockexam.errors import NotFoundError, PermissionDeniedError, ValidationError
from mockexam.models import (
    AdminRole,
    AuditLog,
    GroupMember,
    GroupTeacher,
    RosterEntry,
    RosterStatus,
    Student,
    StudentGroup,
)
from mockexam.services import groups
from mockexam.services.access import Scope, scope_for
from mockexam.services.admins import set_admin
from tests.factories import make_student

PASSWORD = "correct horse battery"


def _count(model) -> int:
    with session_scope(readonly=True) as db:
        return db.exec(select(func.count()).select_from(model)).one()


def _group(name: str = "Matematika 9-A") -> int:
    with session_scope() as db:
        return groups.create_group(db, name=name, actor_id=None).id


def _student(**fields) -> int:
    with session_scope() as db:
        return make_student(db, **fields).id


def _members(group_id: int) -> set[int]:
    with session_scope(readonly=True) as db:
        return set(
            db.exec(select(GroupMember.student_id).where(GroupMember.group_id == group_id)).all()
        )


def test_a_group_gets_a_clean_name_and_a_readable_unique_code(db_url):
    with session_scope() as db:
        group = groups.create_group(db, name="  Matematika \u202e 9-A  ", actor_id=None)
        other = groups.create_group(db, name="Fizika", actor_id=None)
    assert group.name == "Matematika 9-A"
    assert len(group.invite_code) == groups.CODE_LENGTH
    assert set(group.invite_code) <= set(groups.CODE_ALPHABET)
    assert group.invite_code != other.invite_code
    with session_scope(readonly=True) as db:
        actions = db.exec(select(AuditLog.action).where(AuditLog.entity == "group")).all()
    assert actions == ["group.created", "group.created"]


@pytest.mark.parametrize(
    ("name", "words"),
    [("", "Give the group a name"), ("   ", "Give the group a name"), ("x" * 81, "at most 80")],
)
def test_a_bad_group_name_is_refused_and_nothing_is_made(db_url, name, words):
    with session_scope() as db, pytest.raises(ValidationError) as err:
        groups.create_group(db, name=name, actor_id=None)
    assert words in err.value.text("en")
    assert _count(StudentGroup) == 0


def test_two_live_groups_cannot_share_a_name_but_an_archived_one_frees_it(db_url):
    first = _group("Fizika")
    with session_scope() as db, pytest.raises(ValidationError) as err:
        groups.create_group(db, name="FIZIKA", actor_id=None)
    assert "already a group called" in err.value.text("en")
    with session_scope() as db:
        groups.set_archived(db, first, True, actor_id=None)
    second = _group("Fizika")
    with session_scope() as db, pytest.raises(ValidationError):
        groups.set_archived(db, first, False, actor_id=None)  # the name is taken again
    kimyo = _group("Kimyo")
    with session_scope() as db, pytest.raises(ValidationError):
        groups.rename_group(db, kimyo, name="fizika", actor_id=None)
    with session_scope() as db:
        assert groups.rename_group(db, second, name="Fizika 10", actor_id=None).name == "Fizika 10"


def test_an_invite_code_adds_the_student_once_and_a_rotated_one_stops_working(db_url):
    group_id = _group()
    student = _student()
    with session_scope() as db:
        code = db.get(StudentGroup, group_id).invite_code
        joined = groups.join_by_code(db, student_id=student, code=code)
        again = groups.join_by_code(db, student_id=student, code=code)
    assert (joined.group_name, joined.new, again.new) == ("Matematika 9-A", True, False)
    assert _members(group_id) == {student}
    with session_scope() as db:
        new_code = groups.rotate_code(db, group_id, actor_id=None)
    assert new_code != code
    late = _student()
    with session_scope() as db, pytest.raises(NotFoundError) as err:
        groups.join_by_code(db, student_id=late, code=code)
    assert "no longer works" in err.value.text("en")
    with session_scope() as db:
        assert groups.join_by_code(db, student_id=late, code=new_code).new
    assert _members(group_id) == {student, late}


def test_an_archived_group_takes_no_one_new(db_url):
    group_id = _group()
    with session_scope() as db:
        code = groups.set_archived(db, group_id, True, actor_id=None).invite_code
    with session_scope() as db, pytest.raises(NotFoundError):
        groups.join_by_code(db, student_id=_student(), code=code)
    assert _members(group_id) == set()


@pytest.mark.parametrize(
    "param",
    ["", "g_", "g_ABCDEFGHJK", "g_abcdefghjk1", "g_abc", "x_abcdefghjk", "g_abcdefghj0", None, 7],
)
def test_a_start_parameter_that_is_not_an_invite_gives_no_code(param):
    assert groups.code_from_start(param) is None


def test_a_start_parameter_with_an_invite_gives_its_code():
    assert groups.code_from_start("g_abcdefghjk") == "abcdefghjk"


def test_invite_links_name_the_bot_and_the_mini_app(monkeypatch):
    from mockexam.config import settings

    monkeypatch.setattr(settings, "telegram_bot_username", "@centre_bot")
    links = groups.invite_links("abcdefghjk")
    assert links.bot == "https://t.me/centre_bot?start=g_abcdefghjk"
    assert links.app == "https://t.me/centre_bot?startapp=g_abcdefghjk"
    monkeypatch.setattr(settings, "telegram_bot_username", None)
    assert groups.invite_links("abcdefghjk").bot is None


def test_teachers_are_set_exactly_and_must_be_active_accounts(db_url):
    group_id = _group()
    with session_scope() as db:
        ann = set_admin(db, username="ann", password=PASSWORD, role=AdminRole.TEACHER).admin.id
        bob = set_admin(db, username="bob", password=PASSWORD, role=AdminRole.TEACHER).admin.id
        gone = set_admin(db, username="gone", password=PASSWORD).admin
        gone.is_active = False
        db.add(gone)
    with session_scope() as db:
        assert groups.set_teachers(db, group_id, [ann, bob, ann], actor_id=None) == ["ann", "bob"]
    with session_scope() as db:
        assert groups.set_teachers(db, group_id, [bob], actor_id=None) == ["bob"]
    for bad in ([gone.id], [10_000]):
        with session_scope() as db, pytest.raises(ValidationError):
            groups.set_teachers(db, group_id, bad, actor_id=None)
    with session_scope(readonly=True) as db:
        assert db.exec(select(GroupTeacher.admin_id)).all() == [bob]
        assert scope_for(db, admin_id=bob, role=AdminRole.TEACHER) == Scope(frozenset({group_id}))
        assert scope_for(db, admin_id=ann, role=AdminRole.TEACHER) == Scope(frozenset())
        assert scope_for(db, admin_id=ann, role=AdminRole.ADMIN).is_everything


def test_a_teacher_cannot_reach_a_group_outside_their_scope(db_url):
    mine, theirs = _group("A"), _group("B")
    scope = Scope(frozenset({mine}))
    with session_scope(readonly=True) as db:
        assert groups.get_group(db, mine, scope=scope).name == "A"
        with pytest.raises(NotFoundError):
            groups.get_group(db, theirs, scope=scope)


def test_members_are_added_by_hand_removed_and_listed_per_student(db_url):
    a, b = _group("A"), _group("B")
    student = _student()
    with session_scope() as db:
        assert groups.add_member(db, a, student, actor_id=None)
        assert not groups.add_member(db, a, student, actor_id=None)
        assert groups.add_member(db, b, student, actor_id=None)
    with session_scope(readonly=True) as db:
        assert [g.name for g in groups.groups_of_student(db, student)] == ["A", "B"]
    with session_scope() as db:
        assert groups.remove_member(db, a, student, actor_id=None)
        assert not groups.remove_member(db, a, student, actor_id=None)
        with pytest.raises(NotFoundError):
            groups.add_member(db, a, 999_999, actor_id=None)
    assert _members(a) == set() and _members(b) == {student}


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("Алиев Жасур", "Aliyev Jasur", True),
        ("jasur ALIEV", "Aliyev Jasur", True),
        ("Jasur", "Jasur Aliyev", False),
        ("G‘ulomova Dilnoza", "Гуломова Дилноза", True),
        ("Karimov Botir", "Karimova Botir", False),
    ],
)
def test_name_keys_compare_names_across_scripts(a, b, alike):
    assert (groups.name_key(a) == groups.name_key(b)) is alike


ROSTER = (
    b"full name,contact,group\n"
    b"Aliyev Jasur,@jasur_a,Matematika 9-A\n"
    b"Karimova Dilnoza,+998 90 123-45-67,Matematika 9-A\n"
    b"Toshmatov Bekzod,,Fizika 10\n"
)


def test_a_roster_matches_usernames_for_certain_creates_groups_and_waits_for_the_rest(db_url):
    existing = _group("Matematika 9-A")
    jasur = _student(first_name="Jasur", username="Jasur_A")
    with session_scope() as db:
        result = groups.import_roster(db, ROSTER, actor_id=None)
    assert (result.rows, result.matched, result.uncertain, result.waiting) == (3, 1, 0, 2)
    assert result.groups_created == ["Fizika 10"]
    assert _members(existing) == {jasur}
    with session_scope(readonly=True) as db:
        student = db.get(Student, jasur)
        assert student.full_name == "Aliyev Jasur"  # what the teachers see from now on
        rows = db.exec(select(RosterEntry).order_by(RosterEntry.id)).all()
    assert [(r.status, r.phone, r.username) for r in rows] == [
        (RosterStatus.MATCHED, None, "jasur_a"),
        (RosterStatus.WAITING, "998901234567", None),
        (RosterStatus.WAITING, None, None),
    ]


def test_a_student_who_joins_later_is_matched_by_username_or_proposed_by_name(db_url):
    group_id = _group("Matematika 9-A")
    with session_scope() as db:
        groups.import_roster(db, ROSTER, actor_id=None)
        code = db.get(StudentGroup, group_id).invite_code
    jasur = _student(first_name="Jasur", username="jasur_a")
    dilnoza = _student(first_name="Дилноза", last_name="Каримова")
    with session_scope() as db:
        groups.join_by_code(db, student_id=jasur, code=code)
        groups.join_by_code(db, student_id=dilnoza, code=code)
    with session_scope(readonly=True) as db:
        rows = {r.full_name: r for r in db.exec(select(RosterEntry)).all()}
        assert db.get(Student, jasur).full_name == "Aliyev Jasur"
        assert db.get(Student, dilnoza).full_name is None  # not until someone confirms
    assert rows["Aliyev Jasur"].status == RosterStatus.MATCHED
    assert (rows["Karimova Dilnoza"].status, rows["Karimova Dilnoza"].student_id) == (
        RosterStatus.UNCERTAIN,
        dilnoza,
    )
    entry = rows["Karimova Dilnoza"].id
    with session_scope() as db, pytest.raises(NotFoundError):  # another group's teacher
        groups.decide_match(db, entry, confirm=True, actor_id=None, scope=Scope(frozenset()))
    with session_scope() as db:
        groups.decide_match(db, entry, confirm=True, actor_id=None, scope=Scope.everything())
    with session_scope(readonly=True) as db:
        assert db.get(RosterEntry, entry).status == RosterStatus.CONFIRMED
        assert db.get(Student, dilnoza).full_name == "Karimova Dilnoza"
        assert db.get(Student, dilnoza).phone == "998901234567"
    with session_scope() as db, pytest.raises(PermissionDeniedError):
        groups.decide_match(db, entry, confirm=False, actor_id=None, scope=Scope.everything())


def test_a_rejected_match_waits_for_another_student(db_url):
    group_id = _group("Matematika 9-A")
    with session_scope() as db:
        groups.import_roster(db, ROSTER, actor_id=None)
        code = db.get(StudentGroup, group_id).invite_code
    wrong = _student(first_name="Dilnoza", last_name="Karimova")
    with session_scope() as db:
        groups.join_by_code(db, student_id=wrong, code=code)
        entry = db.exec(
            select(RosterEntry).where(RosterEntry.status == RosterStatus.UNCERTAIN)
        ).one()
        groups.decide_match(db, entry.id, confirm=False, actor_id=None, scope=Scope.everything())
    with session_scope(readonly=True) as db:
        entry = db.get(RosterEntry, entry.id)
        assert (entry.status, entry.student_id) == (RosterStatus.WAITING, None)
        assert db.get(Student, wrong).full_name is None


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"Aliyev Jasur,@jasur_a\n", "3 columns are needed"),
        (b"Aliyev Jasur,not a contact!,A\n", "neither a phone number nor a Telegram username"),
        (b",@jasur_a,A\n", "full name is empty"),
        (b"Aliyev Jasur,@jasur_a,\n", "group is empty"),
        (b"x" * 1_000_001, "over 1 MB"),
    ],
)
def test_a_bad_roster_is_refused_whole_and_names_the_line(db_url, data, words):
    whole = data if data[:1] in (b"", b"\xff", b"x") else b"Karimova Dilnoza,@dilnoza,A\n" + data
    with session_scope() as db, pytest.raises(groups.RosterError) as err:
        groups.import_roster(db, whole, actor_id=None)
    assert words in err.value.text("en")
    assert _count(RosterEntry) == 0 and _count(StudentGroup) == 0


def test_a_teacher_imports_only_into_their_own_groups(db_url):
    mine = _group("Matematika 9-A")
    with session_scope() as db, pytest.raises(groups.RosterError) as err:
        groups.import_roster(db, ROSTER, actor_id=None, scope=Scope(frozenset({mine})))
    assert "“Fizika 10” is not one of your groups" in err.value.text("en")
    assert _count(RosterEntry) == 0 and _count(StudentGroup) == 1
    ok = b"Aliyev Jasur,@jasur_a,matematika 9-a\n"
    with session_scope() as db:
        assert groups.import_roster(db, ok, actor_id=None, scope=Scope(frozenset({mine}))).rows == 1
    with session_scope(readonly=True) as db:
        assert db.exec(select(col(RosterEntry.group_id))).all() == [mine]


# ---- roster files --------------------------------------------------------------------------


def _workbook(rows: list[list[object]]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.create_sheet("Other").append(["Not read", "@nobody", "Nowhere"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_roster_reads_its_first_sheet_as_lines():
    data = _workbook(
        [
            ["F.I.Sh.", "Telegram", "Guruh"],
            ["Aliyev  Jasur", "@jasur_a", "Matematika 9-A"],
            ["Karimova\tDilnoza", 998901234567.0, "Matematika 9-A"],  # a phone typed as a number
            [None, None, None],
            ["Yusupova Malika", "+998 90 111 22 33", "Fizika 10", None, None],
        ]
    )
    text = groups.roster_from_file(data, "9-A list.XLSX").decode()
    assert text.split("\n") == [
        "F.I.Sh.\tTelegram\tGuruh",
        "Aliyev Jasur\t@jasur_a\tMatematika 9-A",
        "Karimova Dilnoza\t998901234567\tMatematika 9-A",
        "Yusupova Malika\t+998 90 111 22 33\tFizika 10",
    ]
    rows = groups.parse_roster(text.encode())
    assert [(r.full_name, r.username, r.phone, r.group) for r in rows] == [
        ("Aliyev Jasur", "jasur_a", None, "Matematika 9-A"),
        ("Karimova Dilnoza", None, "998901234567", "Matematika 9-A"),
        ("Yusupova Malika", None, "998901112233", "Fizika 10"),
    ]
    assert groups.roster_from_file(b"a,b,c\n", "list.csv") == b"a,b,c\n"


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"x", "roster.pdf", "Choose a .csv or .xlsx file"),
        (b"x", "roster", "Choose a .csv or .xlsx file"),
        (b"PK\x03\x04 not really", "roster.xlsx", "cannot be read as an Excel workbook"),
        (b"x" * 1_000_001, "roster.csv", "over 1 MB"),
    ],
)
def test_a_roster_file_that_is_not_one_is_refused(data, name, words):
    with pytest.raises(groups.RosterError) as err:
        groups.roster_from_file(data, name)
    assert words in err.value.problems[0].text.text("en")


def test_an_excel_bomb_is_refused_before_openpyxl_reads_it():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (40 * 1024 * 1024) + b"</a>")
    data = out.getvalue()
    assert len(data) < 1_000_000  # small on the wire
    with pytest.raises(groups.RosterError) as err:
        groups.roster_from_file(data, "bomb.xlsx")
    assert "Excel workbook" in err.value.problems[0].text.text("en")
