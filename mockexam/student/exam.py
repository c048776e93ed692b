"""The exam room `/app/exam/[exam_id]` (spec §3, §7): lobby, start, the exam, waiting, results.

One route shows whatever the student's phase is (services.exam_room): the
lobby with a countdown to the opening (students connect here early, so the
start is one small event, not a page load), the start button with a
confirmation (at the opening the lobby turns into it in the browser, by the
server's count: no event, though every student's lobby reaches zero at once), the exam screen (question paper + answer sheet + countdown from
the server deadline), the waiting view after submit, a redirect to the
results once released, or "this exam has closed".

Answers: the sheet (ui/answer_sheet.py) keeps every change in the browser and
sends only changes, as plain HTTP POSTs to `save_url` (mockexam/api.py, no Reflex
event: at the start and end of a national exam these are most of the traffic),
with `save_token`, the signed credential of this student for this exam that
`_show` hands over while the session runs; the route stores them for the session
of (token's student, exam) and answers with a tiny ack. The submit goes the same
way (`save_url` + `/submit`, the last changes and `auto`): the sheet shows the
waiting view itself when the answer says submitted (ui/answer_sheet.SheetGate),
and this state learns it at its next read (the results countdown, a reload).
Every batch names its device and seq, and the database stores nothing of a batch
that a newer one of the same device covers (services.exam_room). An error sends
no ack, so the sheet re-sends; after the deadline or a submit elsewhere the route
says "closed" and the sheet calls `sheet_closed`, which reads the room again.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, TypedDict

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.api import sheet_path
from mockexam.errors import (
    AlreadySubmittedError,
    DeadlinePassedError,
    ExamNotOpenError,
    MockExamError,
    NotFoundError,
    PermissionDeniedError,
)
from mockexam.services.exam_room import (
    ExamRoom,
    RoomPhase,
    get_exam_room,
    sheet_token,
    start_exam,
)
from mockexam.services.paper import paper_link
from mockexam.student.auth import StudentState, student_on_load
from mockexam.student.components import (
    auto_submitted_badge,
    card_skeleton,
    error_callout,
    link_button,
    message_card,
    primary_button,
)
from mockexam.student.i18n import (
    MINUTES,
    SHEET_SYNC_TEXTS,
    count_text,
    error_text,
    texts_by_language,
    tr,
)
from mockexam.student.shell import APP_ROOT, page_header, student_shell
from mockexam.ui import theme
from mockexam.ui.answer_sheet import (
    answer_sheet,
    forget_sheet,
    sheet_banner,
    sheet_clock,
    sheet_gate,
    sheet_notice,
    sheet_section,
    submitted_countdown,
)
from mockexam.ui.countdown import clock_gate, countdown
from mockexam.ui.intl import local_datetime
from mockexam.ui.layout import section_card
from mockexam.ui.pdf_viewer import pdf_viewer
from mockexam.ui.telegram import haptic
from mockexam.ui.timefmt import iso_utc

logger = logging.getLogger(__name__)

EXAM_ROUTE = f"{APP_ROOT}/exam/[exam_id]"


class View:
    """What the page shows besides the room phases (services.exam_room.RoomPhase)."""

    LOADING = "loading"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class SheetItemView(TypedDict):
    label: str
    number: int
    sub_part: str
    kind: str
    options: list[str]
    section: int


def section_views(room: ExamRoom) -> list[dict[str, Any]]:
    """The sheet's sections (ui/answer_sheet.sheet_section: titles, notes, rule lines in
    uz/ru/en) from the room's layout; [] when the room names none."""
    return [
        sheet_section(
            index=section.index,
            titles=section.titles,
            kind=section.kind,
            options=section.options,
            parts=section.parts,
            points=section.points,
            first=section.first,
            last=section.last,
        )
        for section in getattr(room, "sections", None) or ()
    ]


class SavedView(TypedDict):
    value: str
    flagged: bool


