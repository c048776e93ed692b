"""The groups pages: `/admin/groups` (every group in reach) and `/admin/groups/[group_id]`.

Owners and admins create groups, import rosters (pasted from a spreadsheet:
full name; Telegram username or phone; group), rename, archive, rotate invite
codes, choose teachers and add or remove students. A teacher sees only their
own groups (services/access.py `Scope`) and decides the roster's uncertain
matches there; everything else refuses them (the default capability, MANAGE).

Ids come from the page like any argument: each handler checks who calls and the
service checks the group is in the caller's scope (a group outside it reads as
missing).
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.components import USER_CONTENT, header_row
from mockexam.admin.exam_form import local_text
from mockexam.admin.group_message import GroupMessageState, group_message_card
from mockexam.admin.group_page import GroupPageState
from mockexam.admin.group_results import GroupResultsState, group_results_card
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page, card, error_callout, success_callout
from mockexam.models import RosterStatus
from mockexam.parsing import parse_id
from mockexam.services import access, group_results, groups
from mockexam.services.access import Capability
from mockexam.services.transactions import in_session
from mockexam.text import clean_name

GROUPS_ROUTE = f"{ADMIN_ROOT}/groups"
GROUP_ROUTE = f"{GROUPS_ROUTE}/[group_id]"
MAX_ROSTER_CHARS = 200_000


class GroupView(TypedDict):
    group_id: int
    name: str
    teachers: str
    members: int
    uncertain: int
    waiting: int
    href: str
    last_exam: str  # the group's latest exam ("" none yet)
    took: str  # "6 / 8"
    group_mean: str
    everyone_mean: str
    ahead: bool  # the group's mean is at or above everyone's
    compared: bool  # both means exist


class MemberView(TypedDict):
    student_id: int
    full_name: str
    telegram_name: str
    username: str
    joined: str
    source: str


class RosterView(TypedDict):
    entry_id: int
    full_name: str
    contact: str
    status: str
    student_name: str
    undecided: bool


class TeacherView(TypedDict):
    admin_id: int
    username: str
    role: str
    chosen: bool


def _mean_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _group_view(row: groups.GroupRow, last: group_results.LastExam | None) -> GroupView:
    compared = bool(last and last.group_mean is not None and last.everyone_mean is not None)
    return {
        "group_id": row.group_id,
        "name": row.name,
        "teachers": ", ".join(row.teachers),
        "members": row.members,
        "uncertain": row.uncertain,
        "waiting": row.waiting,
        "href": f"{GROUPS_ROUTE}/{row.group_id}",
        "last_exam": last.title if last else "",
        "took": f"{last.took} / {last.members}" if last else "",
        "group_mean": _mean_text(last.group_mean) if last else "",
        "everyone_mean": _mean_text(last.everyone_mean) if last else "",
        "compared": compared,
        "ahead": compared and last.group_mean >= last.everyone_mean,
    }


class GroupsState(AdminState):
    rows: list[GroupView] = []
    loaded: bool = False
    can_manage: bool = False
    error: str = ""
    notice: str = ""
    roster_error_lines: list[str] = []

    def _forget(self) -> None:
        self.reset()

    async def _read(self, me: int) -> None:
        role = self._admin_role

        def read(db: Any) -> tuple[list[groups.GroupRow], dict[int, group_results.LastExam]]:
            rows = groups.list_groups(db, scope=access.scope_for(db, admin_id=me, role=role))
            return rows, group_results.last_exam_summaries(db, [r.group_id for r in rows])

        result = await self._service(in_session(read, readonly=True))
        if result is FAILED:
            return
        rows, last = result
        self.rows = [_group_view(r, last.get(r.group_id)) for r in rows]
        self.can_manage = access.allows(self._admin_role, Capability.MANAGE)
        self.loaded = True

    @rx.event
    async def load(self):
        if (me := await self._require_admin(Capability.VIEW)) is None:
            return
        self.error = self.notice = ""
        self.roster_error_lines = []
        await self._read(me)

    @rx.event
    async def create(self, form: dict[str, Any]):
        if (me := await self._require_admin()) is None:
            return
        self.error = self.notice = ""
        name = form.get("name", "") if isinstance(form, dict) else ""
        result = await self._service(
            in_session(lambda db: groups.create_group(db, name=name, actor_id=me).name)
        )
        if result is not FAILED:
            self.notice = self._text(
                f"«{result}» guruhi yaratildi.",
                f"Группа «{result}» создана.",
                f"The group “{result}” is ready.",
            )
        await self._read(me)

    @rx.event
    async def import_roster(self, form: dict[str, Any]):
        """A roster pasted from a spreadsheet (or a CSV's text): checked whole, then imported."""
        if (me := await self._require_admin()) is None:
            return
        self.error = self.notice = ""
        self.roster_error_lines = []
        text = form.get("roster", "") if isinstance(form, dict) else ""
        if not isinstance(text, str) or len(text) > MAX_ROSTER_CHARS:
            self.error = self._text(
                "Ro‘yxat juda katta.", "Список слишком большой.", "The roster is too large."
            )
            return
        await self._import(me, lambda: text.encode())

    @rx.event
    async def upload_roster(self, roster_files: list[rx.UploadFile]):
        """A roster file (.csv, or an Excel workbook's first sheet): checked whole, then
        imported, as a pasted one."""
        if (me := await self._require_admin()) is None:
            return
        self.error = self.notice = ""
        self.roster_error_lines = []
        if (
            not isinstance(roster_files, list)
            or len(roster_files) != 1
            or not isinstance(roster_files[0], rx.UploadFile)
        ):
            self.error = self._text(
                "Bitta .csv yoki .xlsx faylni tanlang.",
                "Выберите один файл .csv или .xlsx.",
                "Choose one .csv or .xlsx file.",
            )
            return
        upload = roster_files[0]
        name = clean_name(upload.name or "", max_len=10_000)[-120:] or "file"
        data = await upload.read(groups.ROSTER_MAX_BYTES + 1)
        await self._import(me, lambda: groups.roster_from_file(data, name))

    async def _import(self, me: int, read: Any) -> None:
        """Import the roster `read()` gives (its problems, line by line, on the page)."""
        problems: list[groups.RosterProblem] = []

        def act(db) -> groups.RosterImport:
            try:
                return groups.import_roster(db, read(), actor_id=me)
            except groups.RosterError as err:
                problems.extend(err.problems)
                raise

        result = await self._service(in_session(act))
        if result is FAILED:
            lang = self._lang()
            self.roster_error_lines = [
                f"{p.line}: {p.text.text(lang)}" if p.line else p.text.text(lang)
                for p in problems[:20]
            ]
            return
        self.notice = self._text(
            f"{result.rows} ta qator: {result.matched} tasi topildi, {result.uncertain} tasi "
            f"tasdiqlashni kutmoqda, {result.waiting} tasi o‘quvchi qo‘shilishini kutmoqda.",
            f"Строк: {result.rows}; найдено: {result.matched}, ждут подтверждения: "
            f"{result.uncertain}, ждут ученика: {result.waiting}.",
            f"{result.rows} rows: {result.matched} matched, {result.uncertain} to confirm, "
            f"{result.waiting} waiting for the student to join.",
        )
        await self._read(me)


class GroupState(GroupPageState):
    """One group: its invite, teachers, members and roster."""

    group_id: int = 0
    name: str = ""
    archived: bool = False
    invite_bot: str = ""
    invite_app: str = ""
    invite_param: str = ""
    members: list[MemberView] = []
    roster: list[RosterView] = []
    teachers: list[TeacherView] = []
    can_manage: bool = False
    loaded: bool = False
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    async def _read(self, me: int) -> None:
        manage = access.allows(self._admin_role, Capability.MANAGE)

        def read(db, group_id: int, scope: access.Scope) -> tuple[groups.GroupDetail, list]:
            detail = groups.group_detail(db, group_id, scope=scope)
            return detail, groups.teacher_choices(db) if manage else []

        result = await self._in_group(me, read)
        if result is None:
            return
        if result is FAILED:
            self.loaded = False
            self.members, self.roster, self.teachers = [], [], []
            return
        detail, choices = result
        links = groups.invite_links(detail.group.invite_code)
        self.group_id = detail.group.group_id
        self.name = detail.group.name
        self.archived = detail.group.archived
        self.invite_bot = links.bot or ""
        self.invite_app = links.app or ""
        self.invite_param = links.start_param
        self.members = [
            {
                "student_id": m.student_id,
                "full_name": m.full_name,
                "telegram_name": m.telegram_name,
                "username": m.username,
                "joined": local_text(m.joined_at),
                "source": m.source,
            }
            for m in detail.members
        ]
        self.roster = [
            {
                "entry_id": r.entry_id,
                "full_name": r.full_name,
                "contact": r.contact,
                "status": r.status,
                "student_name": r.student_name,
                "undecided": r.status == RosterStatus.UNCERTAIN,
            }
            for r in detail.roster
        ]
        chosen = set(detail.teacher_ids)
        self.teachers = [
            {"admin_id": i, "username": u, "role": r, "chosen": i in chosen} for i, u, r in choices
        ]
        self.can_manage = manage
        self.loaded = True

    @rx.event
    async def load(self):
        if (me := await self._require_admin(Capability.VIEW)) is None:
            return
        self.error = self.notice = ""
        await self._read(me)

    async def _act(self, act: Any, notice: tuple[str, str, str] | None = None) -> None:
        """Run a managing change on this page's group (MANAGE), then read the page again."""
        if (me := await self._require_admin()) is None:
            return
        self.error = self.notice = ""
        result = await self._in_group(me, lambda db, gid, _scope: act(db, gid, me), readonly=False)
        if result is None:
            return
        if result is not FAILED and notice is not None:
            self.notice = self._text(*notice)
        await self._read(me)

    @rx.event
    async def rename(self, form: dict[str, Any]):
        name = form.get("name", "") if isinstance(form, dict) else ""
        await self._act(
            lambda db, gid, me: groups.rename_group(db, gid, name=name, actor_id=me),
            ("Nomi o‘zgartirildi.", "Название изменено.", "The name is changed."),
        )

    @rx.event
    async def rotate_code(self):
        await self._act(
            lambda db, gid, me: groups.rotate_code(db, gid, actor_id=me),
            (
                "Yangi taklif havolasi tayyor; eskisi endi ishlamaydi.",
                "Новая ссылка-приглашение готова; старая больше не действует.",
                "A new invite link is ready; the old one no longer works.",
            ),
        )

    @rx.event
    async def set_archived(self, archived: Any):
        if not isinstance(archived, bool):
            return
        await self._act(
            lambda db, gid, me: groups.set_archived(db, gid, archived, actor_id=me),
            (
                ("Guruh arxivlandi.", "Группа в архиве.", "The group is archived.")
                if archived
                else ("Guruh qaytarildi.", "Группа снова активна.", "The group is back.")
            ),
        )

    @rx.event
    async def toggle_teacher(self, admin_id: Any):
        target = parse_id(admin_id)
        if target is None:
            return
        current = {t["admin_id"] for t in self.teachers if t["chosen"]}
        wanted = current ^ {target}
        await self._act(lambda db, gid, me: groups.set_teachers(db, gid, wanted, actor_id=me))

    @rx.event
    async def remove_member(self, student_id: Any):
        target = parse_id(student_id)
        if target is None:
            return
        await self._act(
            lambda db, gid, me: groups.remove_member(db, gid, target, actor_id=me),
            (
                "O‘quvchi guruhdan chiqarildi.",
                "Ученик удалён из группы.",
                "The student is removed.",
            ),
        )

    @rx.event
    async def decide(self, entry_id: Any, confirm: Any):
        """A teacher's (or an admin's) answer to an uncertain roster match, in their scope."""
        if (me := await self._require_admin(Capability.VIEW)) is None:
            return
        self.error = self.notice = ""
        target = parse_id(entry_id)
        if target is None or not isinstance(confirm, bool):
            return

        role = self._admin_role

        def act(db) -> None:
            scope = access.scope_for(db, admin_id=me, role=role)
            groups.decide_match(db, target, confirm=confirm, actor_id=me, scope=scope)

        result = await self._service(in_session(act))
        if result is not FAILED:
            self.notice = self._text(
                *(
                    ("Tasdiqlandi.", "Подтверждено.", "Confirmed.")
                    if confirm
                    else ("Rad etildi.", "Отклонено.", "Rejected.")
                )
            )
        await self._read(me)


# ---- the list page -----------------------------------------------------------------------


def _group_row(g: rx.Var[GroupView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(g["name"], href=g["href"], weight="medium", custom_attrs=USER_CONTENT)
        ),
        rx.table.cell(rx.text(g["teachers"], size="2", custom_attrs=USER_CONTENT)),
        rx.table.cell(g["members"], text_align="center"),
        rx.table.cell(
            rx.cond(
                g["last_exam"].to(str) != "",
                rx.vstack(
                    rx.text(g["last_exam"], size="2", custom_attrs=USER_CONTENT),
                    rx.text(
                        t("topshirdi ", "сдали ", "took it: "),
                        g["took"],
                        size="1",
                        color="var(--gray-11)",
                    ),
                    spacing="0",
                ),
                rx.text("—", color="var(--gray-9)"),
            )
        ),
        rx.table.cell(
            rx.cond(
                g["last_exam"].to(str) != "",
                rx.hstack(
                    rx.badge(
                        g["group_mean"],
                        color_scheme=rx.cond(
                            g["compared"], rx.cond(g["ahead"], "grass", "red"), "gray"
                        ),
                        class_name="group-mean",
                    ),
                    rx.text("/ ", g["everyone_mean"], size="2", color="var(--gray-11)"),
                    spacing="1",
                    align="center",
                ),
            ),
            white_space="nowrap",
        ),
        rx.table.cell(
            rx.cond(
                g["uncertain"].to(int) > 0,
                rx.badge(g["uncertain"], color_scheme="amber"),
                rx.text("—", color="var(--gray-9)"),
            ),
            text_align="center",
        ),
        rx.table.cell(g["waiting"], text_align="center"),
        class_name="group-row",
    )


def _create_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="name",
                placeholder=t("Guruh nomi", "Название группы", "Group name"),
                max_length=80,
                required=True,
                id="new-group-name",
            ),
            rx.button(
                rx.icon("plus", size=16),
                t("Guruh yaratish", "Создать группу", "Create group"),
                type="submit",
                id="new-group-submit",
            ),
            spacing="2",
        ),
        on_submit=GroupsState.create,
        reset_on_submit=True,
    )


