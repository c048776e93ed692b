"""One exam's header and "Details" tab: edit, PDF upload, publish, unpublish, delete.

Every change goes through `services.exams` with the admin's id (audit log);
the services' refusals (window locked once students started, overlapping
windows, incomplete key, delete with sessions, released exams) are shown as
they are worded there.
"""

from __future__ import annotations

import logging
from typing import Any

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.exam_audience import audience_card
from mockexam.admin.exam_form import (
    exam_form_fields,
    local_input,
    local_text,
    parse_exam_form,
)
from mockexam.admin.i18n import count_text, t
from mockexam.admin.layout import card, error_callout, phase_badge, success_callout
from mockexam.admin.paper_upload import store_pdf
from mockexam.config import settings
from mockexam.errors import ValidationError
from mockexam.models import ExamPhase
from mockexam.scoring.layout import Layout
from mockexam.scoring.layout_templates import TEMPLATES, subject_name
from mockexam.scoring.points import format_points
from mockexam.services import exams as exam_service
from mockexam.services.exams import ExamDetails
from mockexam.services.transactions import in_session
from mockexam.ui.i18n import LANGUAGE_CODES, pick

logger = logging.getLogger(__name__)

UPLOAD_ID = "exam-pdf"


def _by_lang(build: Any) -> dict[str, str]:
    return {lang: build(lang) for lang in LANGUAGE_CODES}


def layout_rows(layout: Layout) -> list[dict[str, Any]]:
    """The Layout card's rows: per section its numbers, title, subject, kind, points each
    and in all, every text in uz/ru/en (the panel's language switch is client-side)."""
    rows = []
    maxima = layout.section_max_points()
    for index, (section, first) in enumerate(zip(layout.sections, layout.firsts(), strict=True)):
        last = first + section.count - 1
        if section.kind == "mcq":
            what = ", ".join(section.options)

            def kind(lang: str, what: str = what) -> str:
                return pick(lang, f"Test ({what})", f"Тест ({what})", f"Multiple choice ({what})")
        else:
            parts = ", ".join(section.parts)

            def kind(lang: str, parts: str = parts) -> str:
                base = pick(lang, "Ochiq javob", "Открытый ответ", "Free response")
                return f"{base} ({parts})" if parts else base

        rows.append(
            {
                "index": index + 1,
                "numbers": f"{first}–{last}" if last > first else str(first),
                "titles": _by_lang(section.title),
                "subject": _by_lang(lambda lang, code=section.subject: subject_name(code, lang)),
                "kind": _by_lang(kind),
                "count": section.item_count,
                "points": _by_lang(lambda lang, p=section.points: format_points(p, lang)),
                "total": _by_lang(lambda lang, p=maxima[index]: format_points(p, lang)),
            }
        )
    return rows


def layout_summary(layout: Layout) -> dict[str, str]:
    """The Layout card's line under the table: template, items, points, official score."""
    template = TEMPLATES.get(layout.template)
    items, points = layout.item_count(), layout.max_points()

    def line(lang: str) -> str:
        name = template.title(lang) if template else layout.template
        official = (
            pick(lang, "shkala balli", "шкальный балл", "the scaled score")
            if layout.official_score == "scaled"
            else pick(lang, "ballar yig‘indisi", "сумма баллов", "the points")
        )
        total = format_points(points, lang)
        return pick(
            lang,
            f"{name}: {items} ta savol, {total} ball; rasmiy natija — {official}.",
            f"{name}: заданий {items}, баллов {total}; официальный результат — {official}.",
            f"{name}: {items} items, {total} points; the official score is {official}.",
        )

    return _by_lang(line)