class ExamState(StudentState):
    """The exam page of the signed-in student; the exam is the one in the route."""

    phase: str = View.LOADING
    title: str = ""
    audience: str = ""  # NOT_FOR_YOU: the groups the exam is for, named
    duration_minutes: int = 0
    start_iso: str = ""
    end_iso: str = ""
    seconds_until_start: int = 0
    seconds_until_end: int = 0
    seconds_left: int = 0
    is_auto_submitted: bool = False
    results_href: str = ""
    sheet_key: str = ""  # the browser's storage namespace of this session's pending answers
    items: list[SheetItemView] = []
    sections: list[dict[str, Any]] = []  # the layout's sections (headings, notes, rule lines)
    saved: dict[str, SavedView] = {}
    paper: str = ""
    load_id: str = ""
    save_url: str = ""  # where the sheet posts its saves (while in progress)
    save_token: str = ""  # the sheet's credential for them (services.exam_room.sheet_token)
    notice: str = ""
    start_error: str = ""
    starting: bool = False

    _exam_shown: int | None = None  # the exam whose data the vars hold

    # --- loading ------------------------------------------------------------------------

    @rx.event
    async def load(self, init_data: str = ""):
        """Sign in if needed, then read this exam as it is for the caller now."""
        student_id = await self._sign_in(init_data)
        if student_id is None:
            self._clear()
            return None
        exam_id = self._path_id()
        if exam_id is None or exam_id != self._exam_shown:
            self._clear()
        if exam_id is None:
            self.phase = View.NOT_FOUND
            return None
        self.notice = ""
        return await self._read(student_id, exam_id)

    @rx.event
    async def refresh(self):
        """Re-read after a countdown reached zero (opened, closed, results due)."""
        student_id = self._signed_in()
        if student_id is None:
            return EXAM_ON_LOAD
        exam_id = self._path_id()
        if exam_id is None:
            return None
        return await self._read(student_id, exam_id)

    @rx.event
    async def resync(self):
        """The page became visible again: the true seconds left from the server clock."""
        student_id, exam_id = self._signed_in(), self._path_id()
        if student_id is None or exam_id is None or self.phase not in set(RoomPhase):
            return None
        try:
            room = await rx.run_in_thread(
                lambda: get_exam_room(student_id=student_id, exam_id=exam_id, with_sheet=False)
            )
        except (MockExamError, SQLAlchemyError):
            logger.warning("exam %s: clock resync failed", exam_id, exc_info=True)
            return None
        if room.phase != self.phase:
            return await self._read(student_id, exam_id)
        self._set_if_changed(
            seconds_until_start=room.seconds_until_start,
            seconds_until_end=room.seconds_until_end,
            seconds_left=room.seconds_left,
        )
        return None

    async def _read(self, student_id: int, exam_id: int, *, then: Any = None):
        try:
            room = await rx.run_in_thread(
                lambda: get_exam_room(student_id=student_id, exam_id=exam_id)
            )
        except NotFoundError:
            self._clear()
            self.phase = View.NOT_FOUND
            return None
        except (MockExamError, SQLAlchemyError):
            logger.exception("exam %s of student %s could not be read", exam_id, student_id)
            self.phase = View.FAILED
            return None
        return self._show(room, then=then)  # (the room has the sections from the lobby on)

    def _clear(self) -> None:
        """Forget everything shown (another exam, or no sign-in)."""
        self._exam_shown = None
        for name, default in (
            ("phase", View.LOADING),
            ("title", ""),
            ("duration_minutes", 0),
            ("start_iso", ""),
            ("end_iso", ""),
            ("seconds_until_start", 0),
            ("seconds_until_end", 0),
            ("seconds_left", 0),
            ("is_auto_submitted", False),
            ("results_href", ""),
            ("sheet_key", ""),
            ("sections", []),
            ("paper", ""),
            ("notice", ""),
            ("start_error", ""),
            ("starting", False),
        ):
            if getattr(self, name) != default:
                setattr(self, name, default)
        self._drop_sheet()

    def _drop_sheet(self) -> None:
        self._set_if_changed(save_url="", save_token="")
        if self.items:
            self.items = []
        if self.saved:
            self.saved = {}

    def _set_if_changed(self, **values: Any) -> None:
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _show(self, room: ExamRoom, *, then: Any = None):
        """Put `room` on the page; the sheet only while in progress (one delta)."""
        self._exam_shown = room.exam_id
        url = None
        if room.phase == RoomPhase.IN_PROGRESS and self._student_id is not None:
            url = paper_link(
                student_id=self._student_id,
                exam_id=room.exam_id,
                status=room.status,
                pdf_path=room.pdf_path,
                window_end=room.window_end,
                now=room.now,
            )
        was = self.phase
        self._set_if_changed(
            title=room.title,
            duration_minutes=room.duration_minutes,
            start_iso=iso_utc(room.window_start),
            end_iso=iso_utc(room.window_end),
            seconds_until_start=room.seconds_until_start,
            seconds_until_end=room.seconds_until_end,
            seconds_left=room.seconds_left,
            is_auto_submitted=room.is_auto_submitted,
            sheet_key=f"s{room.session_id}" if room.session_id else "",
            results_href=(
                f"{APP_ROOT}/results/{room.session_id}" if room.phase == RoomPhase.RELEASED else ""
            ),
            paper=url or "",
            starting=False,
            audience=", ".join(f"«{name}»" for name in room.audience),
        )
        views = section_views(room)
        if views:  # the room carries them from the lobby on (exam_room)
            self._set_if_changed(sections=views)
        if room.phase == RoomPhase.IN_PROGRESS:
            self.items = [
                {
                    "label": item.label,
                    "number": item.number,
                    "sub_part": item.sub_part,
                    "kind": item.kind,
                    "options": list(item.options),
                    "section": getattr(item, "section", 0),
                }
                for item in room.items
            ]
            self.saved = {
                label: {"value": answer.value, "flagged": answer.flagged}
                for label, answer in room.answers.items()
            }
            if room.deadline is not None and self._student_id is not None:
                self._set_if_changed(
                    save_url=sheet_path(room.exam_id),
                    save_token=sheet_token(
                        student_id=self._student_id, exam_id=room.exam_id, deadline=room.deadline
                    ),
                )
        else:
            self._drop_sheet()
        self.load_id = uuid.uuid4().hex[:12]
        self.phase = room.phase.value
        events: list[Any] = [] if then is None else list(then)
        if room.phase == RoomPhase.RELEASED:
            events.append(rx.redirect(self.results_href, replace=True))
        if (
            room.phase == RoomPhase.SUBMITTED
            and was == RoomPhase.IN_PROGRESS
            and room.session_id is not None
        ):
            events.append(forget_sheet(f"s{room.session_id}"))
        return events or None

    # --- starting -----------------------------------------------------------------------

    @rx.event
    async def start(self):
        """Start the caller's session of this exam (server clock decides)."""
        student_id, exam_id = self._signed_in(), self._path_id()
        if student_id is None or exam_id is None:
            return None
        if self.starting:
            return None
        self.starting, self.start_error = True, ""
        try:
            room = await rx.run_in_thread(
                lambda: start_exam(student_id=student_id, exam_id=exam_id)
            )
        except (ExamNotOpenError, PermissionDeniedError) as error:  # closed; not for them
            self.starting = False
            self.start_error = error_text(error, self.lang)
            return await self._read(student_id, exam_id)
        except NotFoundError:
            self._clear()
            self.phase = View.NOT_FOUND
            return None
        except (MockExamError, SQLAlchemyError):
            logger.exception("exam %s: student %s could not start", exam_id, student_id)
            self.starting = False
            self.start_error = error_text(MockExamError(), self.lang)
            return None
        return self._show(room, then=[haptic("success")])  # start_exam read the room

    # --- answers (over HTTP: mockexam/api.py) ---------------------------------------

    @rx.event
    async def sheet_closed(self):
        """The sheet's HTTP save was refused as closed (deadline, submit) or with a
        credential no longer good: read the room again and say why, from the database."""
        student_id, exam_id = self._signed_in(), self._path_id()
        if student_id is None:
            return EXAM_ON_LOAD
        if exam_id is None or self.phase != RoomPhase.IN_PROGRESS:
            return None
        try:
            room = await rx.run_in_thread(
                lambda: get_exam_room(student_id=student_id, exam_id=exam_id)
            )
        except (MockExamError, SQLAlchemyError):
            logger.warning(
                "exam %s: the closed sheet could not be read again", exam_id, exc_info=True
            )
            return None
        events = self._show(room)
        if room.phase != RoomPhase.SUBMITTED:
            return events  # still running (a new credential): the sheet re-sends with it
        self.notice = self._closed_text(by_clock=room.is_auto_submitted)
        return [*(events or []), haptic("warning")]

    def _closed_text(self, *, by_clock: bool) -> str:
        """Why the sheet takes no more answers: the time is up, or it was submitted."""
        error = DeadlinePassedError() if by_clock else AlreadySubmittedError()
        return error_text(error, self.lang)


