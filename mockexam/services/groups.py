"""Groups of a centre: names, teachers, members, invite codes, rosters.

A group is a class: a name, one or more teachers (admin accounts, usually with
the teacher role), 10–30 students and an invite code. A student may be in
several groups.

- **Invite**: `t.me/<bot>?start=g_<code>` (the bot) or `t.me/<bot>?startapp=g_<code>`
  (the Mini App) adds the student who opens it (`join_by_code`). The code can be
  rotated; the old link then says it is no longer valid. An archived group takes
  no one new.
- **Roster**: a CSV of the centre's list (full name; Telegram username or phone;
  group) is imported (`import_roster`): every row is checked first and nothing
  is imported while any row has a problem. Each row is matched to a student: the
  same Telegram username (or phone) is a certain match (the student joins the
  group and gets the centre's name for them); only a similar name is an
  *uncertain* match that a teacher or admin confirms or rejects. Rows nobody
  matches wait, and are tried again whenever a student joins the group.

Every change is in the audit log, in the caller's transaction. Functions that a
teacher may call take their `Scope` and refuse a group outside it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from mockexam.config import settings
from mockexam.db import insert_for, session_scope, utcnow
from mockexam.errors import Msg, NotFoundError, PermissionDeniedError, ValidationError, msg
from mockexam.models import (
    Admin,
    Exam,
    ExamAudience,
    ExamAudienceKind,
    ExamStatus,
    GroupMember,
    GroupTeacher,
    MemberSource,
    RosterEntry,
    RosterStatus,
    Student,
    StudentGroup,
)
from mockexam.services import audit, exams
from mockexam.services.access import Scope
from mockexam.services.safe_zip import ArchiveProblem, MiB, SafeZip, ZipLimits
from mockexam.text import clean_name

NAME_MAX = 80
CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read aloud or typed from paper
CODE_LENGTH = 10
START_PREFIX = "g_"  # the bot's /start and the Mini App's startapp parameter: g_<code>
_CODE = re.compile(rf"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
MAX_GROUPS_LISTED = 500
ROSTER_MAX_BYTES = 1_000_000
ROSTER_MAX_ROWS = 5_000
_USERNAME = re.compile(r"[A-Za-z0-9_]{4,32}")  # Telegram's rule for usernames
_PHONE = re.compile(r"\+?[0-9]{9,15}")


# ---- groups ------------------------------------------------------------------------------


def _group_name(value: object) -> str:
    name = " ".join(clean_name(value, max_len=NAME_MAX + 1).split())
    if not name:
        raise ValidationError(
            msg("Guruh nomini yozing.", "Укажите название группы.", "Give the group a name.")
        )
    if len(name) > NAME_MAX:
        raise ValidationError(
            msg(
                "Guruh nomi {n} belgidan oshmasin.",
                "Название группы — не длиннее {n} символов.",
                "A group name has at most {n} characters.",
                n=NAME_MAX,
            )
        )
    return name


def _check_name_free(session: Session, name: str, *, except_id: int | None = None) -> None:
    query = select(StudentGroup.id).where(
        func.lower(StudentGroup.name) == name.lower(), col(StudentGroup.archived_at).is_(None)
    )
    if except_id is not None:
        query = query.where(StudentGroup.id != except_id)
    if session.exec(query).first() is not None:
        raise ValidationError(
            msg(
                "«{name}» nomli guruh allaqachon bor.",
                "Группа «{name}» уже есть.",
                "There is already a group called “{name}”.",
                name=name,
            )
        )


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if (
            session.exec(select(StudentGroup.id).where(StudentGroup.invite_code == code)).first()
            is None
        ):
            return code


def get_group(session: Session, group_id: int, *, scope: Scope | None = None) -> StudentGroup:
    """The group; NotFoundError if there is none, or none the caller's scope covers."""
    group = session.get(StudentGroup, group_id)
    if group is None or (scope is not None and not scope.covers_group(group_id)):
        raise NotFoundError(
            msg(
                "Bu guruh yo‘q; sahifani yangilang.",
                "Такой группы нет; обновите страницу.",
                "There is no such group; reload the page.",
            )
        )
    return group


def _audit(
    session: Session, actor_id: int | None, action: str, group: StudentGroup, **details: object
) -> None:
    audit.record(
        session,
        admin_id=actor_id,
        action=action,
        entity="group",
        entity_id=group.id,
        details={"name": group.name, **details},
    )