class ExamState(AdminState):
    """The exam of the page `/admin/exams/<id>`: its header, details and lifecycle buttons."""

    exam_id: int = 0
    loaded: bool = False
    not_found: bool = False
    title: str = ""
    description: str = ""
    phase: str = ""
    window_start_input: str = ""
    window_end_input: str = ""
    window_text: str = ""
    duration_minutes: int = 0
    grading_scheme: str = ""
    pdf_path: str = ""
    sessions: int = 0
    items: int = 0
    missing_count: int = 0
    missing_preview: str = ""
    layout_rows: list[dict[str, Any]] = []
    layout_summary: dict[str, str] = {}
    form_version: int = 0
    error: str = ""
    notice: str = ""

    _form_shown: str = ""

    def _forget(self) -> None:
        self.reset()

    def _show(self, view: ExamDetails) -> None:
        self.exam_id = view.exam_id
        self.loaded, self.not_found = True, False
        self.title = view.title
        self.description = view.description
        self.phase = view.phase.value
        self.window_start_input = local_input(view.window_start)
        self.window_end_input = local_input(view.window_end)
        self.window_text = f"{local_text(view.window_start)} – {local_text(view.window_end)}"
        self.duration_minutes = view.duration_minutes
        self.grading_scheme = view.grading_scheme
        self.pdf_path = view.pdf_path
        self.sessions = view.sessions
        self.items = view.items
        self.layout_rows = layout_rows(view.layout)
        self.layout_summary = layout_summary(view.layout)
        self.missing_count = len(view.missing)
        self.missing_preview = ", ".join(view.missing[:12]) + (
            " …" if len(view.missing) > 12 else ""
        )
        # Remount the (uncontrolled) form only when what it shows changed, so a refresh
        # from another tab of the page never wipes what the admin is typing.
        shown = repr(
            (
                view.title,
                view.description,
                view.window_start,
                view.window_end,
                view.duration_minutes,
                view.grading_scheme,
                view.phase,
                view.sessions > 0,
            )
        )
        if shown != self._form_shown:
            self._form_shown = shown
            self.form_version += 1

    async def _refresh(self) -> bool:
        exam_id = self._route_id()
        if exam_id is None:
            self.loaded, self.not_found = True, True
            return False
        view = await self._service(
            in_session(lambda db: exam_service.exam_details(db, exam_id), readonly=True)
        )
        if view is FAILED:
            self.loaded, self.not_found = True, True
            return False
        self._show(view)
        return True

    @rx.event
    async def load(self):
        """on_load: the exam of the path, or "not found"."""
        if await self._require_admin() is None:
            return
        self.error, self.notice = "", ""
        await self._refresh()

    @rx.event
    async def refresh(self):
        """Re-read the header (after a key change elsewhere on the page)."""
        if await self._require_admin() is None:
            return
        await self._refresh()

    @rx.event
    async def save_details(self, form_data: dict[str, Any]):
        """Save title, description, window, duration and grading scheme."""
        admin_id = await self._require_admin()
        if admin_id is None or not self.loaded or self.not_found:
            return
        self.error, self.notice = "", ""
        try:
            fields = parse_exam_form(form_data)
        except ValidationError as err:
            self.error = err.text(self._lang())
            return
        exam_id = self.exam_id
        # Unchanged times are sent as None: the inputs have minutes, the stored value may not.
        same_start = form_data.get("window_start") == self.window_start_input
        same_end = form_data.get("window_end") == self.window_end_input
        same_duration = fields.duration_minutes == self.duration_minutes
        result = await self._service(
            in_session(
                lambda db: exam_service.update_exam(
                    db,
                    exam_id,
                    title=fields.title,
                    description=fields.description,
                    window_start=None if same_start else fields.window_start,
                    window_end=None if same_end else fields.window_end,
                    duration_minutes=None if same_duration else fields.duration_minutes,
                    grading_scheme=fields.grading_scheme,
                    admin_id=admin_id,
                )
            )
        )
        if result is FAILED:
            return
        self.notice = self._text("Saqlandi.", "Сохранено.", "Saved.")
        await self._refresh()

    @rx.event
    async def upload_pdf(self, files: list[rx.UploadFile]):
        """Store the uploaded question paper (PDF only, at most settings.max_pdf_bytes)."""
        admin_id = await self._require_admin()
        if admin_id is None or not self.loaded or self.not_found:
            return
        self.error, self.notice = "", ""
        if not isinstance(files, list) or len(files) != 1 or not hasattr(files[0], "read"):
            self.error = self._text(
                "Bitta PDF faylni tanlang.", "Выберите один PDF-файл.", "Choose one PDF file."
            )
            return
        upload = files[0]
        data = await upload.read(settings.max_pdf_bytes + 1)
        name = (upload.name or "")[:120]
        exam_id = self.exam_id

        def save() -> str:
            relative = store_pdf(exam_id, data, filename=name)
            with_session = in_session(
                lambda db: exam_service.update_exam(
                    db, exam_id, pdf_path=relative, admin_id=admin_id
                )
            )
            with_session()
            return relative

        result = await self._service(save)
        if result is FAILED:
            return
        kb = f"{len(data) / 1024:.0f}"
        big = len(data) >= 1024
        self.notice = self._text(
            f"Savollar fayli yuklandi ({kb} kB)."
            if big
            else f"Savollar fayli yuklandi ({len(data)} bayt).",
            f"Файл с заданиями загружен ({kb} КБ)."
            if big
            else f"Файл с заданиями загружен ({len(data)} байт).",
            f"Question paper uploaded ({kb} kB)."
            if big
            else f"Question paper uploaded ({len(data)} bytes).",
        )
        await self._refresh()

    @rx.event
    async def publish(self):
        """Publish the draft (complete key, window ahead, no overlap)."""
        admin_id = await self._require_admin()
        if admin_id is None or not self.loaded or self.not_found:
            return
        self.error, self.notice = "", ""
        exam_id = self.exam_id
        result = await self._service(
            in_session(lambda db: exam_service.publish_exam(db, exam_id, admin_id=admin_id))
        )
        if result is not FAILED:
            self.notice = self._text(
                "E’lon qilindi. O‘quvchilar uni Mini Appda ko‘radi; xabar berish uchun "
                "“Xabar yuborish”ni bosing.",
                "Опубликовано. Ученики видят экзамен в Mini App; чтобы сообщить им, нажмите "
                "«Уведомить».",
                "Published. Students see it in the Mini App; press Notify to tell them.",
            )
        await self._refresh()

    @rx.event
    async def unpublish(self):
        """Back to draft while nobody has started."""
        admin_id = await self._require_admin()
        if admin_id is None or not self.loaded or self.not_found:
            return
        self.error, self.notice = "", ""
        exam_id = self.exam_id
        result = await self._service(
            in_session(lambda db: exam_service.unpublish_exam(db, exam_id, admin_id=admin_id))
        )
        if result is not FAILED:
            self.notice = self._text(
                "Qoralamaga qaytarildi.", "Возвращено в черновики.", "Back to draft."
            )
        await self._refresh()

    @rx.event
    async def delete_exam(self):
        """Delete the exam (refused once any student has started it)."""
        admin_id = await self._require_admin()
        if admin_id is None or not self.loaded or self.not_found:
            return None
        self.error, self.notice = "", ""
        exam_id = self.exam_id
        result = await self._service(
            in_session(lambda db: exam_service.delete_exam(db, exam_id, admin_id=admin_id))
        )
        if result is FAILED:
            return None
        title = self.title
        self.reset()
        return [
            rx.toast.success(
                self._text(f"“{title}” o‘chirildi.", f"«{title}» удалён.", f"Deleted “{title}”.")
            ),
            rx.redirect(ADMIN_ROOT),
        ]


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
def _delete_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("trash-2", size=16),
                t("O‘chirish", "Удалить", "Delete"),
                color_scheme="red",
                variant="soft",
                id="exam-delete",
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(
                t("Imtihon o‘chirilsinmi?", "Удалить этот экзамен?", "Delete this exam?")
            ),
            rx.alert_dialog.description(
                t(
                    "Imtihon, uning javoblar kaliti va jadvali o‘chiriladi. O‘quvchilar "
                    "boshlagan imtihonni o‘chirib bo‘lmaydi.",
                    "Экзамен, его ключ ответов и расписание будут удалены. Экзамен, который "
                    "ученики уже начали, удалить нельзя.",
                    "The exam, its answer key and its schedule are removed. An exam that "
                    "students have started cannot be deleted.",
                )
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        t("Bekor qilish", "Отмена", "Cancel"), variant="soft", color_scheme="gray"
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(
                        t("O‘chirish", "Удалить", "Delete"),
                        color_scheme="red",
                        on_click=ExamState.delete_exam,
                        id="exam-delete-confirm",
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
        ),
    )