EXAM_ON_LOAD = student_on_load(ExamState.load)


# --- the views --------------------------------------------------------------------------


SHEET_LABELS = texts_by_language(
    **SHEET_SYNC_TEXTS,
    answered=("Javob berilgan", "Отвечено", "Answered"),
    unanswered=("Javobsiz", "Без ответа", "Unanswered"),
    flagged=("Belgilangan", "Отмечено", "Flagged"),
    flag=("Qayta ko‘rish uchun belgilash", "Отметить для проверки", "Flag for review"),
    unflag=("Belgini olib tashlash", "Снять отметку", "Remove the flag"),
    placeholder=("Javob", "Ответ", "Answer"),
    submit=("Imtihonni topshirish", "Сдать экзамен", "Submit the exam"),
    submitting=("Topshirilmoqda…", "Сдаём…", "Submitting…"),
    confirmTitle=("Imtihonni topshirasizmi?", "Сдать экзамен?", "Submit the exam?"),
    confirmFlagged=(
        "Belgilangan: {n} ta.",
        "Отмечено для проверки: {n}.",
        "Flagged for review: {n}.",
    ),
    confirmFinal=(
        "Topshirgandan keyin javoblarni o‘zgartirib bo‘lmaydi.",
        "После сдачи ответы изменить нельзя.",
        "After submitting, answers can no longer change.",
    ),
    cancel=("Bekor qilish", "Отмена", "Cancel"),
    confirm=("Topshirish", "Сдать", "Submit"),
)