def _roster_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text_area(
                name="roster",
                placeholder=t(
                    "Aliyev Jasur\t@jasur_a\tMatematika 9-A\n"
                    "Karimova Dilnoza\t+998 90 123 45 67\tMatematika 9-A",
                    "Алиев Жасур\t@jasur_a\tМатематика 9-А\n"
                    "Каримова Дилноза\t+998 90 123 45 67\tМатематика 9-А",
                    "Aliyev Jasur\t@jasur_a\tMaths 9-A\n"
                    "Karimova Dilnoza\t+998 90 123 45 67\tMaths 9-A",
                ),
                rows="6",
                width="100%",
                id="roster-text",
            ),
            rx.button(
                rx.icon("upload", size=16),
                t("Ro‘yxatni yuklash", "Загрузить список", "Import the roster"),
                type="submit",
                id="roster-submit",
            ),
            spacing="2",
            width="100%",
            align="start",
        ),
        on_submit=GroupsState.import_roster,
        width="100%",
    )


ROSTER_UPLOAD_ID = "roster-file"
ROSTER_ACCEPT = {
    "text/csv": [".csv", ".txt", ".tsv"],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
}


def _roster_upload() -> rx.Component:
    return rx.upload.root(
        rx.hstack(
            rx.icon("file-spreadsheet", size=18, color="var(--gray-10)"),
            rx.text(
                t(
                    "yoki faylni tashlang: .xlsx (birinchi varaq) yoki .csv",
                    "или перетащите файл: .xlsx (первый лист) или .csv",
                    "or drop a file: .xlsx (its first sheet) or .csv",
                ),
                size="2",
            ),
            spacing="2",
            align="center",
        ),
        id=ROSTER_UPLOAD_ID,
        accept=ROSTER_ACCEPT,
        max_size=groups.ROSTER_MAX_BYTES,
        max_files=1,
        multiple=False,
        on_drop=GroupsState.upload_roster(rx.upload_files(upload_id=ROSTER_UPLOAD_ID)),
        border="1px dashed var(--gray-a7)",
        border_radius="var(--radius-3)",
        padding="0.6rem 1rem",
        cursor="pointer",
        width="100%",
    )