def exam_actions() -> rx.Component:
    """Publish / unpublish / delete, as the exam's phase allows."""
    return rx.hstack(
        rx.cond(
            ExamState.phase == ExamPhase.DRAFT,
            rx.button(
                rx.icon("send", size=16),
                t("E’lon qilish", "Опубликовать", "Publish"),
                on_click=ExamState.publish,
                id="exam-publish",
            ),
        ),
        rx.cond(
            (ExamState.phase == ExamPhase.SCHEDULED) | (ExamState.phase == ExamPhase.OPEN),
            rx.button(
                t("E’londan olish", "Снять с публикации", "Unpublish"),
                variant="soft",
                color_scheme="gray",
                on_click=ExamState.unpublish,
                id="exam-unpublish",
            ),
        ),
        rx.cond(ExamState.phase != ExamPhase.RELEASED, _delete_button()),
        spacing="3",
    )


def exam_summary() -> rx.Component:
    """Phase, window, sessions, key completeness: one line under the title."""
    return rx.hstack(
        phase_badge(ExamState.phase),
        rx.text(ExamState.window_text, color="var(--gray-11)", size="2", id="exam-window"),
        rx.text("·", color="var(--gray-9)"),
        rx.text(
            ExamState.duration_minutes,
            t(" daqiqa", " мин", " min"),
            color="var(--gray-11)",
            size="2",
        ),
        rx.text("·", color="var(--gray-9)"),
        rx.text(
            ExamState.sessions,
            count_text(
                ExamState.sessions,
                uz=" ta sessiya",
                ru=(" сессия", " сессии", " сессий"),
                en=(" session", " sessions"),
            ),
            color="var(--gray-11)",
            size="2",
        ),
        rx.text("·", color="var(--gray-9)"),
        rx.cond(
            ExamState.missing_count == 0,
            rx.text(
                t("kalit to‘liq", "ключ заполнен", "key complete"),
                color="var(--green-11)",
                size="2",
                id="key-status",
            ),
            rx.text(
                ExamState.missing_count,
                count_text(
                    ExamState.missing_count,
                    uz=" ta savol kalitsiz",
                    ru=(" задание без ключа", " задания без ключа", " заданий без ключа"),
                    en=(" item without a key", " items without a key"),
                ),
                color="var(--amber-11)",
                size="2",
                id="key-status",
            ),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )


def _pdf_card() -> rx.Component:
    return card(
        rx.heading(
            t("Savollar fayli (PDF)", "Файл с заданиями (PDF)", "Question paper (PDF)"), size="4"
        ),
        rx.cond(
            ExamState.pdf_path != "",
            rx.hstack(
                rx.icon("file-text", size=18, color="var(--accent-9)"),
                rx.code(ExamState.pdf_path, id="exam-pdf-path"),
                spacing="2",
                align="center",
            ),
            rx.text(
                t(
                    "Savollar fayli hali yo‘q.",
                    "Файла с заданиями пока нет.",
                    "No question paper yet.",
                ),
                color="var(--gray-11)",
                id="exam-pdf-path",
            ),
        ),
        rx.upload.root(
            rx.vstack(
                rx.icon("file-up", size=26, color="var(--gray-10)"),
                rx.text(
                    t(
                        "PDF faylni shu yerga tashlang yoki tanlash uchun bosing",
                        "Перетащите PDF сюда или нажмите, чтобы выбрать",
                        "Drop a PDF here or click to choose one",
                    ),
                    size="2",
                ),
                rx.text(
                    t(
                        f"Faqat PDF, ko‘pi bilan {settings.max_pdf_bytes // (1024 * 1024)} MB",
                        f"Только PDF, не более {settings.max_pdf_bytes // (1024 * 1024)} МБ",
                        f"PDF only, at most {settings.max_pdf_bytes // (1024 * 1024)} MB",
                    ),
                    size="1",
                    color="var(--gray-10)",
                ),
                rx.foreach(
                    rx.selected_files(UPLOAD_ID),
                    lambda name: rx.badge(name, variant="soft"),
                ),
                align="center",
                spacing="1",
            ),
            id=UPLOAD_ID,
            accept={"application/pdf": [".pdf"]},
            # Refused in the browser with a message; the server refuses it before reading too.
            max_size=settings.max_pdf_bytes,
            max_files=1,
            multiple=False,
            border="1px dashed var(--gray-a7)",
            border_radius="var(--radius-3)",
            padding="1.25rem",
            width="100%",
            cursor="pointer",
        ),
        rx.hstack(
            rx.button(
                rx.icon("upload", size=16),
                t("Yuklash", "Загрузить", "Upload"),
                on_click=ExamState.upload_pdf(rx.upload_files(upload_id=UPLOAD_ID)),
                id="exam-pdf-upload",
            ),
            rx.button(
                t("Tozalash", "Очистить", "Clear"),
                variant="soft",
                color_scheme="gray",
                on_click=rx.clear_selected_files(UPLOAD_ID),
            ),
            spacing="3",
        ),
    )


def _layout_row(row: rx.Var) -> rx.Component:
    lang = AdminState.lang
    return rx.table.row(
        rx.table.cell(row["index"].to_string()),
        rx.table.cell(row["numbers"].to(str)),
        rx.table.cell(row["titles"].to(dict)[lang].to(str)),
        rx.table.cell(row["subject"].to(dict)[lang].to(str)),
        rx.table.cell(row["kind"].to(dict)[lang].to(str)),
        rx.table.cell(row["count"].to_string()),
        rx.table.cell(row["points"].to(dict)[lang].to(str)),
        rx.table.cell(row["total"].to(dict)[lang].to(str)),
    )


def layout_card() -> rx.Component:
    """The answer sheet's layout: its sections, counts, points and the official score."""
    return card(
        rx.heading(t("Javoblar varaqasi", "Бланк ответов", "Answer sheet"), size="4"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("#"),
                    rx.table.column_header_cell(t("Raqamlar", "Номера", "Numbers")),
                    rx.table.column_header_cell(t("Bo‘lim", "Раздел", "Section")),
                    rx.table.column_header_cell(t("Fan", "Предмет", "Subject")),
                    rx.table.column_header_cell(t("Turi", "Тип", "Kind")),
                    rx.table.column_header_cell(t("Savollar", "Задания", "Items")),
                    rx.table.column_header_cell(
                        t("Ball (har biri)", "Балл (за каждое)", "Points each")
                    ),
                    rx.table.column_header_cell(t("Jami", "Всего", "In all")),
                )
            ),
            rx.table.body(rx.foreach(ExamState.layout_rows, _layout_row)),
            size="1",
            width="100%",
        ),
        rx.text(
            ExamState.layout_summary[AdminState.lang].to(str),
            size="2",
            color="var(--gray-11)",
            id="layout-summary",
        ),
        id="exam-layout",
    )