PDF_LABELS = texts_by_language(
    loading=("Savollar yuklanmoqda…", "Загружаем задания…", "Loading the questions…"),
    error=(
        "Savollar varag‘ini ochib bo‘lmadi.",
        "Не удалось открыть задания.",
        "The question paper could not be opened.",
    ),
    page=("Sahifa", "Страница", "Page"),
    zoomIn=("Kattalashtirish", "Увеличить", "Zoom in"),
    zoomOut=("Kichiklashtirish", "Уменьшить", "Zoom out"),
    fit=("Ekranga moslash", "По ширине", "Fit"),
    prev=("Oldingi sahifa", "Предыдущая страница", "Previous page"),
    next=("Keyingi sahifa", "Следующая страница", "Next page"),
)

DAY_SUFFIX = tr("k", "д", "d")


def _primary_button(*children: Any, **props: Any) -> rx.Component:
    """The exam room's larger primary button (start, back home, see the results)."""
    return primary_button(
        *children,
        size="4",
        style={"font_weight": "600", "border_radius": "14px", "height": "3.25rem"},
        **props,
    )


def _fact(icon: str, text: rx.Component | rx.Var | str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=16, color=theme.HINT),
        rx.text(text, size="2", color=theme.HINT),
        align="center",
        spacing="2",
    )


def _exam_facts() -> rx.Component:
    return rx.vstack(
        _fact("calendar", local_datetime(ExamState.start_iso, StudentState.lang)),
        _fact(
            "timer",
            rx.fragment(
                ExamState.duration_minutes.to_string(),
                count_text(ExamState.duration_minutes, **MINUTES),
            ),
        ),
        spacing="1",
        align="start",
    )


def _rules() -> rx.Component:
    rules = (
        tr(
            "Savollar PDF varaqda, javoblar esa pastdagi varaqqa yoziladi.",
            "Задания — в PDF, ответы — на бланке ниже.",
            "Questions are in the PDF; answers go on the sheet below it.",
        ),
        tr(
            "Vaqt boshlanganidan keyin to‘xtatib bo‘lmaydi; vaqt tugaganda ish o‘zi topshiriladi.",
            "Время не останавливается; когда оно выйдет, работа сдаётся сама.",
            "The clock cannot be paused; when time is up your work is submitted for you.",
        ),
        tr(
            "Javoblar darhol saqlanadi — aloqa uzilsa ham yo‘qolmaydi.",
            "Ответы сохраняются сразу и не теряются при обрыве связи.",
            "Answers save as you go and survive a lost connection.",
        ),
    )

    def line(rule: Any, **props: Any) -> rx.Component:
        return rx.hstack(
            rx.icon("circle-check", size=16, color=theme.ACCENT, flex_shrink="0"),
            rx.text(rule, size="2"),
            align="start",
            spacing="2",
            **props,
        )

    # One line per section of the layout ("1–35: bitta variant (A–D).", "36–45: a) va b)
    # javoblarini yozing."), after the first rule.
    per_section = rx.foreach(
        ExamState.sections,
        lambda section: line(section["rules"].to(dict)[ExamState.lang].to(str)),
    )
    return rx.vstack(
        line(rules[0]),
        per_section,
        *(line(rule) for rule in rules[1:]),
        spacing="2",
        align="start",
        id="exam-rules",
    )