def create_group(
    session: Session, *, name: object, actor_id: int | None, now: datetime | None = None
) -> StudentGroup:
    clean = _group_name(name)
    _check_name_free(session, clean)
    group = StudentGroup(
        name=clean, invite_code=_new_code(session), created_by=actor_id, created_at=now or utcnow()
    )
    session.add(group)
    session.flush()
    _audit(session, actor_id, "group.created", group)
    return group


def rename_group(
    session: Session, group_id: int, *, name: object, actor_id: int | None
) -> StudentGroup:
    group = get_group(session, group_id)
    clean = _group_name(name)
    if clean != group.name:
        _check_name_free(session, clean, except_id=group.id)
        before, group.name = group.name, clean
        session.add(group)
        _audit(session, actor_id, "group.renamed", group, before=before)
    return group


def set_archived(
    session: Session,
    group_id: int,
    archived: bool,
    *,
    actor_id: int | None,
    now: datetime | None = None,
) -> StudentGroup:
    """Archive (no one new joins; members and results stay) or bring a group back."""
    group = get_group(session, group_id)
    if archived and group.archived_at is None:
        group.archived_at = now or utcnow()
        _audit(session, actor_id, "group.archived", group)
    elif not archived and group.archived_at is not None:
        _check_name_free(session, group.name, except_id=group.id)
        group.archived_at = None
        _audit(session, actor_id, "group.restored", group)
    session.add(group)
    return group


def rotate_code(session: Session, group_id: int, *, actor_id: int | None) -> str:
    """A new invite code: links with the old one stop working."""
    group = get_group(session, group_id)
    group.invite_code = _new_code(session)
    session.add(group)
    _audit(session, actor_id, "group.code_rotated", group)
    return group.invite_code


def set_teachers(
    session: Session, group_id: int, admin_ids: Iterable[int], *, actor_id: int | None
) -> list[str]:
    """The group's teachers become exactly `admin_ids` (active accounts); their usernames."""
    group = get_group(session, group_id)
    wanted = sorted(set(admin_ids))
    accounts = session.exec(select(Admin).where(col(Admin.id).in_(wanted))).all() if wanted else []
    if len(accounts) != len(wanted) or any(not a.is_active for a in accounts):
        raise ValidationError(
            msg(
                "O‘qituvchi faol admin hisobi bo‘lishi kerak; sahifani yangilang.",
                "Преподаватель должен быть активной учётной записью; обновите страницу.",
                "A teacher must be an active account; reload the page.",
            )
        )
    session.execute(delete(GroupTeacher).where(col(GroupTeacher.group_id) == group.id))
    for admin_id in wanted:
        session.add(GroupTeacher(group_id=group.id, admin_id=admin_id))
    names = sorted(a.username for a in accounts)
    _audit(session, actor_id, "group.teachers", group, teachers=names)
    session.flush()
    return names


# ---- members -----------------------------------------------------------------------------


def _add_member(
    session: Session, group: StudentGroup, student_id: int, source: MemberSource
) -> bool:
    """Add the student (idempotent); True if they were not in the group before."""
    statement = (
        insert_for(session, GroupMember)
        .values(group_id=group.id, student_id=student_id, joined_at=utcnow(), source=source)
        .on_conflict_do_nothing(index_elements=["group_id", "student_id"])
        .returning(col(GroupMember.student_id))
    )
    return session.execute(statement).first() is not None


def add_member(session: Session, group_id: int, student_id: int, *, actor_id: int | None) -> bool:
    group = get_group(session, group_id)
    student = session.get(Student, student_id)
    if student is None:
        raise NotFoundError(
            msg(
                "Bu o‘quvchi yo‘q; sahifani yangilang.",
                "Такого ученика нет; обновите страницу.",
                "There is no such student; reload the page.",
            )
        )
    added = _add_member(session, group, student_id, MemberSource.ADMIN)
    if added:
        _audit(session, actor_id, "group.member_added", group, student_id=student_id)
    return added


def remove_member(
    session: Session, group_id: int, student_id: int, *, actor_id: int | None
) -> bool:
    group = get_group(session, group_id)
    result = session.execute(
        delete(GroupMember).where(
            col(GroupMember.group_id) == group.id, col(GroupMember.student_id) == student_id
        )
    )
    removed = bool(result.rowcount)
    if removed:
        _audit(session, actor_id, "group.member_removed", group, student_id=student_id)
    return removed