def details_tab() -> rx.Component:
    """The edit form and the PDF upload."""
    return rx.vstack(
        card(
            rx.heading(t("Ma’lumotlar", "Сведения", "Details"), size="4"),
            rx.cond(
                (ExamState.sessions > 0) & (ExamState.phase != ExamPhase.RELEASED),
                rx.callout(
                    t(
                        "O‘quvchilar bu imtihonni boshlagan: vaqt oralig‘i va davomiyligi "
                        "o‘zgartirilmaydi.",
                        "Ученики уже начали этот экзамен: окно и длительность изменить нельзя.",
                        "Students have started this exam: the window and duration are locked.",
                    ),
                    icon="lock",
                    color_scheme="amber",
                    size="1",
                ),
            ),
            rx.form(
                rx.vstack(
                    exam_form_fields(
                        title=ExamState.title,
                        description=ExamState.description,
                        window_start=ExamState.window_start_input,
                        window_end=ExamState.window_end_input,
                        duration=ExamState.duration_minutes,
                        scheme=ExamState.grading_scheme,
                        schedule_locked=ExamState.sessions > 0,
                    ),
                    rx.cond(
                        ExamState.phase == ExamPhase.RELEASED,
                        rx.callout(
                            t(
                                "Natijalar e’lon qilingan: imtihonni o‘zgartirib bo‘lmaydi. "
                                "Savolni tuzatish uchun uni savollar tahlili sahifasida "
                                "chiqarib tashlang.",
                                "Результаты опубликованы: экзамен больше нельзя изменить. "
                                "Чтобы исправить задание, исключите его на странице анализа "
                                "заданий.",
                                "Results are released: the exam can no longer be edited. To "
                                "correct a question, exclude the item on the item-analysis page.",
                            ),
                            icon="lock",
                            color_scheme="gray",
                            size="1",
                        ),
                        rx.button(
                            t("O‘zgarishlarni saqlash", "Сохранить изменения", "Save changes"),
                            type="submit",
                            id="exam-save",
                        ),
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=ExamState.save_details,
                reset_on_submit=False,
                key=ExamState.form_version.to_string(),
                width="100%",
            ),
        ),
        _pdf_card(),
        audience_card(),
        spacing="4",
        width="100%",
    )


def exam_messages() -> rx.Component:
    return rx.fragment(
        error_callout(ExamState.error, callout_id="exam-error"),
        success_callout(ExamState.notice, callout_id="exam-notice"),
    )