def _big_countdown(
    caption: rx.Var[str],
    seconds: rx.Var[int] | None,
    countdown_id: str,
    *,
    submitted_key: rx.Var[str] | None = None,
    **events: Any,
) -> rx.Component:
    """A caption over a large countdown from `seconds`, or (`submitted_key`) from what the
    sheet of that session knows once it submitted over HTTP."""
    props = {
        "done_text": tr("hozir", "сейчас", "now"),
        "day_suffix": DAY_SUFFIX,
        "key": ExamState.load_id,
        **events,
    }
    return rx.vstack(
        rx.text(caption, size="2", color=theme.HINT),
        rx.text(
            countdown(seconds=seconds, **props)
            if submitted_key is None
            else submitted_countdown(submitted_key, **props),
            size="8",
            weight="bold",
            color=theme.ACCENT,
            id=countdown_id,
            style={"font_variant_numeric": "tabular-nums", "letter_spacing": "-0.02em"},
        ),
        spacing="1",
        align="center",
        width="100%",
        padding_y="0.5rem",
    )


def _title() -> rx.Component:
    """The page header with the exam's title (`#exam-title` holds the title only)."""
    return page_header(rx.el.span(ExamState.title, id="exam-title"), back_href=APP_ROOT)  # type: ignore[arg-type]


def _title_block() -> rx.Component:
    return rx.vstack(_title(), _exam_facts(), spacing="2", align="start", width="100%")


def _lobby_view() -> rx.Component:
    return rx.vstack(
        _title_block(),
        section_card(
            _big_countdown(
                tr("Imtihon boshlanishiga", "До начала экзамена", "The exam opens in"),
                ExamState.seconds_until_start,
                "lobby-countdown",
                on_visible=ExamState.resync,
            ),
            rx.text(
                tr(
                    "Sahifani ochiq qoldiring: vaqt kelganda «Boshlash» tugmasi shu yerda paydo "
                    "bo‘ladi.",
                    "Не закрывайте страницу: кнопка «Начать» появится здесь, как только "
                    "экзамен откроется.",
                    "Keep this page open: the Start button appears here the moment the exam opens.",
                ),
                size="2",
                color=theme.HINT,
                text_align="center",
            ),
        ),
        section_card(_rules()),
        spacing="4",
        width="100%",
        id="exam-lobby",
    )


def _lobby_then_open() -> rx.Component:
    """The lobby, and at the opening the start button, switched in the browser by the
    server's count: every student's lobby reaches zero in the same second, and none of
    them sends an event for it (`start` checks the window on the server clock)."""
    window = ExamState.seconds_until_end - ExamState.seconds_until_start
    return rx.fragment(
        clock_gate(_lobby_view(), seconds=ExamState.seconds_until_start, show="before"),
        clock_gate(_open_view(window), seconds=ExamState.seconds_until_start, show="after"),
    )


def _start_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            _primary_button(
                rx.icon("play", size=18),
                tr("Imtihonni boshlash", "Начать экзамен", "Start the exam"),
                id="start-exam",
                loading=ExamState.starting,
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("Boshlaymizmi?", "Начинаем?", "Ready to start?")),
            rx.alert_dialog.description(
                rx.vstack(
                    rx.text(
                        tr("Sizda ", "У вас будет ", "You will have "),
                        rx.text.strong(
                            ExamState.duration_minutes.to_string(),
                            count_text(ExamState.duration_minutes, **MINUTES),
                        ),
                        tr(
                            " bo‘ladi (oyna yopilishidan oshmaydi).",
                            " (но не дольше, чем открыто окно экзамена).",
                            " (never past the window's end).",
                        ),
                    ),
                    rx.text(
                        tr(
                            "Vaqtni to‘xtatib bo‘lmaydi: sahifani yopsangiz ham u davom etadi.",
                            "Время нельзя поставить на паузу: оно идёт, даже если закрыть "
                            "страницу.",
                            "The clock cannot be paused: it keeps running even if you close "
                            "the page.",
                        )
                    ),
                    spacing="2",
                    align="start",
                ),
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        tr("Hozir emas", "Не сейчас", "Not now"),
                        variant="soft",
                        color_scheme="gray",
                        size="3",
                        id="start-cancel",
                    ),
                ),
                rx.alert_dialog.action(
                    rx.button(
                        tr("Boshlash", "Начать", "Start"),
                        size="3",
                        background_color=theme.BUTTON,
                        color=theme.BUTTON_TEXT,
                        on_click=ExamState.start,
                        id="start-confirm",
                    ),
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            max_width="26rem",
            id="start-dialog",
        ),
    )