def groups_page() -> rx.Component:
    return admin_page(
        error_callout(GroupsState.error, callout_id="groups-error"),
        rx.cond(
            GroupsState.roster_error_lines.length() > 0,
            rx.vstack(
                rx.foreach(GroupsState.roster_error_lines, lambda line: rx.text(line, size="2")),
                id="roster-problems",
                spacing="1",
            ),
        ),
        success_callout(GroupsState.notice, callout_id="groups-notice"),
        rx.cond(
            GroupsState.can_manage,
            rx.grid(
                card(
                    rx.heading(t("Yangi guruh", "Новая группа", "New group"), size="4"),
                    _create_form(),
                ),
                card(
                    rx.heading(t("Ro‘yxat", "Список учеников", "Roster"), size="4"),
                    rx.text(
                        t(
                            "Jadvaldan nusxa oling: F.I.Sh.; Telegram username yoki telefon; "
                            "guruh. Username mos kelsa, o‘quvchi darhol guruhga qo‘shiladi; "
                            "qolganlari havola orqali kirganda topiladi.",
                            "Скопируйте из таблицы: ФИО; имя в Telegram или телефон; группа. "
                            "Совпавшее имя пользователя сразу добавляет ученика в группу; "
                            "остальных найдём, когда они придут по ссылке.",
                            "Paste from a spreadsheet: full name; Telegram username or phone; "
                            "group. A matching username adds the student at once; the rest "
                            "are matched when they join by the invite link.",
                        ),
                        size="2",
                        color="var(--gray-11)",
                    ),
                    _roster_form(),
                    _roster_upload(),
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
        ),
        card(
            rx.table.root(
                header_row(
                    t("Guruh", "Группа", "Group"),
                    t("O‘qituvchilar", "Преподаватели", "Teachers"),
                    t("O‘quvchilar", "Ученики", "Students"),
                    t("Oxirgi imtihon", "Последний экзамен", "Last exam"),
                    t("Guruh / hamma", "Группа / все", "Group / everyone"),
                    t("Tasdiqlash kerak", "Нужно подтвердить", "To confirm"),
                    t("Kutilmoqda", "Ожидают", "Waiting"),
                ),
                rx.table.body(rx.foreach(GroupsState.rows, _group_row)),
                size="2",
                variant="surface",
                width="100%",
                id="groups-table",
            ),
            rx.cond(
                GroupsState.loaded & (GroupsState.rows.length() == 0),
                rx.text(
                    t("Hali guruh yo‘q.", "Групп пока нет.", "No groups yet."),
                    color="var(--gray-11)",
                    id="groups-empty",
                ),
            ),
        ),
        active="groups",
        title=t("Guruhlar", "Группы", "Groups"),
        subtitle=t(
            "Sinflar, ularning o‘qituvchilari va o‘quvchilari",
            "Классы, их преподаватели и ученики",
            "Classes, their teachers and their students",
        ),
    )


# ---- one group ---------------------------------------------------------------------------


def _member_row(m: rx.Var[MemberView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.text(
                rx.cond(m["full_name"].to(str) != "", m["full_name"], "—"),
                weight="medium",
                custom_attrs=USER_CONTENT,
            )
        ),
        rx.table.cell(rx.text(m["telegram_name"], custom_attrs=USER_CONTENT)),
        rx.table.cell(
            rx.cond(
                m["username"].to(str) != "",
                rx.text("@", m["username"], size="2", custom_attrs=USER_CONTENT),
                rx.text("—", color="var(--gray-9)"),
            )
        ),
        rx.table.cell(rx.text(m["joined"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.cond(
                GroupState.can_manage,
                rx.button(
                    t("Chiqarish", "Удалить", "Remove"),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=GroupState.remove_member(m["student_id"].to(int)),
                ),
            )
        ),
        class_name="member-row",
    )


_STATUS = {
    RosterStatus.WAITING: ("kutilmoqda", "ожидает", "waiting"),
    RosterStatus.MATCHED: ("topildi", "найден", "matched"),
    RosterStatus.UNCERTAIN: ("tasdiqlash kerak", "нужно подтвердить", "to confirm"),
    RosterStatus.CONFIRMED: ("tasdiqlandi", "подтверждён", "confirmed"),
    RosterStatus.REJECTED: ("rad etildi", "отклонён", "rejected"),
}


def _roster_row(r: rx.Var[RosterView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r["full_name"], weight="medium", custom_attrs=USER_CONTENT)),
        rx.table.cell(rx.text(r["contact"], size="2", custom_attrs=USER_CONTENT)),
        rx.table.cell(
            rx.match(
                r["status"].to(str),
                *((status.value, rx.badge(t(*words))) for status, words in _STATUS.items()),
                rx.badge(r["status"]),
            )
        ),
        rx.table.cell(rx.text(r["student_name"], custom_attrs=USER_CONTENT)),
        rx.table.cell(
            rx.cond(
                r["undecided"],
                rx.hstack(
                    rx.button(
                        t("Ha, shu", "Да, это он", "Yes, that's them"),
                        size="1",
                        on_click=GroupState.decide(r["entry_id"].to(int), True),
                        class_name="confirm-match",
                    ),
                    rx.button(
                        t("Yo‘q", "Нет", "No"),
                        size="1",
                        variant="soft",
                        color_scheme="gray",
                        on_click=GroupState.decide(r["entry_id"].to(int), False),
                        class_name="reject-match",
                    ),
                    spacing="2",
                ),
            )
        ),
        class_name="roster-row",
    )


def _invite_card() -> rx.Component:
    return card(
        rx.heading(t("Taklif havolasi", "Ссылка-приглашение", "Invite link"), size="4"),
        rx.cond(
            GroupState.invite_bot != "",
            rx.vstack(
                rx.code(GroupState.invite_bot, id="invite-bot", custom_attrs=USER_CONTENT),
                rx.code(GroupState.invite_app, id="invite-app", custom_attrs=USER_CONTENT),
                spacing="2",
                align="start",
            ),
            rx.text(
                t(
                    "TELEGRAM_BOT_USERNAME sozlanmagan. Havola parametri: ",
                    "TELEGRAM_BOT_USERNAME не задан. Параметр ссылки: ",
                    "TELEGRAM_BOT_USERNAME is not set. The link's parameter: ",
                ),
                rx.code(GroupState.invite_param, id="invite-param"),
                size="2",
            ),
        ),
        rx.cond(
            GroupState.can_manage,
            rx.button(
                rx.icon("refresh-cw", size=16),
                t("Yangi havola", "Новая ссылка", "New link"),
                variant="soft",
                on_click=GroupState.rotate_code,
                id="rotate-code",
            ),
        ),
    )


def _teachers_card() -> rx.Component:
    return card(
        rx.heading(t("O‘qituvchilar", "Преподаватели", "Teachers"), size="4"),
        rx.flex(
            rx.foreach(
                GroupState.teachers,
                lambda a: rx.button(
                    rx.cond(a["chosen"], rx.icon("check", size=14), rx.fragment()),
                    a["username"],
                    size="1",
                    variant=rx.cond(a["chosen"], "solid", "outline"),
                    on_click=GroupState.toggle_teacher(a["admin_id"].to(int)),
                    class_name="teacher-choice",
                    custom_attrs=USER_CONTENT,
                ),
            ),
            wrap="wrap",
            spacing="2",
        ),
    )


def _table_card(
    title: rx.Var[str], headers: tuple[rx.Var[str], ...], rows: rx.Component, table_id: str
) -> rx.Component:
    """A titled card holding one table (the last column, for actions, has no title)."""
    return card(
        rx.heading(title, size="4"),
        rx.table.root(
            header_row(*headers, ""),
            rx.table.body(rows),
            size="2",
            variant="surface",
            width="100%",
            id=table_id,
        ),
    )


def group_page() -> rx.Component:
    return admin_page(
        error_callout(GroupState.error, callout_id="group-error"),
        success_callout(GroupState.notice, callout_id="group-notice"),
        rx.cond(
            GroupState.loaded,
            rx.vstack(
                rx.grid(
                    _invite_card(),
                    rx.cond(GroupState.can_manage, _teachers_card()),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                group_results_card(),
                group_message_card(),
                _table_card(
                    t("O‘quvchilar", "Ученики", "Students"),
                    (
                        t("Markazdagi ismi", "Имя в центре", "Name at the centre"),
                        t("Telegramdagi ismi", "Имя в Telegram", "Telegram name"),
                        t("Telegram username", "Имя пользователя", "Username"),
                        t("Qo‘shilgan", "Добавлен", "Joined"),
                    ),
                    rx.foreach(GroupState.members, _member_row),
                    "members-table",
                ),
                rx.cond(
                    GroupState.roster.length() > 0,
                    _table_card(
                        t("Ro‘yxat", "Список", "Roster"),
                        (
                            t("F.I.Sh.", "ФИО", "Full name"),
                            t("Aloqa", "Контакт", "Contact"),
                            t("Holat", "Статус", "Status"),
                            t("O‘quvchi", "Ученик", "Student"),
                        ),
                        rx.foreach(GroupState.roster, _roster_row),
                        "roster-table",
                    ),
                ),
                spacing="5",
                width="100%",
                align="stretch",
            ),
        ),
        active="groups",
        title=rx.cond(GroupState.name != "", GroupState.name, t("Guruh", "Группа", "Group")),
        subtitle=t(
            "Natijalar, taklif havolasi, o‘qituvchilar, o‘quvchilar va ro‘yxat",
            "Результаты, ссылка-приглашение, преподаватели, ученики и список",
            "Results, invite link, teachers, students and roster",
        ),
    )


GROUPS_ON_LOAD = [AdminState.check_session, GroupsState.load]
GROUP_ON_LOAD = [
    AdminState.check_session,
    GroupState.load,
    GroupResultsState.load,
    GroupMessageState.load,
]
