"""The exam form shared by "new exam" and "edit exam": fields, parsing, local time.

Admins type times in the local zone (settings.local_timezone, Asia/Tashkent;
mockexam/localtime.py converts); the database keeps UTC. Parsing turns the
browser's form values into checked Python values or raises `ValidationError`
with a message naming the field; the services then apply their own rules
(window order, overlaps, locks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import reflex as rx

from mockexam.admin.i18n import t
from mockexam.errors import ValidationError, msg

# The time helpers are localtime's, re-exported for the admin pages that import them here.
from mockexam.localtime import local_input, local_text, time_zone_note  # noqa: F401
from mockexam.localtime import parse_local as parse_local_datetime
from mockexam.models import GradingScheme
from mockexam.parsing import parse_int
from mockexam.text import strip_bidi

TIME_ZONE_NOTE = str(time_zone_note())  # "Times are Asia/Tashkent (UTC+05:00) time."
_ZONE_NOTE = time_zone_note()
MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_DURATION_MINUTES = 24 * 60
SCHEMES: tuple[tuple[str, tuple[str, str, str]], ...] = (
    (
        GradingScheme.PERCENTILE.value,
        (
            "Qatnashchilar orasidagi foiz (A+ eng yaxshi 10%, …)",
            "Процентиль среди участников (A+ — лучшие 10%, …)",
            "Percentile among participants (A+ top 10%, …)",
        ),
    ),
    (
        GradingScheme.FIXED_BANDS.value,
        (
            "Shkala balli bo‘yicha qat’iy chegaralar (A+ ≥ 70, …)",
            "Фиксированные границы по шкальному баллу (A+ ≥ 70, …)",
            "Fixed bands on the scaled score (A+ ≥ 70, …)",
        ),
    ),
)
# The field names in parse_local's messages (a Msg parameter is worded in the same language).
_WINDOW_START = msg("Ochilish vaqti", "Начало окна", "Window start")
_WINDOW_END = msg("Yopilish vaqti", "Конец окна", "Window end")
_FIELD_NAMES = {
    "title": ("Nomi", "Название", "Title"),
    "description": ("Tavsif", "Описание", "Description"),
}


def _text(form: dict[str, Any], name: str, limit: int) -> str:
    uz, ru, en = _FIELD_NAMES.get(name, (name, name, name.capitalize()))
    value = form.get(name, "")
    if not isinstance(value, str):
        raise ValidationError(
            msg(f"{uz}: matn kutilgan.", f"{ru}: ожидается текст.", f"{en}: expected text.")
        )
    value = strip_bidi(value).strip()
    if len(value) > limit:
        raise ValidationError(
            msg(
                f"{uz} {limit} belgidan uzun.",
                f"{ru}: длиннее {limit} символов.",
                f"{en} is longer than {limit} characters.",
            )
        )
    return value


@dataclass(frozen=True)
class ExamFields:
    """What the exam form says, checked for form: the services check the rules."""

    title: str
    description: str
    window_start: datetime
    window_end: datetime
    duration_minutes: int
    grading_scheme: str


def parse_exam_form(form: Any) -> ExamFields:
    """The submitted form → `ExamFields`; ValidationError names the first bad field."""
    if not isinstance(form, dict):
        raise ValidationError(
            msg(
                "Shakl to‘g‘ri yuborilmadi; sahifani yangilang.",
                "Форма отправлена неверно; обновите страницу.",
                "The form was not sent correctly; reload the page.",
            )
        )
    title = _text(form, "title", MAX_TITLE)
    if not title:
        raise ValidationError(
            msg(
                "Imtihonga nom kerak.",
                "У экзамена должно быть название.",
                "The exam needs a title.",
            )
        )
    description = _text(form, "description", MAX_DESCRIPTION)
    start = parse_local_datetime(form.get("window_start"), _WINDOW_START)  # type: ignore[arg-type]
    end = parse_local_datetime(form.get("window_end"), _WINDOW_END)  # type: ignore[arg-type]
    raw_duration = form.get("duration_minutes", "")
    duration = parse_int(
        raw_duration if isinstance(raw_duration, str) else None,
        minimum=-MAX_DURATION_MINUTES,  # the service names a non-positive duration
        maximum=MAX_DURATION_MINUTES,
    )
    if duration is None:
        raise ValidationError(
            msg(
                "Davomiyligi: butun daqiqalar sonini kiriting (ko‘pi bilan {max}).",
                "Длительность: введите целое число минут (не более {max}).",
                "Duration: enter a whole number of minutes (at most {max}).",
                max=MAX_DURATION_MINUTES,
            )
        )
    scheme = form.get("grading_scheme", GradingScheme.PERCENTILE.value)
    if not isinstance(scheme, str) or scheme not in {value for value, _ in SCHEMES}:
        raise ValidationError(
            msg(
                "Baholash usuli: ro‘yxatdagilardan birini tanlang.",
                "Система оценивания: выберите одну из списка.",
                "Grading scheme: choose one of the listed schemes.",
            )
        )
    return ExamFields(
        title=title,
        description=description,
        window_start=start,
        window_end=end,
        duration_minutes=duration,
        grading_scheme=scheme,
    )


def _field(
    label: str | rx.Var[str], control: rx.Component, hint: str | None = None
) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        control,
        rx.text(hint, size="1", color="var(--gray-10)") if hint else rx.fragment(),
        spacing="1",
        width="100%",
        align="stretch",
    )


def exam_form_fields(
    *,
    title: rx.Var[str] | str,
    description: rx.Var[str] | str,
    window_start: rx.Var[str] | str,
    window_end: rx.Var[str] | str,
    duration: rx.Var[int] | int,
    scheme: rx.Var[str] | str,
    schedule_locked: rx.Var[bool] | bool = False,
    duration_key: rx.Var[str] | str = "",
) -> rx.Component:
    """The inputs (uncontrolled: remount them with a `key` to show new values;
    `duration_key` remounts only the duration, e.g. when a template sets its default)."""
    return rx.vstack(
        _field(
            t("Nomi", "Название", "Title"),
            rx.input(
                name="title",
                default_value=title,
                max_length=MAX_TITLE,
                required=True,
                size="3",
                id="exam-title",
            ),
        ),
        _field(
            t("Tavsif (ixtiyoriy)", "Описание (необязательно)", "Description (optional)"),
            rx.text_area(
                name="description",
                default_value=description,
                max_length=MAX_DESCRIPTION,
                rows="2",
                id="exam-description",
            ),
        ),
        rx.grid(
            _field(
                t("Ochilish vaqti", "Открывается", "Window opens"),
                rx.input(
                    type="datetime-local",
                    name="window_start",
                    default_value=window_start,
                    required=True,
                    read_only=schedule_locked,
                    id="exam-window-start",
                ),
            ),
            _field(
                t("Yopilish vaqti", "Закрывается", "Window closes"),
                rx.input(
                    type="datetime-local",
                    name="window_end",
                    default_value=window_end,
                    required=True,
                    read_only=schedule_locked,
                    id="exam-window-end",
                ),
            ),
            _field(
                t("Davomiyligi (daqiqa)", "Длительность (минуты)", "Duration (minutes)"),
                rx.input(
                    type="number",
                    name="duration_minutes",
                    default_value=duration.to_string()
                    if isinstance(duration, rx.Var)
                    else str(duration),
                    min=1,
                    max=24 * 60,
                    required=True,
                    read_only=schedule_locked,
                    key=duration_key,
                    id="exam-duration",
                ),
            ),
            columns="3",
            spacing="4",
            width="100%",
        ),
        rx.text(
            t(_ZONE_NOTE.text("uz"), _ZONE_NOTE.text("ru"), _ZONE_NOTE.text("en")),
            size="1",
            color="var(--gray-10)",
        ),
        _field(
            t("Baholash usuli", "Система оценивания", "Grading scheme"),
            rx.select.root(
                rx.select.trigger(id="exam-scheme"),
                rx.select.content(
                    *(rx.select.item(t(*text), value=value) for value, text in SCHEMES),
                ),
                name="grading_scheme",
                default_value=scheme,
            ),
        ),
        spacing="4",
        width="100%",
        align="stretch",
    )