def _open_view(seconds_until_end: rx.Var[int] = ExamState.seconds_until_end) -> rx.Component:
    """The start button under the window's countdown; `seconds_until_end` as of when
    this view appears (the lobby's gate shows it at the opening: the window's length)."""
    return rx.vstack(
        _title_block(),
        section_card(
            rx.vstack(
                rx.badge(
                    tr("Imtihon ochiq", "Экзамен открыт", "The exam is open"),
                    color_scheme="green",
                    variant="soft",
                    size="2",
                ),
                _big_countdown(
                    tr("Oyna yopilishiga", "До закрытия окна", "The window closes in"),
                    seconds_until_end,
                    "open-countdown",
                    on_done=ExamState.refresh,
                    on_visible=ExamState.resync,
                ),
                _start_dialog(),
                rx.cond(
                    ExamState.start_error != "",
                    rx.callout(
                        ExamState.start_error,
                        icon="triangle-alert",
                        color_scheme="red",
                        width="100%",
                        id="start-error",
                    ),
                ),
                spacing="3",
                align="center",
                width="100%",
            ),
            id="exam-open-view",
            width="100%",
        ),
        section_card(_rules()),
        spacing="4",
        width="100%",
    )


_HIDE_INACTIVE = {"&[data-state='inactive']": {"display": "none"}}


