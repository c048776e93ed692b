"""The practice bank's question form: a dialog to add or edit one question, with a live preview.

The fields are an uncontrolled form (remounted with `form_version` when a
question is loaded); what the text, options and explanation will look like
— Markdown with KaTeX, as the Mini App shows it — is mirrored into the
preview as the admin types (debounced). The kind (multiple choice or free)
and the figure live in the state: the figure is stored when it is dropped
(`store_image`, by content hash) and named in the draft on save. The
question's language (uz, ru, en: students get their own language's questions
first) and its optional item bank code (`ALG-017`, checked as exam items' codes
are) are fields of the form.

Saving goes through `create_question` / `update_question`, which check the
whole draft first (`check_draft`): a refusal names every bad field
(`QuestionDraftError.problems`), each shown under its field, and nothing is
saved.
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.admin.answer_key import split_answers
from mockexam.admin.auth import DB_UNAVAILABLE, FAILED, AdminState
from mockexam.admin.i18n import t
from mockexam.admin.layout import error_callout
from mockexam.admin.practice_bank.questions import (
    LEVELS,
    PracticeBankState,
    language_label,
    non_text_field,
    topic_with_subject,
    valid_id,
)
from mockexam.errors import MockExamError, Msg, localized
from mockexam.models import ItemKind
from mockexam.scoring.bank_codes import MAX_CODE_CHARS
from mockexam.services import practice_bank as bank
from mockexam.services.transactions import in_session
from mockexam.text import clean_name
from mockexam.ui.backend import BACKEND_ORIGIN
from mockexam.ui.practice_sheet import math_text

logger = logging.getLogger(__name__)

IMAGE_UPLOAD_ID = "practice-image"
IMAGE_ROUTE = "/api/practice/image/"  # as in mockexam/api.py
IMAGE_ACCEPT = {
    "image/png": [".png"],
    "image/jpeg": [".jpg", ".jpeg"],
    "image/gif": [".gif"],
    "image/webp": [".webp"],
    "image/svg+xml": [".svg"],
}
OPTION_FIELDS = tuple(f"option_{letter.lower()}" for letter in bank.LETTERS)
PREVIEW_FIELDS = ("text", "explanation", *OPTION_FIELDS)
# What `save` reads from the form.
FORM_FIELDS = (
    "topic",
    "difficulty",
    "text",
    *OPTION_FIELDS,
    "answer",
    "answers",
    "explanation",
    "language",
    "bank_code",
)
DRAFT_FIELDS = (
    "topic",
    "difficulty",
    "kind",
    "text",
    "options",
    "answer",
    "explanation",
    "image",
    "language",
    "bank_code",
)
MAX_FIELD_CHARS = max(bank.MAX_TEXT_CHARS, bank.MAX_EXPLANATION_CHARS) + 100
MAX_ANSWERS_FIELD_CHARS = 1000
NO_ERRORS: dict[str, str] = dict.fromkeys(DRAFT_FIELDS, "")


class TopicChoice(TypedDict):
    code: str
    name: str
    subject: str


class OptionPreview(TypedDict):
    letter: str
    text: str


class QuestionValues(TypedDict):
    """What the form shows for a question (an existing one, or a new one's defaults)."""

    question_id: int
    topic: str
    difficulty: str
    kind: str
    text: str
    options: list[str]  # always six (A–F), blanks for the unused
    answer: str  # mcq: the letter
    answers: str  # free: accepted answers joined by " | "
    explanation: str
    image: str
    language: str  # a code of bank.LANGUAGES
    bank_code: str  # "" when it has none


def question_values(question: Any, topic_codes: dict[int, str]) -> QuestionValues:
    """A stored question (`PracticeQuestion`) as the form's values."""
    options = [*question.options, *[""] * len(bank.LETTERS)][: len(bank.LETTERS)]
    mcq = question.kind == ItemKind.MULTIPLE_CHOICE
    return {
        "question_id": question.id,
        "topic": topic_codes.get(question.topic_id, ""),
        "difficulty": str(question.difficulty),
        "kind": question.kind,
        "text": question.text,
        "options": options,
        "answer": question.accepted_answers[0] if mcq and question.accepted_answers else "",
        "answers": "" if mcq else " | ".join(question.accepted_answers),
        "explanation": question.explanation,
        "image": question.image_path or "",
        "language": question.language or bank.DEFAULT_LANGUAGE,
        "bank_code": question.bank_code or "",
    }


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def draft_from_form(form: dict[str, Any], *, kind: str, image: str) -> bank.QuestionDraft:
    """The submitted form (and the state's kind and figure) as a draft for `check_draft`."""
    if kind == ItemKind.MULTIPLE_CHOICE:
        options = [_text(form, name) for name in OPTION_FIELDS]
        letter = _text(form, "answer").strip()
        answers = [letter] if letter else []
    else:
        options = []
        answers = split_answers(_text(form, "answers")[:MAX_ANSWERS_FIELD_CHARS])
    return bank.QuestionDraft(
        topic=_text(form, "topic"),
        difficulty=_text(form, "difficulty"),
        kind=kind,
        text=_text(form, "text"),
        options=options,
        answers=answers,
        explanation=_text(form, "explanation"),
        image=image or None,
        language=_text(form, "language"),
        bank_code=_text(form, "bank_code"),
    )


def field_errors(problems: list[tuple[str, str | Msg]], lang: str = "en") -> dict[str, str]:
    """(field, message) pairs → one line per draft field in `lang` ("" where nothing is wrong)."""
    errors = dict(NO_ERRORS)
    for name, problem in problems:
        message = localized(problem, lang)
        if name in errors:
            errors[name] = f"{errors[name]}; {message}" if errors[name] else message
    return errors


NEW_QUESTION: QuestionValues = {
    "question_id": 0,
    "topic": "",
    "difficulty": "3",
    "kind": ItemKind.MULTIPLE_CHOICE.value,
    "text": "",
    "options": [""] * len(bank.LETTERS),
    "answer": "",
    "answers": "",
    "explanation": "",
    "image": "",
    "language": bank.DEFAULT_LANGUAGE,
    "bank_code": "",
}


class QuestionFormState(AdminState):
    """The add / edit dialog: which question, the form's values, the preview, the errors."""

    dialog_open: bool = False
    question_id: int = 0  # 0: a new question
    form_version: int = 0
    topic_choices: list[TopicChoice] = []
    values: QuestionValues = NEW_QUESTION
    kind: str = ItemKind.MULTIPLE_CHOICE.value
    image: str = ""  # a stored image name
    preview_text: str = ""
    preview_explanation: str = ""
    preview_options: list[OptionPreview] = []
    errors: dict[str, str] = dict(NO_ERRORS)
    error: str = ""  # the whole refusal ("Not saved: …"), or another failure
    image_error: str = ""

    _options: list[str] = [""] * len(bank.LETTERS)

    def _forget(self) -> None:
        self.reset()

    def _show(self, values: QuestionValues, topics: list[bank.TopicRow]) -> None:
        self.topic_choices = [
            {"code": topic.code, "name": topic.name, "subject": topic.subject} for topic in topics
        ]
        self.values = values
        self.question_id = values["question_id"]
        self.kind = values["kind"]
        self.image = values["image"]
        self.preview_text = values["text"]
        self.preview_explanation = values["explanation"]
        self._options = list(values["options"])
        self._preview_options()
        self.errors, self.error, self.image_error = dict(NO_ERRORS), "", ""
        self.form_version += 1
        self.dialog_open = True

    def _preview_options(self) -> None:
        options = list(self._options)
        while options and not options[-1].strip():
            options.pop()
        self.preview_options = [
            {"letter": letter, "text": text}
            for letter, text in zip(bank.LETTERS, options, strict=False)
        ]

    @rx.event
    async def load(self):
        """on_load: the dialog starts closed."""
        if await self._require_admin() is None:
            return
        self.dialog_open = False

    @rx.event
    async def open_new(self):
        """An empty form (the first topic, level 3, multiple choice)."""
        if await self._require_admin() is None:
            return
        topics = await self._service(in_session(bank.list_topics, readonly=True))
        if topics is FAILED:
            return
        self._show({**NEW_QUESTION, "topic": topics[0].code if topics else ""}, topics)

    @rx.event
    async def open_edit(self, question_id: int):
        """The form filled with a question of the bank."""
        if await self._require_admin() is None or not valid_id(question_id):
            return

        def read(db):
            topics = bank.list_topics(db)
            codes = {t.topic_id: t.code for t in topics}
            return question_values(bank.get_question(db, question_id), codes), topics

        result = await self._service(in_session(read, readonly=True))
        if result is FAILED:
            return
        self._show(*result)

    @rx.event
    async def dialog_changed(self, is_open: bool):
        """The dialog closed (Esc, the overlay, Cancel): forget the typed values."""
        if await self._require_admin() is None or not isinstance(is_open, bool):
            return
        if not is_open:
            self.dialog_open = False

    @rx.event
    async def set_kind(self, value: str | list[str]):
        """Multiple choice (options A–F and a letter) or free response (accepted answers)."""
        if await self._require_admin() is None:
            return
        if value in (ItemKind.MULTIPLE_CHOICE.value, ItemKind.FREE_RESPONSE.value):
            self.kind = value

    @rx.event
    async def set_preview(self, field: str, value: str):
        """What the admin typed in the text, an option or the explanation (for the preview)."""
        if await self._require_admin() is None or not isinstance(value, str):
            return
        if field not in PREVIEW_FIELDS:
            return
        value = value[:MAX_FIELD_CHARS]
        if field == "text":
            self.preview_text = value
        elif field == "explanation":
            self.preview_explanation = value
        else:
            options = list(self._options)
            options[OPTION_FIELDS.index(field)] = value
            self._options = options
            self._preview_options()

    @rx.event
    async def upload_image(self, image_files: list[rx.UploadFile]):
        """Store the dropped figure (PNG, JPEG, GIF, WebP or SVG) and show it."""
        if await self._require_admin() is None or not self.dialog_open:
            return
        self.image_error = ""
        if not isinstance(image_files, list) or len(image_files) != 1:
            self.image_error = self._text(
                "Bitta rasm faylini tanlang.",
                "Выберите один файл изображения.",
                "Choose one image file.",
            )
            return
        upload = image_files[0]
        data = await upload.read(bank.MAX_IMAGE_BYTES + 1)
        name = clean_name(upload.name or "", max_len=120) or "image"  # shown in messages
        stored = await self._service(lambda: bank.store_image(data, name), error_var="image_error")
        if stored is not FAILED:
            self.image = stored
            self.errors = {**self.errors, "image": ""}

    @rx.event
    async def remove_image(self):
        """The question has no figure (the stored file stays: other questions may use it)."""
        if await self._require_admin() is None:
            return
        self.image, self.image_error = "", ""

    @rx.event
    async def save(self, form_data: dict[str, Any]):
        """Check the whole draft and add (or change) the question; on a refusal save nothing."""
        admin_id = await self._require_admin()
        if admin_id is None or not isinstance(form_data, dict):
            return None
        self.errors, self.error = dict(NO_ERRORS), ""
        wrong = non_text_field(form_data, FORM_FIELDS)
        if wrong is not None:
            self.error = self._text(
                f"Saqlanmadi: {wrong} maydoni matn emas.",
                f"Не сохранено: поле {wrong} — не текст.",
                f"Not saved: the field {wrong} is not text.",
            )
            return None
        draft = draft_from_form(form_data, kind=self.kind, image=self.image)
        question_id = self.question_id
        if question_id:
            call = in_session(
                lambda db: bank.update_question(db, question_id, draft, admin_id=admin_id)
            )
        else:
            call = in_session(lambda db: bank.create_question(db, draft, admin_id=admin_id))
        try:
            saved = await rx.run_in_thread(lambda: call().id)
        except bank.QuestionDraftError as err:
            self.errors = field_errors(err.entries, self._lang())
            self.error = err.text(self._lang())
            return None
        except MockExamError as err:
            self.error = err.text(self._lang())
            return None
        except SQLAlchemyError:
            logger.exception("practice question could not be saved")
            self.error = self._text(*DB_UNAVAILABLE)
            return None
        self.dialog_open = False
        if question_id:
            done = self._text(
                f"#{saved} savol o‘zgartirildi.",
                f"Вопрос #{saved} изменён.",
                f"Question #{saved} changed.",
            )
        else:
            done = self._text(
                f"#{saved} savol qo‘shildi.",
                f"Вопрос #{saved} добавлен.",
                f"Question #{saved} added.",
            )
        return [rx.toast.success(done), PracticeBankState.refresh]


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
_EXPLANATION = t("Izoh", "Объяснение", "Explanation")


def image_url(name: rx.Var[str]) -> rx.Var[str]:
    return BACKEND_ORIGIN + IMAGE_ROUTE + name


def edit_button(question_id: rx.Var[int]) -> rx.Component:
    """The pencil of a list row."""
    return rx.icon_button(
        rx.icon("pencil", size=15),
        size="1",
        variant="soft",
        title=t("Tahrirlash", "Изменить", "Edit"),
        on_click=QuestionFormState.open_edit(question_id),
        id="edit-q-" + question_id.to_string(),
    )


def new_question_button() -> rx.Component:
    return rx.button(
        rx.icon("plus", size=16),
        t("Yangi savol", "Новый вопрос", "New question"),
        size="3",
        on_click=QuestionFormState.open_new,
        id="new-question",
    )


def _problem(field: str) -> rx.Component:
    message = QuestionFormState.errors[field].to(str)
    return rx.cond(
        message != "",
        rx.text(message, size="1", color="var(--red-11)", id=f"qerr-{field}"),
    )


def _label(text: rx.Var[str], hint: rx.Var[str] | None = None) -> rx.Component:
    return rx.hstack(
        rx.text(text, size="2", weight="medium"),
        rx.text(hint, size="1", color="var(--gray-10)") if hint is not None else rx.fragment(),
        spacing="2",
        align="baseline",
    )


def _field(
    label: rx.Var[str],
    control: rx.Component,
    field: str | None = None,
    hint: rx.Var[str] | None = None,
) -> rx.Component:
    return rx.vstack(
        _label(label, hint),
        control,
        _problem(field) if field else rx.fragment(),
        spacing="1",
        width="100%",
        align="stretch",
    )


PREVIEW_DEBOUNCE_MS = 250


def _preview_handler(field: str) -> Any:
    """The debounced on_change of a previewed field.

    Reflex keys a pending debounce by event name and delay, so one delay for
    every field would drop the last keystrokes of a field left within the
    delay; each field gets its own (a millisecond apart).
    """
    delay = PREVIEW_DEBOUNCE_MS + PREVIEW_FIELDS.index(field)
    return lambda value: QuestionFormState.set_preview(field, value).debounce(delay)


def _option_input(index: int, name: str) -> rx.Component:
    letter = bank.LETTERS[index]
    return rx.hstack(
        rx.text(letter, weight="bold", width="1.2rem"),
        rx.input(
            name=name,
            default_value=QuestionFormState.values["options"].to(list[str])[index],
            placeholder=(
                t("ixtiyoriy", "необязательно", "optional")
                if index >= 4
                else t(f"{letter} variant", f"Вариант {letter}", f"Option {letter}")
            ),
            max_length=bank.MAX_OPTION_CHARS,
            on_change=_preview_handler(name),
            width="100%",
            id=f"q-{name}",
        ),
        align="center",
        spacing="2",
        width="100%",
    )


def _mcq_fields() -> rx.Component:
    return rx.vstack(
        _field(
            t("Variantlar", "Варианты", "Options"),
            rx.grid(
                *(_option_input(i, name) for i, name in enumerate(OPTION_FIELDS)),
                columns="2",
                spacing="2",
                width="100%",
            ),
            "options",
            t(
                "Markdown va $…$ formulalar; E va F faqat kerak bo‘lsa",
                "Markdown и формулы $…$; E и F — только при необходимости",
                "Markdown and $…$ math; E and F only when needed",
            ),
        ),
        _field(
            t("To‘g‘ri variant", "Правильный вариант", "Right option"),
            rx.select.root(
                rx.select.trigger(placeholder=t("Harf", "Буква", "Letter"), id="q-answer"),
                rx.select.content(*(rx.select.item(x, value=x) for x in bank.LETTERS)),
                name="answer",
                default_value=QuestionFormState.values["answer"].to(str),
            ),
            "answer",
        ),
        spacing="3",
        width="100%",
    )


def _free_fields() -> rx.Component:
    return _field(
        t("Qabul qilinadigan javoblar", "Принимаемые ответы", "Accepted answers"),
        rx.input(
            name="answers",
            default_value=QuestionFormState.values["answers"].to(str),
            placeholder=t("masalan, 1/2 | 0.5", "например, 1/2 | 0.5", "e.g. 1/2 | 0.5"),
            max_length=MAX_ANSWERS_FIELD_CHARS,
            id="q-answers",
        ),
        "answer",
        t(
            "bir nechtasini | bilan ajrating; imtihon javoblaridek solishtiriladi "
            "(0.5 = 1/2, −/-, vergullar)",
            "несколько — через |; сравниваются как ответы экзамена (0.5 = 1/2, −/-, запятые)",
            "several separated by |; matched like exam answers (0.5 = 1/2, −/-, commas)",
        ),
    )


def _image_field() -> rx.Component:
    return rx.vstack(
        _label(
            t("Rasm", "Рисунок", "Figure"),
            t(
                "ixtiyoriy: PNG, JPEG, GIF, WebP yoki SVG, ko‘pi bilan 2 MB",
                "необязательно: PNG, JPEG, GIF, WebP или SVG, не больше 2 МБ",
                "optional: PNG, JPEG, GIF, WebP or SVG, at most 2 MB",
            ),
        ),
        rx.hstack(
            rx.upload.root(
                rx.hstack(
                    rx.icon("image-up", size=18, color="var(--gray-10)"),
                    rx.text(
                        t(
                            "Rasmni shu yerga tashlang yoki bosing",
                            "Перетащите изображение или нажмите",
                            "Drop an image or click",
                        ),
                        size="2",
                    ),
                    spacing="2",
                    align="center",
                ),
                id=IMAGE_UPLOAD_ID,
                accept=IMAGE_ACCEPT,
                max_size=bank.MAX_IMAGE_BYTES,
                max_files=1,
                multiple=False,
                on_drop=QuestionFormState.upload_image(rx.upload_files(upload_id=IMAGE_UPLOAD_ID)),
                border="1px dashed var(--gray-a7)",
                border_radius="var(--radius-3)",
                padding="0.6rem 1rem",
                cursor="pointer",
            ),
            rx.cond(
                QuestionFormState.image != "",
                rx.hstack(
                    rx.code(QuestionFormState.image, size="1", id="q-image-name"),
                    rx.button(
                        rx.icon("x", size=14),
                        t("Olib tashlash", "Убрать", "Remove"),
                        size="1",
                        variant="soft",
                        color_scheme="gray",
                        type="button",
                        on_click=QuestionFormState.remove_image,
                        id="q-image-remove",
                    ),
                    spacing="2",
                    align="center",
                ),
            ),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            QuestionFormState.image_error != "",
            rx.text(QuestionFormState.image_error, size="1", color="var(--red-11)"),
        ),
        _problem("image"),
        spacing="1",
        width="100%",
    )


def _fields() -> rx.Component:
    return rx.vstack(
        rx.grid(
            _field(
                t("Mavzu", "Тема", "Topic"),
                rx.select.root(
                    rx.select.trigger(placeholder=t("Mavzu", "Тема", "Topic"), id="q-topic"),
                    rx.select.content(
                        rx.foreach(
                            QuestionFormState.topic_choices,
                            lambda topic: rx.select.item(
                                topic_with_subject(topic), value=topic["code"].to(str)
                            ),
                        )
                    ),
                    name="topic",
                    default_value=QuestionFormState.values["topic"].to(str),
                ),
                "topic",
            ),
            _field(
                t("Qiyinlik", "Сложность", "Difficulty"),
                rx.select.root(
                    rx.select.trigger(id="q-difficulty"),
                    rx.select.content(
                        *(rx.select.item(f"{n}", value=str(n)) for n in LEVELS),
                    ),
                    name="difficulty",
                    default_value=QuestionFormState.values["difficulty"].to(str),
                ),
                "difficulty",
            ),
            _field(
                t("Tur", "Тип", "Kind"),
                rx.segmented_control.root(
                    rx.segmented_control.item(t("Test", "Тест", "MCQ"), value="mcq"),
                    rx.segmented_control.item(t("Ochiq", "Свободный", "Free"), value="free"),
                    value=QuestionFormState.kind,
                    on_change=QuestionFormState.set_kind,
                    id="q-kind",
                ),
                "kind",
            ),
            columns="3",
            spacing="3",
            width="100%",
        ),
        rx.grid(
            _field(
                t("Til", "Язык", "Language"),
                rx.select.root(
                    rx.select.trigger(id="q-language"),
                    rx.select.content(
                        *(
                            rx.select.item(language_label(code), value=code)
                            for code in bank.LANGUAGES
                        ),
                    ),
                    name="language",
                    default_value=QuestionFormState.values["language"].to(str),
                ),
                "language",
                t(
                    "savol matni tili: o‘quvchilarga avval o‘z tilidagi savollar beriladi",
                    "язык текста: ученики сначала получают вопросы на своём языке",
                    "the text's language: students get questions in theirs first",
                ),
            ),
            _field(
                t("Bank kodi", "Код в банке", "Bank code"),
                rx.input(
                    name="bank_code",
                    default_value=QuestionFormState.values["bank_code"].to(str),
                    placeholder=t("masalan, ALG-017", "например, ALG-017", "e.g. ALG-017"),
                    max_length=MAX_CODE_CHARS,
                    id="q-bank-code",
                ),
                "bank_code",
                t(
                    "ixtiyoriy: imtihon savollaridagi kabi kod",
                    "необязательно: код, как у заданий экзаменов",
                    "optional: a code as exam items carry",
                ),
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
        _field(
            t("Savol", "Вопрос", "Question"),
            rx.text_area(
                name="text",
                default_value=QuestionFormState.values["text"].to(str),
                placeholder=t(
                    "Markdown; formulalar $…$ (qator ichida) yoki $$…$$ (alohida qatorda)",
                    "Markdown; формулы между $…$ (в строке) или $$…$$ (отдельной строкой)",
                    "Markdown; math between $…$ (inline) or $$…$$ (display)",
                ),
                rows="5",
                max_length=bank.MAX_TEXT_CHARS,
                on_change=_preview_handler("text"),
                id="q-text",
            ),
            "text",
        ),
        rx.cond(QuestionFormState.kind == "mcq", _mcq_fields(), _free_fields()),
        _field(
            _EXPLANATION,
            rx.text_area(
                name="explanation",
                default_value=QuestionFormState.values["explanation"].to(str),
                placeholder=t(
                    "Mashqdan keyin o‘quvchiga ko‘rsatiladi (ixtiyoriy)",
                    "Показывается ученику после тренировки (необязательно)",
                    "Shown to the student after the practice (optional)",
                ),
                rows="3",
                max_length=bank.MAX_EXPLANATION_CHARS,
                on_change=_preview_handler("explanation"),
                id="q-explanation",
            ),
            "explanation",
        ),
        _image_field(),
        spacing="3",
        width="100%",
    )


def _preview() -> rx.Component:
    math_css = {"& p": {"margin": "0 0 0.4em"}, "& p:last-child": {"margin-bottom": "0"}}
    return rx.vstack(
        rx.text(
            t("Ko‘rinishi", "Предпросмотр", "Preview"),
            size="2",
            weight="medium",
            color="var(--gray-11)",
        ),
        rx.box(
            rx.cond(
                QuestionFormState.preview_text.strip() != "",
                math_text(QuestionFormState.preview_text, id="q-preview-text"),
                rx.text(
                    t(
                        "Savol matni shu yerda chiqadi.",
                        "Здесь появится текст вопроса.",
                        "The question text appears here.",
                    ),
                    color="var(--gray-9)",
                    size="2",
                ),
            ),
            css=math_css,
            width="100%",
        ),
        rx.cond(
            QuestionFormState.image != "",
            rx.image(
                src=image_url(QuestionFormState.image),
                alt=t("Rasm", "Рисунок", "Figure"),
                max_width="100%",
                max_height="14rem",
                object_fit="contain",
                background="white",
                border_radius="var(--radius-2)",
                padding="0.4rem",
                id="q-preview-image",
            ),
        ),
        rx.cond(
            QuestionFormState.kind == "mcq",
            rx.vstack(
                rx.foreach(
                    QuestionFormState.preview_options,
                    lambda o: rx.hstack(
                        rx.badge(o["letter"], variant="soft", size="2"),
                        rx.box(math_text(o["text"].to(str)), css=math_css, flex="1"),
                        align="center",
                        spacing="2",
                        width="100%",
                        padding="0.35rem 0.5rem",
                        border="1px solid var(--gray-a5)",
                        border_radius="var(--radius-2)",
                    ),
                ),
                spacing="2",
                width="100%",
                id="q-preview-options",
            ),
            rx.text(
                t(
                    "Ochiq javob: o‘quvchi uni o‘zi yozadi.",
                    "Свободный ответ: ученик вводит его сам.",
                    "Free answer: the student types it.",
                ),
                size="2",
                color="var(--gray-10)",
            ),
        ),
        rx.separator(),
        rx.text(_EXPLANATION, size="1", weight="medium", color="var(--gray-10)"),
        rx.box(
            rx.cond(
                QuestionFormState.preview_explanation.strip() != "",
                math_text(QuestionFormState.preview_explanation, id="q-preview-explanation"),
                rx.text("—", color="var(--gray-9)", size="2"),
            ),
            css=math_css,
            width="100%",
        ),
        spacing="3",
        width="100%",
        align="stretch",
        padding="1rem",
        border_radius="var(--radius-3)",
        background_color="var(--gray-a2)",
        border="1px solid var(--gray-a4)",
        min_height="20rem",
    )


def question_dialog() -> rx.Component:
    """The add / edit dialog (fields on the left, the preview on the right)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(
                    QuestionFormState.question_id > 0,
                    rx.fragment(
                        t("Savolni tahrirlash #", "Изменить вопрос #", "Edit question #"),
                        QuestionFormState.question_id.to_string(),
                    ),
                    t("Yangi savol", "Новый вопрос", "New question"),
                )
            ),
            rx.form(
                rx.vstack(
                    error_callout(QuestionFormState.error, callout_id="question-error"),
                    rx.grid(
                        _fields(),
                        _preview(),
                        columns="2",
                        spacing="5",
                        width="100%",
                        style={"grid_template_columns": "minmax(0, 3fr) minmax(0, 2fr)"},
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(
                                t("Bekor qilish", "Отмена", "Cancel"),
                                variant="soft",
                                color_scheme="gray",
                                type="button",
                            )
                        ),
                        rx.button(
                            rx.icon("check", size=16),
                            t("Saqlash", "Сохранить", "Save"),
                            type="submit",
                            id="question-save",
                        ),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=QuestionFormState.save,
                reset_on_submit=False,
                key=QuestionFormState.form_version.to_string(),
                width="100%",
            ),
            max_width="72rem",
            width="95vw",
            id="question-dialog",
        ),
        open=QuestionFormState.dialog_open,
        on_open_change=QuestionFormState.dialog_changed,
    )