def groups_of_student(session: Session, student_id: int) -> list[StudentGroup]:
    return list(
        session.exec(
            select(StudentGroup)
            .join(GroupMember, col(GroupMember.group_id) == StudentGroup.id)
            .where(GroupMember.student_id == student_id)
            .order_by(col(StudentGroup.name))
        ).all()
    )


# ---- invites -----------------------------------------------------------------------------


def code_from_start(param: object) -> str | None:
    """The invite code in a /start or startapp parameter (`g_<code>`), or None."""
    if not isinstance(param, str) or not param.startswith(START_PREFIX):
        return None
    code = param[len(START_PREFIX) :]
    return code if _CODE.fullmatch(code) else None


@dataclass(frozen=True, slots=True)
class InviteLinks:
    bot: str | None  # opens the bot, which adds the student and offers the Mini App
    app: str | None  # opens the Mini App at once
    start_param: str


def invite_links(code: str) -> InviteLinks:
    """The links that add a student to the group with `code` (None without a bot username)."""
    param = f"{START_PREFIX}{code}"
    bot = (settings.telegram_bot_username or "").lstrip("@")
    if not bot:
        return InviteLinks(bot=None, app=None, start_param=param)
    return InviteLinks(
        bot=f"https://t.me/{bot}?start={param}",
        app=f"https://t.me/{bot}?startapp={param}",
        start_param=param,
    )


@dataclass(frozen=True, slots=True)
class Joined:
    group_id: int
    group_name: str
    new: bool  # False: the student was in the group already


INVALID_INVITE = msg(
    "Bu taklif havolasi endi ishlamaydi. O‘qituvchingizdan yangisini so‘rang.",
    "Эта ссылка-приглашение больше не действует. Попросите у преподавателя новую.",
    "This invite link no longer works. Ask your teacher for a new one.",
)


def join_by_code(session: Session, *, student_id: int, code: str) -> Joined:
    """Add the student to the live group with this invite code (NotFoundError otherwise)."""
    group = None
    if _CODE.fullmatch(code or ""):
        group = session.exec(
            select(StudentGroup).where(
                StudentGroup.invite_code == code, col(StudentGroup.archived_at).is_(None)
            )
        ).first()
    if group is None:
        raise NotFoundError(INVALID_INVITE)
    new = _add_member(session, group, student_id, MemberSource.INVITE)
    if new:
        _audit(session, None, "group.joined", group, student_id=student_id)
        student = session.get(Student, student_id)
        if student is not None:
            match_waiting_rows(session, student, group_ids=[group.id])
    return Joined(group_id=group.id, group_name=group.name, new=new)


JOINED = msg(
    "Siz «{group}» guruhiga qo‘shildingiz.",
    "Вы добавлены в группу «{group}».",
    "You have joined the group “{group}”.",
)
ALREADY_IN = msg(
    "Siz allaqachon «{group}» guruhidasiz.",
    "Вы уже в группе «{group}».",
    "You are already in the group “{group}”.",
)


def join_from_start(student_id: int, start_param: object) -> Msg | None:
    """The Mini App opened from an invite (`startapp=g_<code>`): join, in a transaction of
    its own, and say what happened; None when the parameter is no invite at all."""
    if not isinstance(start_param, str) or not start_param.startswith(START_PREFIX):
        return None
    with session_scope() as session:
        try:
            joined = join_by_code(
                session, student_id=student_id, code=code_from_start(start_param) or ""
            )
        except NotFoundError:
            return INVALID_INVITE
    template = JOINED if joined.new else ALREADY_IN
    return msg(template.uz, template.ru, template.en, group=joined.group_name)


# ---- rosters -----------------------------------------------------------------------------


_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяўқғҳ",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "yo",
            "j",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "x",
            "ts",
            "ch",
            "sh",
            "sh",
            "",
            "i",
            "",
            "e",
            "yu",
            "ya",
            "o",
            "q",
            "g",
            "h",
        ],
        strict=True,
    )
)