def _exam_view() -> rx.Component:
    header = rx.vstack(
        rx.hstack(
            rx.text(
                ExamState.title,
                size="3",
                weight="bold",
                style={
                    "overflow": "hidden",
                    "text_overflow": "ellipsis",
                    "white_space": "nowrap",
                },
                flex="1",
                min_width="0",
            ),
            sheet_clock(
                countdown(
                    seconds=ExamState.seconds_left,
                    done_text="00:00",
                    day_suffix=DAY_SUFFIX,
                    warn_below=30,
                    on_visible=ExamState.resync,
                ),
                clock_id="exam-countdown",
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        sheet_banner(SHEET_LABELS),
        rx.tabs.list(
            rx.tabs.trigger(
                rx.hstack(
                    rx.icon("file-text", size=16),
                    tr("Savollar", "Задания", "Questions"),
                    spacing="2",
                    align="center",
                ),
                value="paper",
                id="tab-paper",
                flex="1",
            ),
            rx.tabs.trigger(
                rx.hstack(
                    rx.icon("pencil-line", size=16),
                    tr("Javoblar", "Ответы", "Answers"),
                    spacing="2",
                    align="center",
                ),
                value="sheet",
                id="tab-sheet",
                flex="1",
            ),
            size="2",
            width="100%",
        ),
        spacing="2",
        position="sticky",
        top="0",
        z_index="10",
        background_color=theme.BG,
        # Edge to edge over the page's side padding, so nothing shows beside it.
        width="calc(100% + 2rem)",
        margin_x="-1rem",
        padding_x="1rem",
        padding_top="max(0.5rem, env(safe-area-inset-top))",
        margin_top="-0.5rem",
    )
    paper = rx.cond(
        ExamState.paper != "",
        pdf_viewer(
            url=ExamState.paper, labels=PDF_LABELS, height="calc(100dvh - 11rem)", id="paper"
        ),
        section_card(
            rx.text(
                tr(
                    "Bu imtihon uchun PDF varaq yo‘q.",
                    "У этого экзамена нет PDF с заданиями.",
                    "This exam has no question paper.",
                ),
                color=theme.HINT,
                size="2",
            ),
        ),
    )
    sheet = answer_sheet(
        session_key=ExamState.sheet_key,
        items=ExamState.items,
        sections=ExamState.sections,
        saved=ExamState.saved,
        disabled=False,
        labels=SHEET_LABELS,
        seconds_left=ExamState.seconds_left,
        results_in=ExamState.seconds_until_end,
        load_id=ExamState.load_id,
        save_url=ExamState.save_url,
        save_token=ExamState.save_token,
        lang=ExamState.lang,
        on_closed=ExamState.sheet_closed,
    )
    return rx.tabs.root(
        header,
        rx.tabs.content(
            paper,
            value="paper",
            force_mount=True,
            padding_top="0.75rem",
            style=_HIDE_INACTIVE,
            id="paper-pane",
        ),
        rx.tabs.content(
            sheet,
            value="sheet",
            force_mount=True,
            padding_top="0.75rem",
            style=_HIDE_INACTIVE,
            id="sheet-pane",
        ),
        default_value="sheet",
        width="100%",
        id="exam-room",
    )


def _waiting_view(*, submitted_here: bool = False) -> rx.Component:
    """The waiting view: from the page's state, or (`submitted_here`) shown by the sheet's
    gate the moment its HTTP submit is answered, from what that answer said."""
    key = ExamState.sheet_key
    auto_badge = auto_submitted_badge("auto-submitted", size="2")
    notice_style = {"size": "2", "color": theme.DESTRUCTIVE, "text_align": "center"}
    results_due = rx.vstack(
        rx.text(
            tr(
                "Natijalar hisoblanmoqda.",
                "Результаты подсчитываются.",
                "Results are being calculated.",
            ),
            size="3",
            weight="bold",
        ),
        rx.button(
            rx.icon("refresh-cw", size=16),
            tr("Tekshirish", "Проверить", "Check again"),
            variant="soft",
            size="3",
            on_click=ExamState.refresh,
            id="check-results",
        ),
        spacing="2",
        align="center",
    )
    results_caption = tr("Natijalargacha", "До результатов", "Results in")
    if submitted_here:
        auto = sheet_gate(auto_badge, session_key=key, show="auto")
        notice = sheet_notice(
            key, id="waiting-notice", color=theme.DESTRUCTIVE, text_align="center"
        )
        results = rx.fragment(
            sheet_gate(
                _big_countdown(
                    results_caption,
                    None,
                    "waiting-countdown",
                    submitted_key=key,
                    on_done=ExamState.refresh,
                    on_visible=ExamState.resync,
                ),
                session_key=key,
                show="counting",
            ),
            sheet_gate(results_due, session_key=key, show="due"),
        )
    else:
        auto = rx.cond(ExamState.is_auto_submitted, auto_badge)
        notice = rx.cond(
            ExamState.notice != "",
            rx.text(ExamState.notice, id="waiting-notice", **notice_style),
        )
        results = rx.cond(
            ExamState.seconds_until_end > 0,
            _big_countdown(
                results_caption,
                ExamState.seconds_until_end,
                "waiting-countdown",
                on_done=ExamState.refresh,
                on_visible=ExamState.resync,
            ),
            results_due,
        )
    return rx.vstack(
        _title_block(),
        section_card(
            rx.vstack(
                rx.box(
                    rx.icon("circle-check", size=36, color="var(--green-10)"),
                    padding="0.6rem",
                    border_radius="999px",
                    background_color="var(--green-a3)",
                ),
                rx.heading(
                    tr("Javoblaringiz qabul qilindi", "Ответы приняты", "Your answers are in"),
                    size="5",
                    text_align="center",
                ),
                auto,
                notice,
                results,
                rx.text(
                    tr(
                        "Natijalar imtihon oynasi yopilgach e’lon qilinadi — Telegram’da xabar "
                        "olasiz.",
                        "Результаты появятся после закрытия окна экзамена — мы напишем вам "
                        "в Telegram.",
                        "Results come out when the exam window closes; we'll message you in "
                        "Telegram.",
                    ),
                    size="2",
                    color=theme.HINT,
                    text_align="center",
                ),
                spacing="3",
                align="center",
                width="100%",
            ),
            id="exam-waiting",
        ),
        link_button(
            rx.button(
                tr("Bosh sahifaga", "На главную", "Back to home"),
                variant="soft",
                size="3",
                width="100%",
                color=theme.LINK,
                background_color=theme.SECONDARY_BG,
            ),
            APP_ROOT,
            id="back-to-dashboard",
        ),
        spacing="4",
        width="100%",
    )


def _message_view(
    view_id: str, icon: str, title: rx.Var[str], body: rx.Var[str], link: rx.Component
) -> rx.Component:
    return rx.vstack(
        _title(),
        message_card(icon, title, body, link, card_id=view_id, width="100%"),
        spacing="4",
        width="100%",
    )


def _home_link(link_id: str = "back-to-dashboard") -> rx.Component:
    return link_button(
        _primary_button(tr("Bosh sahifaga", "На главную", "Back to home")), APP_ROOT, id=link_id
    )


def _released_view() -> rx.Component:
    return _message_view(
        "exam-released",
        "chart-column",
        tr("Natijalar chiqdi", "Результаты готовы", "Results are out"),
        tr("Natijalaringizni ko‘ring.", "Посмотрите свои результаты.", "See how you did."),
        link_button(
            _primary_button(tr("Natijalarni ko‘rish", "Открыть результаты", "See the results")),
            ExamState.results_href,
            id="results-link",
        ),
    )


def _closed_view() -> rx.Component:
    return _message_view(
        "exam-closed",
        "calendar-x",
        tr("Bu imtihon yopilgan", "Этот экзамен закрыт", "This exam has closed"),
        tr(
            "Imtihon oynasi yopildi va siz uni boshlamagansiz. Keyingi imtihonni bosh sahifada "
            "kuting.",
            "Окно экзамена закрылось, а вы его не начинали. Следите за следующим на главной.",
            "The exam window has closed and you did not start it. Watch for the next one on "
            "the home screen.",
        ),
        _home_link(),
    )


def _not_for_you_view() -> rx.Component:
    return _message_view(
        "exam-not-for-you",
        "users",
        tr(
            "Bu imtihon sizning guruhingiz uchun emas",
            "Этот экзамен не для вашей группы",
            "This exam is not for your group",
        ),
        tr(
            "Imtihon faqat shu guruhlar uchun: ",
            "Экзамен только для групп: ",
            "It is only for the groups ",
        )
        + ExamState.audience
        + tr(
            ". Agar siz shulardan birida bo‘lsangiz, o‘qituvchingizdan taklif havolasini so‘rang.",
            ". Если вы в одной из них, попросите у преподавателя ссылку-приглашение.",
            ". If you are in one of them, ask your teacher for the invite link.",
        ),
        _home_link(),
    )


def _not_found_view() -> rx.Component:
    return _message_view(
        "exam-not-found",
        "search-x",
        tr("Imtihon topilmadi", "Экзамен не найден", "Exam not found"),
        tr(
            "Bunday imtihon yo‘q yoki u hali e’lon qilinmagan.",
            "Такого экзамена нет, или он ещё не опубликован.",
            "There is no such exam, or it has not been published yet.",
        ),
        _home_link(),
    )


def _failed_view() -> rx.Component:
    return rx.vstack(
        page_header(tr("Imtihon", "Экзамен", "Exam"), back_href=APP_ROOT),
        error_callout(
            tr(
                "Ma’lumotlarni o‘qib bo‘lmadi. Birozdan so‘ng qayta urinib ko‘ring.",
                "Не удалось загрузить данные. Попробуйте чуть позже.",
                "The exam could not be loaded. Please try again shortly.",
            ),
            id="exam-failed",
        ),
        rx.button(
            rx.icon("refresh-cw", size=16),
            tr("Qayta urinish", "Повторить", "Try again"),
            variant="soft",
            on_click=ExamState.refresh,
        ),
        spacing="4",
        width="100%",
    )


def _loading_view() -> rx.Component:
    return rx.vstack(
        rx.skeleton(height="2rem", width="60%", border_radius="var(--radius-3)"),
        card_skeleton("9rem"),
        card_skeleton("14rem"),
        spacing="4",
        width="100%",
        id="exam-loading",
    )


def exam_page() -> rx.Component:
    """`/app/exam/<id>`: the lobby, the exam, the waiting view, by the student's phase."""
    return student_shell(
        rx.match(
            ExamState.phase,
            (RoomPhase.LOBBY.value, _lobby_then_open()),
            (RoomPhase.OPEN.value, _open_view()),
            (
                RoomPhase.IN_PROGRESS.value,
                rx.fragment(
                    sheet_gate(_exam_view(), session_key=ExamState.sheet_key, show="running"),
                    sheet_gate(
                        _waiting_view(submitted_here=True),
                        session_key=ExamState.sheet_key,
                        show="submitted",
                    ),
                ),
            ),
            (RoomPhase.SUBMITTED.value, _waiting_view()),
            (RoomPhase.RELEASED.value, _released_view()),
            (RoomPhase.CLOSED.value, _closed_view()),
            (RoomPhase.NOT_FOR_YOU.value, _not_for_you_view()),
            (View.NOT_FOUND, _not_found_view()),
            (View.FAILED, _failed_view()),
            _loading_view(),
        ),
        back_href=APP_ROOT,
        confirm_close=ExamState.phase == RoomPhase.IN_PROGRESS.value,
    )