def name_key(name: str) -> frozenset[str]:
    """The words of a name, lower case, Latin letters only, for a loose comparison:
    "Алиев Жасур", "Aliyev Jasur" and "jasur ALIEV" compare alike (Cyrillic is
    transliterated, apostrophes and accents go, "iye" reads as "ie")."""
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(_CYRILLIC.get(ch, ch) for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\u02bb\u02bc\u2018\u2019'`]", "", text)  # o‘, g‘ and the other apostrophes
    words = re.findall(r"[a-z]+", text.replace("iye", "ie"))
    return frozenset(w for w in words if len(w) > 1)


def _similar(roster_name: str, student: Student) -> bool:
    """A likely match: every word of the Telegram name (two at least) is in the roster's."""
    theirs = name_key(f"{student.first_name} {student.last_name}")
    return len(theirs) >= 2 and theirs <= name_key(roster_name)


def clean_username(value: object) -> str | None:
    text = clean_name(value, max_len=40).removeprefix("@").removeprefix("https://t.me/")
    return text.lower() if _USERNAME.fullmatch(text) else None


def clean_phone(value: object) -> str | None:
    text = re.sub(r"[\s()\-]", "", clean_name(value, max_len=40))
    return text.lstrip("+") if _PHONE.fullmatch(text) else None


def _match(session: Session, entry: RosterEntry, student: Student) -> None:
    """Record a certain match: the student joins the group and gets the centre's name."""
    entry.student_id = student.id
    entry.status = RosterStatus.MATCHED
    entry.updated_at = utcnow()
    session.add(entry)
    group = session.get(StudentGroup, entry.group_id)
    if group is not None:
        _add_member(session, group, student.id, MemberSource.ROSTER)
    if not student.full_name:
        student.full_name = entry.full_name
    if entry.phone and not student.phone:
        student.phone = entry.phone
    session.add(student)


def match_waiting_rows(
    session: Session, student: Student, *, group_ids: list[int] | None = None
) -> int:
    """Try the waiting roster rows (of `group_ids`, else every group) against one student;
    how many matched for certain."""
    query = select(RosterEntry).where(RosterEntry.status == RosterStatus.WAITING)
    if group_ids is not None:
        query = query.where(col(RosterEntry.group_id).in_(group_ids))
    username = (student.username or "").lower()
    matched = 0
    for entry in session.exec(query).all():
        if (username and entry.username == username) or (
            entry.phone and student.phone and entry.phone == student.phone
        ):
            _match(session, entry, student)
            matched += 1
        elif group_ids is not None and _similar(entry.full_name, student):
            entry.student_id = student.id
            entry.status = RosterStatus.UNCERTAIN
            entry.updated_at = utcnow()
            session.add(entry)
    return matched


@dataclass(frozen=True, slots=True)
class RosterRow:
    line: int
    full_name: str
    username: str | None
    phone: str | None
    group: str


@dataclass(frozen=True, slots=True)
class RosterProblem:
    line: int
    text: Msg


class RosterError(ValidationError):
    """A roster that cannot be imported: every problem, by line."""

    def __init__(self, problems: list[RosterProblem]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(
            msg(
                "Ro‘yxatda {n} ta xato; {line}-qator: {text}",
                "В списке ошибок: {n}; строка {line}: {text}",
                "The roster has {n} problem(s); line {line}: {text}",
                n=len(problems),
                line=first.line,
                text=first.text,
            )
        )


_HEADERS = {
    "full_name": {"full_name", "full name", "name", "ism", "f.i.sh", "fish", "фио", "имя"},
    "contact": {"phone", "username", "telegram", "contact", "telefon", "телефон", "контакт"},
    "group": {"group", "guruh", "группа"},
}


ROSTER_FILE_TYPES = ("csv", "txt", "tsv", "xlsx")
# An .xlsx is a ZIP of XML parts: every part is read (and so measured) through SafeZip
# before openpyxl opens it; a roster's workbook is a few dozen kB unpacked.
_XLSX_LIMITS = ZipLimits(max_members=200, max_total_bytes=30 * MiB)
MAX_SHEET_ROWS = 5000
MAX_SHEET_COLUMNS = 8


def _sheet_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # a phone typed as a number
        value = int(value)
    return " ".join(str(value).split())  # no tabs or line breaks inside a cell


def roster_from_file(data: bytes, name: str) -> bytes:
    """The roster text of an uploaded file: a .csv/.txt/.tsv as it is, the first sheet of
    an Excel workbook (.xlsx) as tab-separated lines; RosterError for anything else."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix not in ROSTER_FILE_TYPES:
        raise RosterError(
            [
                RosterProblem(
                    0,
                    msg(
                        ".csv yoki .xlsx faylni tanlang.",
                        "Выберите файл .csv или .xlsx.",
                        "Choose a .csv or .xlsx file.",
                    ),
                )
            ]
        )
    if len(data) > ROSTER_MAX_BYTES:
        raise RosterError(
            [
                RosterProblem(
                    0, msg("Fayl 1 MB dan katta.", "Файл больше 1 МБ.", "The file is over 1 MB.")
                )
            ]
        )
    if suffix != "xlsx":
        return data
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with SafeZip(data, name, _XLSX_LIMITS) as archive:
            for member in archive.members:
                archive.read(member, _XLSX_LIMITS.max_total_bytes)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (ArchiveProblem, InvalidFileException, KeyError, ValueError, OSError, TypeError):
        raise RosterError(
            [
                RosterProblem(
                    0,
                    msg(
                        "Fayl Excel kitobi sifatida o‘qilmadi (.xlsx).",
                        "Файл не читается как книга Excel (.xlsx).",
                        "The file cannot be read as an Excel workbook (.xlsx).",
                    ),
                )
            ]
        ) from None
    try:
        lines = []
        for row in workbook.worksheets[0].iter_rows(
            values_only=True, max_row=MAX_SHEET_ROWS, max_col=MAX_SHEET_COLUMNS
        ):
            cells = [_sheet_cell(v) for v in row]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                lines.append("\t".join(cells))
    finally:
        workbook.close()
    return "\n".join(lines).encode("utf-8")


def parse_roster(data: bytes) -> list[RosterRow]:
    """The rows of a roster CSV (full name; Telegram username or phone; group), or a
    RosterError naming every problem. A header row is recognised by its words."""
    problems: list[RosterProblem] = []
    if len(data) > ROSTER_MAX_BYTES:
        raise RosterError(
            [
                RosterProblem(
                    0, msg("Fayl 1 MB dan katta.", "Файл больше 1 МБ.", "The file is over 1 MB.")
                )
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(
            [
                RosterProblem(
                    0, msg("Fayl UTF-8 emas.", "Файл не в UTF-8.", "The file is not UTF-8 text.")
                )
            ]
        ) from None
    dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    lines = list(csv.reader(io.StringIO(text), dialect))
    rows: list[RosterRow] = []
    start = 0
    if lines and {c.strip().lower() for c in lines[0]} & set().union(*_HEADERS.values()):
        start = 1
    if len(lines) - start > ROSTER_MAX_ROWS:
        raise RosterError(
            [
                RosterProblem(
                    0,
                    msg(
                        "Ro‘yxatda {n} tadan ko‘p qator.",
                        "В списке больше {n} строк.",
                        "The roster has more than {n} rows.",
                        n=ROSTER_MAX_ROWS,
                    ),
                )
            ]
        )
    for number, cells in enumerate(lines[start:], start=start + 1):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != 3:
            problems.append(
                RosterProblem(
                    number,
                    msg(
                        "3 ta ustun kerak (ism, Telegram username yoki telefon, guruh), {n} ta bor.",
                        "Нужно 3 столбца (ФИО, имя в Telegram или телефон, группа), а их {n}.",
                        "3 columns are needed (full name, Telegram username or phone, group); there are {n}.",
                        n=len(cells),
                    ),
                )
            )
            continue
        name = " ".join(clean_name(cells[0], max_len=129).split())
        contact = cells[1].strip()
        group = " ".join(clean_name(cells[2], max_len=NAME_MAX + 1).split())
        phone = clean_phone(contact) if contact and contact.lstrip("+")[:1].isdigit() else None
        username = None if phone else clean_username(contact)
        if not name or len(name) > 128:
            problems.append(
                RosterProblem(
                    number,
                    msg(
                        "Ism bo‘sh yoki juda uzun.",
                        "ФИО пустое или слишком длинное.",
                        "The full name is empty or too long.",
                    ),
                )
            )
        if contact and not (phone or username):
            problems.append(
                RosterProblem(
                    number,
                    msg(
                        "«{value}» na telefon, na Telegram username.",
                        "«{value}» — не телефон и не имя пользователя Telegram.",
                        "“{value}” is neither a phone number nor a Telegram username.",
                        value=contact[:40],
                    ),
                )
            )
        if not group or len(group) > NAME_MAX:
            problems.append(
                RosterProblem(
                    number,
                    msg(
                        "Guruh nomi bo‘sh yoki juda uzun.",
                        "Группа пустая или слишком длинная.",
                        "The group is empty or too long.",
                    ),
                )
            )
        rows.append(RosterRow(number, name, username, phone, group))
    if not rows and not problems:
        problems.append(
            RosterProblem(0, msg("Ro‘yxat bo‘sh.", "Список пуст.", "The roster is empty."))
        )
    if problems:
        raise RosterError(problems)
    return rows


@dataclass(slots=True)
class RosterImport:
    rows: int = 0
    groups_created: list[str] = field(default_factory=list)
    matched: int = 0
    uncertain: int = 0
    waiting: int = 0


def import_roster(
    session: Session, data: bytes, *, actor_id: int | None, scope: Scope | None = None
) -> RosterImport:
    """Import a roster CSV: every row checked first (RosterError, nothing imported), groups
    named but missing are created (not by a teacher: their rows must name their groups),
    and each row matched to a student where it can be."""
    rows = parse_roster(data)
    live = {
        g.name.lower(): g
        for g in session.exec(
            select(StudentGroup).where(col(StudentGroup.archived_at).is_(None))
        ).all()
    }
    result = RosterImport(rows=len(rows))
    missing = sorted({r.group for r in rows if r.group.lower() not in live}, key=str.lower)
    if scope is not None and not scope.is_everything:
        outside = [
            r
            for r in rows
            if r.group.lower() not in live or not scope.covers_group(live[r.group.lower()].id)
        ]
        if outside:
            raise RosterError(
                [
                    RosterProblem(
                        r.line,
                        msg(
                            "«{group}» sizning guruhingiz emas.",
                            "«{group}» — не ваша группа.",
                            "“{group}” is not one of your groups.",
                            group=r.group,
                        ),
                    )
                    for r in outside
                ]
            )
    seen: set[str] = set()
    for name in missing:
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        live[name.lower()] = create_group(session, name=name, actor_id=actor_id)
        result.groups_created.append(name)
    # One read each for the roster's usernames, phones and groups' members (not per row).
    usernames = sorted({r.username for r in rows if r.username})
    phones = sorted({r.phone for r in rows if r.phone})
    by_username = (
        {
            s.username.lower(): s
            for s in session.exec(
                select(Student).where(func.lower(Student.username).in_(usernames))
            ).all()
            if s.username
        }
        if usernames
        else {}
    )
    by_phone = (
        {
            s.phone: s
            for s in session.exec(select(Student).where(col(Student.phone).in_(phones))).all()
        }
        if phones
        else {}
    )
    members: dict[int, list[Student]] = {}
    for student, group_id in session.exec(
        select(Student, GroupMember.group_id)
        .join(GroupMember, col(GroupMember.student_id) == Student.id)
        .where(col(GroupMember.group_id).in_(sorted({live[r.group.lower()].id for r in rows})))
    ).all():
        members.setdefault(group_id, []).append(student)
    for row in rows:
        group = live[row.group.lower()]
        entry = RosterEntry(
            group_id=group.id, full_name=row.full_name, phone=row.phone, username=row.username
        )
        session.add(entry)
        student = by_username.get(row.username) if row.username else None
        if student is None and row.phone:
            student = by_phone.get(row.phone)
        if student is not None:
            _match(session, entry, student)
            result.matched += 1
            continue
        likely = [s for s in members.get(group.id, []) if _similar(row.full_name, s)]
        if len(likely) == 1:
            entry.student_id = likely[0].id
            entry.status = RosterStatus.UNCERTAIN
            session.add(entry)
            result.uncertain += 1
        else:
            result.waiting += 1
    audit.record(
        session,
        admin_id=actor_id,
        action="roster.imported",
        entity="group",
        details={
            "rows": result.rows,
            "matched": result.matched,
            "uncertain": result.uncertain,
            "groups_created": result.groups_created,
        },
    )
    session.flush()
    return result


def decide_match(
    session: Session, entry_id: int, *, confirm: bool, actor_id: int | None, scope: Scope
) -> RosterEntry:
    """A person's answer to an uncertain match: confirmed (the student joins and gets the
    roster's name) or rejected (the row waits for another student)."""
    entry = session.get(RosterEntry, entry_id)
    if entry is None or not scope.covers_group(entry.group_id):
        raise NotFoundError(
            msg(
                "Bu qator yo‘q; sahifani yangilang.",
                "Этой строки нет; обновите страницу.",
                "There is no such row; reload the page.",
            )
        )
    if entry.status != RosterStatus.UNCERTAIN or entry.student_id is None:
        raise PermissionDeniedError(
            msg(
                "Bu qator tasdiqlashni kutmayapti.",
                "Эта строка не ждёт подтверждения.",
                "This row is not waiting for a decision.",
            )
        )
    student = session.get(Student, entry.student_id)
    if confirm and student is not None:
        _match(session, entry, student)
        entry.status = RosterStatus.CONFIRMED
    else:
        entry.status = RosterStatus.WAITING
        entry.student_id = None
    entry.updated_at = utcnow()
    session.add(entry)
    audit.record(
        session,
        admin_id=actor_id,
        action="roster.confirmed" if confirm else "roster.rejected",
        entity="group",
        entity_id=entry.group_id,
        details={"row": entry.id, "full_name": entry.full_name},
    )
    return entry


# ---- an exam's audience -----------------------------------------------------------------


def exam_audience(session: Session, exam_id: int) -> tuple[str, list[int]]:
    """Who may take the exam: ("everyone", []) or ("groups", the group ids)."""
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFoundError(
            msg("Bu imtihon yo‘q.", "Такого экзамена нет.", "There is no such exam.")
        )
    ids = session.exec(select(ExamAudience.group_id).where(ExamAudience.exam_id == exam_id)).all()
    return exam.audience, sorted(ids)


def set_exam_audience(
    session: Session, exam_id: int, group_ids: Iterable[int] | None, *, actor_id: int | None
) -> list[str]:
    """The exam is for everyone (`group_ids` None) or for these live groups only (at least
    one); returns the groups' names. Audited. A student who already started keeps their
    session whatever the audience becomes."""
    exam = session.get(Exam, exam_id)
    if exam is None:
        raise NotFoundError(
            msg("Bu imtihon yo‘q.", "Такого экзамена нет.", "There is no such exam.")
        )
    names: list[str] = []
    wanted = sorted(set(group_ids)) if group_ids is not None else None
    if wanted is not None:
        found = session.exec(
            select(StudentGroup).where(
                col(StudentGroup.id).in_(wanted), col(StudentGroup.archived_at).is_(None)
            )
        ).all()
        if not wanted or len(found) != len(wanted):
            raise ValidationError(
                msg(
                    "Kamida bitta faol guruhni tanlang.",
                    "Выберите хотя бы одну действующую группу.",
                    "Choose at least one live group.",
                )
            )
        names = sorted(g.name for g in found)
    session.execute(delete(ExamAudience).where(col(ExamAudience.exam_id) == exam.id))
    for group_id in wanted or []:
        session.add(ExamAudience(exam_id=exam.id, group_id=group_id))
    exam.audience = ExamAudienceKind.EVERYONE if wanted is None else ExamAudienceKind.GROUPS
    session.add(exam)
    if exam.status != ExamStatus.DRAFT:
        # A published exam's time is shared only with exams for other groups.
        session.flush()
        exams.check_no_overlap(session, exam)
    audit.record(
        session,
        admin_id=actor_id,
        action="exam.audience",
        entity="exam",
        entity_id=exam.id,
        details={"audience": exam.audience, "groups": names},
    )
    session.flush()
    return names


# ---- what the pages show -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupRow:
    group_id: int
    name: str
    teachers: tuple[str, ...]
    members: int
    uncertain: int  # roster rows waiting for a person's decision
    waiting: int  # roster rows nobody matched yet
    archived: bool
    invite_code: str


def list_groups(session: Session, *, scope: Scope, archived: bool = False) -> list[GroupRow]:
    """The groups in `scope` (live ones, or the archived ones), by name, with their counts."""
    query = select(StudentGroup).where(scope.group_filter(StudentGroup.id))
    query = query.where(
        col(StudentGroup.archived_at).is_not(None)
        if archived
        else col(StudentGroup.archived_at).is_(None)
    )
    found = session.exec(
        query.order_by(func.lower(StudentGroup.name)).limit(MAX_GROUPS_LISTED)
    ).all()
    ids = [g.id for g in found]
    if not ids:
        return []
    members = dict(
        session.exec(
            select(GroupMember.group_id, func.count())
            .where(col(GroupMember.group_id).in_(ids))
            .group_by(col(GroupMember.group_id))
        ).all()
    )
    roster: dict[tuple[int, str], int] = {
        (gid, status): n
        for gid, status, n in session.exec(
            select(RosterEntry.group_id, RosterEntry.status, func.count())
            .where(col(RosterEntry.group_id).in_(ids))
            .group_by(col(RosterEntry.group_id), col(RosterEntry.status))
        ).all()
    }
    teachers: dict[int, list[str]] = {}
    for gid, username in session.exec(
        select(GroupTeacher.group_id, Admin.username)
        .join(Admin, col(Admin.id) == GroupTeacher.admin_id)
        .where(col(GroupTeacher.group_id).in_(ids))
        .order_by(col(Admin.username))
    ).all():
        teachers.setdefault(gid, []).append(username)
    return [
        GroupRow(
            group_id=g.id,
            name=g.name,
            teachers=tuple(teachers.get(g.id, ())),
            members=int(members.get(g.id, 0)),
            uncertain=roster.get((g.id, RosterStatus.UNCERTAIN), 0),
            waiting=roster.get((g.id, RosterStatus.WAITING), 0),
            archived=g.archived_at is not None,
            invite_code=g.invite_code,
        )
        for g in found
    ]


@dataclass(frozen=True, slots=True)
class MemberRow:
    student_id: int
    full_name: str  # the centre's name, "" if none yet
    telegram_name: str
    username: str
    joined_at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class RosterRowView:
    entry_id: int
    full_name: str
    contact: str  # @username or the phone
    status: str
    student_id: int | None
    student_name: str  # the Telegram name of the proposed or matched student


@dataclass(frozen=True, slots=True)
class GroupDetail:
    group: GroupRow
    members: list[MemberRow]
    roster: list[RosterRowView]  # uncertain first, then waiting, then the matched ones
    teacher_ids: list[int]


MAX_MEMBERS_LISTED = 1000


def group_detail(session: Session, group_id: int, *, scope: Scope) -> GroupDetail:
    group = get_group(session, group_id, scope=scope)
    row = next(
        r
        for r in list_groups(session, scope=scope, archived=group.archived_at is not None)
        if r.group_id == group.id
    )
    members = [
        MemberRow(
            student_id=s.id,
            full_name=s.full_name or "",
            telegram_name=s.display_name,
            username=s.username or "",
            joined_at=m.joined_at,
            source=m.source,
        )
        for s, m in session.exec(
            select(Student, GroupMember)
            .join(GroupMember, col(GroupMember.student_id) == Student.id)
            .where(GroupMember.group_id == group.id)
            .order_by(func.lower(func.coalesce(Student.full_name, Student.first_name)))
            .limit(MAX_MEMBERS_LISTED)
        ).all()
    ]
    order = {RosterStatus.UNCERTAIN: 0, RosterStatus.WAITING: 1}
    entries = session.exec(select(RosterEntry).where(RosterEntry.group_id == group.id)).all()
    students = (
        {
            s.id: s
            for s in session.exec(
                select(Student).where(
                    col(Student.id).in_([e.student_id for e in entries if e.student_id])
                )
            ).all()
        }
        if entries
        else {}
    )
    roster = [
        RosterRowView(
            entry_id=e.id,
            full_name=e.full_name,
            contact=f"@{e.username}" if e.username else (f"+{e.phone}" if e.phone else ""),
            status=e.status,
            student_id=e.student_id,
            student_name=students[e.student_id].display_name if e.student_id in students else "",
        )
        for e in sorted(entries, key=lambda e: (order.get(e.status, 2), e.full_name.lower()))
    ]
    teacher_ids = list(
        session.exec(select(GroupTeacher.admin_id).where(GroupTeacher.group_id == group.id)).all()
    )
    return GroupDetail(group=row, members=members, roster=roster, teacher_ids=teacher_ids)


def teacher_choices(session: Session) -> list[tuple[int, str, str]]:
    """Active accounts that can be a group's teacher: (id, username, role), by name."""
    return [
        (a.id, a.username, a.role)
        for a in session.exec(
            select(Admin).where(col(Admin.is_active).is_(True)).order_by(col(Admin.username))
        ).all()
    ]
