"""The practice bank's import: a .json, .csv or .zip file, checked first, then imported.

Each question may name its language (uz, ru, en) and an item bank code
(`ALG-017`); the example files show both (services/practice_bank.py reads them).

"Check" runs `import_questions(dry_run=True)`: either "would add N; M are
in the bank already", or every problem of the file, one line each
("line 7 · answer: …"), with the bank unchanged. "Import" sends the same
selected file again and imports it for real, only if it is the very file
that was checked (its SHA-256 is kept, not its bytes: the state stays
small). The import itself is all or nothing (the service's rule).
"""

from __future__ import annotations

import hashlib
import logging

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.admin.auth import DB_UNAVAILABLE, AdminState
from mockexam.admin.i18n import count_text, count_word, pick, t
from mockexam.admin.layout import card, error_callout, success_callout
from mockexam.admin.practice_bank.questions import PracticeBankState
from mockexam.errors import MockExamError
from mockexam.services import practice_bank as bank
from mockexam.services.transactions import in_session
from mockexam.text import clean_name

logger = logging.getLogger(__name__)

IMPORT_UPLOAD_ID = "practice-import"
IMPORT_ACCEPT = {
    "application/json": [".json"],
    "text/csv": [".csv"],
    "application/zip": [".zip"],
    "application/x-zip-compressed": [".zip"],
}
MAX_SHOWN_ERRORS = 1000
MAX_NAME_CHARS = 120

# The example files (the questions in the admin's language; codes and columns the same).
EXAMPLE_CSVS: tuple[str, str, str] = (
    "topic,difficulty,kind,text,option_a,option_b,option_c,option_d,answer,explanation,subject,"
    "language,bank_code\n"
    'algebra,2,mcq,"$2x + 3 = 7$ tenglamani yeching.",$1$,$2$,$3$,$4$,B,'
    '"$2x = 4$, demak $x = 2$.",math,uz,ALG-001\n'
    "geometry,3,free,"
    '"To‘g‘ri burchakli uchburchakning katetlari 3 va 4. Gipotenuzasi nechaga teng?"'
    ',,,,,5,"$\\sqrt{3^2 + 4^2} = 5$.",math,uz,GEO-001\n'
    "probability,1,free,"
    '"Tanga bir marta tashlandi. Gerb tushish ehtimoli qancha?"'
    ",,,,,1/2|0.5,Ikkita teng imkoniyatli natija.,,uz,\n",
    "topic,difficulty,kind,text,option_a,option_b,option_c,option_d,answer,explanation,subject,"
    "language,bank_code\n"
    'algebra,2,mcq,"Решите уравнение $2x + 3 = 7$.",$1$,$2$,$3$,$4$,B,'
    '"$2x = 4$, значит $x = 2$.",math,ru,ALG-001\n'
    "geometry,3,free,"
    '"Катеты прямоугольного треугольника равны 3 и 4. Чему равна гипотенуза?"'
    ',,,,,5,"$\\sqrt{3^2 + 4^2} = 5$.",math,ru,GEO-001\n'
    "probability,1,free,"
    '"Монету подбросили один раз. Какова вероятность выпадения орла?"'
    ",,,,,1/2|0.5,Два равновозможных исхода.,,ru,\n",
    "topic,difficulty,kind,text,option_a,option_b,option_c,option_d,answer,explanation,subject,"
    "language,bank_code\n"
    'algebra,2,mcq,"Solve $2x + 3 = 7$.",$1$,$2$,$3$,$4$,B,"$2x = 4$, so $x = 2$.",math,en,'
    "ALG-001\n"
    "geometry,3,free,"
    '"The legs of a right triangle are 3 and 4. How long is the hypotenuse?"'
    ',,,,,5,"$\\sqrt{3^2 + 4^2} = 5$.",math,en,GEO-001\n'
    "probability,1,free,"
    '"A fair coin is tossed once. What is the probability of heads?"'
    ",,,,,1/2|0.5,Two equally likely outcomes.,,en,\n",
)
EXAMPLE_JSONS: tuple[str, str, str] = (
    """{
  "questions": [
    {
      "topic": "algebra",
      "subject": "math",
      "difficulty": 2,
      "kind": "mcq",
      "text": "$2x + 3 = 7$ tenglamani yeching.",
      "options": ["$1$", "$2$", "$3$", "$4$"],
      "answer": "B",
      "explanation": "$2x = 4$, demak $x = 2$.",
      "language": "uz",
      "bank_code": "ALG-001"
    },
    {
      "topic": "probability",
      "difficulty": 1,
      "kind": "free",
      "text": "Tanga bir marta tashlandi. Gerb tushish ehtimoli qancha?",
      "answer": ["1/2", "0.5"]
    }
  ]
}
""",
    """{
  "questions": [
    {
      "topic": "algebra",
      "subject": "math",
      "difficulty": 2,
      "kind": "mcq",
      "text": "Решите уравнение $2x + 3 = 7$.",
      "options": ["$1$", "$2$", "$3$", "$4$"],
      "answer": "B",
      "explanation": "$2x = 4$, значит $x = 2$.",
      "language": "ru",
      "bank_code": "ALG-001"
    },
    {
      "topic": "probability",
      "difficulty": 1,
      "kind": "free",
      "text": "Монету подбросили один раз. Какова вероятность выпадения орла?",
      "answer": ["1/2", "0.5"]
    }
  ]
}
""",
    """{
  "questions": [
    {
      "topic": "algebra",
      "subject": "math",
      "difficulty": 2,
      "kind": "mcq",
      "text": "Solve $2x + 3 = 7$.",
      "options": ["$1$", "$2$", "$3$", "$4$"],
      "answer": "B",
      "explanation": "$2x = 4$, so $x = 2$.",
      "language": "en",
      "bank_code": "ALG-001"
    },
    {
      "topic": "probability",
      "difficulty": 1,
      "kind": "free",
      "text": "A fair coin is tossed once. What is the probability of heads?",
      "answer": ["1/2", "0.5"]
    }
  ]
}
""",
)
EXAMPLE_CSV, EXAMPLE_JSON = EXAMPLE_CSVS[2], EXAMPLE_JSONS[2]  # the English ones


class QuestionImportState(AdminState):
    """The checked file (name, digest, counts) or its problems, and the import's result."""

    file_name: str = ""
    checked: bool = False  # a dry run passed: "Import" is offered
    would_add: int = 0
    duplicates: int = 0
    problems: list[str] = []  # at most MAX_SHOWN_ERRORS lines
    problem_total: int = 0
    error: str = ""
    notice: str = ""

    _digest: str = ""  # SHA-256 of the checked file

    def _forget(self) -> None:
        self.reset()

    def _clear(self) -> None:
        self.file_name, self.checked, self._digest = "", False, ""
        self.would_add = self.duplicates = self.problem_total = 0
        self.problems, self.error, self.notice = [], "", ""

    async def _file(self, files: list[rx.UploadFile]) -> tuple[bytes, str] | None:
        if not isinstance(files, list) or len(files) != 1 or not _is_upload(files[0]):
            self.error = self._text(
                "Bitta .json, .csv yoki .zip faylni tanlang.",
                "Выберите один файл .json, .csv или .zip.",
                "Choose one .json, .csv or .zip file.",
            )
            return None
        upload = files[0]
        # The name is the client's: no bidi or control characters on the page, its end kept
        # (the suffix decides how the file is read).
        name = clean_name(upload.name or "", max_len=10_000)[-MAX_NAME_CHARS:] or "file"
        # At most one byte past the limit for this kind of file: the service then says it
        # is too large, without a 50 MB read for a .csv that may have 10.
        zipped = name.lower().endswith(".zip")
        limit = bank.MAX_ZIP_BYTES if zipped else bank.MAX_IMPORT_BYTES
        data = await upload.read(limit + 1)
        return data, name

    async def _import(self, data: bytes, name: str, *, admin_id: int, dry_run: bool):
        """The service's report, or None with the problems (or the failure) on the page."""

        def run() -> bank.ImportReport:
            bundle = bank.read_question_upload(data, name)
            return in_session(
                lambda db: bank.import_questions(
                    db, bundle, admin_id=admin_id, source=name, dry_run=dry_run
                ),
                readonly=dry_run,
            )()

        try:
            return await rx.run_in_thread(run)
        except bank.QuestionImportError as err:
            lang = self._lang()
            lines = bank.error_lines(err, lang)
            self.problems = lines[:MAX_SHOWN_ERRORS]
            self.problem_total = n = len(lines)
            problems = count_word(
                lang,
                n,
                uz="ta xato",
                ru=("ошибка", "ошибки", "ошибок"),
                en=("problem", "problems"),
            )
            self.error = self._text(
                f"Hech narsa import qilinmadi: {name} faylida {n} {problems} (quyida).",
                f"Ничего не импортировано: в {name} {n} {problems} (см. ниже).",
                f"Nothing was imported: {n} {problems} in {name} (see below).",
            )
        except MockExamError as err:
            self.error = err.text(self._lang())
        except SQLAlchemyError:
            logger.exception("practice import failed in the database")
            self.error = self._text(*DB_UNAVAILABLE)
        return None

    @rx.event
    async def load(self):
        if await self._require_admin() is None:
            return
        self._clear()

    @rx.event
    async def check_import(self, import_files: list[rx.UploadFile]):
        """The dry run: what the file would add, or every problem in it (nothing is written)."""
        admin_id = await self._require_admin()
        if admin_id is None:
            return
        self._clear()
        upload = await self._file(import_files)
        if upload is None:
            return
        data, name = upload
        self.file_name = name
        report = await self._import(data, name, admin_id=admin_id, dry_run=True)
        if report is None:
            return
        self.would_add, self.duplicates = report.added, report.skipped_duplicates
        self.checked = report.added > 0
        self._digest = await _digest(data) if self.checked else ""

    @rx.event
    async def run_import(self, import_files: list[rx.UploadFile]):
        """Import the checked file for real (all or nothing)."""
        admin_id = await self._require_admin()
        if admin_id is None:
            return None
        self.error, self.notice = "", ""
        upload = await self._file(import_files)
        if upload is None:
            return None
        data, name = upload
        if not self.checked or await _digest(data) != self._digest:
            self.checked = False
            self.error = self._text(
                "Bu tekshirilgan fayl emas: avval «Tekshirish» tugmasini bosing.",
                "Это не тот файл, который проверяли: сначала нажмите «Проверить».",
                "This is not the file that was checked: press Check first.",
            )
            return None
        report = await self._import(data, name, admin_id=admin_id, dry_run=False)
        self.checked, self._digest = False, ""
        if report is None:
            return None
        self.file_name = ""
        lang, added, skipped = self._lang(), report.added, report.skipped_duplicates
        questions = count_word(
            lang,
            added,
            uz="ta savol",
            ru=("вопрос", "вопроса", "вопросов"),
            en=("question", "questions"),
        )
        self.notice = self._text(
            f"{name} faylidan {added} {questions} import qilindi.",
            f"Из {name} импортировано: {added} {questions}.",
            f"Imported {added} {questions} from {name}.",
        )
        if skipped:
            self.notice += self._text(
                f" Bankda allaqachon bor {skipped} ta savol o‘tkazib yuborildi.",
                f" Пропущено уже имеющихся в банке: {skipped}.",
                f" {skipped} already in the bank were skipped.",
            )
        return [rx.clear_selected_files(IMPORT_UPLOAD_ID), PracticeBankState.refresh]

    @rx.event
    async def download_example(self, kind: str):
        """The example file (csv or json) with its questions in the admin's language."""
        if await self._require_admin() is None or kind not in ("csv", "json"):
            return None
        lang = self._lang()
        if kind == "csv":
            return rx.download(
                data=pick(lang, *EXAMPLE_CSVS),
                filename="practice-example.csv",
                mime_type="text/csv",
            )
        return rx.download(
            data=pick(lang, *EXAMPLE_JSONS),
            filename="practice-example.json",
            mime_type="application/json",
        )

    @rx.event
    async def clear(self):
        """Forget the checked file and its problems."""
        if await self._require_admin() is None:
            return None
        self._clear()
        return rx.clear_selected_files(IMPORT_UPLOAD_ID)


# ---------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------
def _questions(n: rx.Var[int]) -> rx.Var[str]:
    """ " question" / " questions" after a count (1 вопрос, 3 вопроса, 5 вопросов)."""
    return count_text(
        n, uz=" ta savol", ru=(" вопрос", " вопроса", " вопросов"), en=(" question", " questions")
    )


def _help() -> rx.Component:
    small = {"size": "1", "color": "var(--gray-11)"}
    zip_mb = bank.MAX_ZIP_BYTES // 1024 // 1024
    image_mb = bank.MAX_IMAGE_BYTES // 1024 // 1024
    file_mb = bank.MAX_IMPORT_BYTES // 1024 // 1024
    most = bank.MAX_IMPORT_QUESTIONS
    return rx.vstack(
        rx.text(t("Fayl formati", "Формат файла", "File format"), size="2", weight="medium"),
        rx.text(
            rx.text.strong("CSV"),
            t(
                " (UTF-8, vergul yoki nuqtali vergul bilan ajratilgan, sarlavha qatori bilan) "
                "ustunlari: ",
                " (UTF-8, через запятую или точку с запятой, со строкой заголовков) со столбцами ",
                " (UTF-8, comma or semicolon separated, a header row) with the columns ",
            ),
            rx.code(", ".join(bank.CSV_COLUMNS), size="1"),
            t(
                ". topic — mavzu kodi yoki admin uchun nomi; subject (ixtiyoriy) — fan kodi "
                "yoki nomi: mavzu shu fandan bo‘lishi kerak; difficulty 1–5; kind mcq yoki "
                "free; answer — to‘g‘ri variant harfi, ochiq savollarda esa | bilan "
                "ajratilgan qabul qilinadigan javoblar.",
                ". topic — код темы или её название для администратора; subject "
                "(необязательно) — код или название предмета: тема должна быть из него; "
                "difficulty 1–5; kind mcq или free; answer — буква правильного варианта, а "
                "для свободного ответа — принимаемые ответы через |.",
                ". topic is a topic's code or admin name; subject (optional) a subject's code "
                "or name, the topic must be one of its topics; difficulty 1–5; kind mcq or "
                "free; answer is the right option's letter, or for free questions the accepted "
                "answers separated by |.",
            ),
            **small,
        ),
        rx.text(
            rx.text.strong("JSON"),
            t(
                ': {"questions": [...]} yoki obyektlar ro‘yxati, maydonlari: ',
                ': {"questions": [...]} или просто список объектов с полями ',
                ': {"questions": [...]} or a bare list of objects with ',
            ),
            rx.code(", ".join(sorted(bank.JSON_FIELDS)), size="1"),
            t(
                "; options — 2–6 ta matn ro‘yxati (A, B, C…), answer — harf, matn yoki ro‘yxat.",
                "; options — список из 2–6 текстов (A, B, C…), answer — буква, текст или список.",
                "; options is a list of 2–6 texts (A, B, C…), answer a letter, a text or a list.",
            ),
            **small,
        ),
        rx.text(
            t(
                "language (ixtiyoriy) — savol matni tili: uz, ru yoki en (bo‘sh bo‘lsa uz); "
                "o‘quvchilarga avval o‘z tilidagi savollar beriladi. bank_code (ixtiyoriy) — "
                "savolning banki kodi, masalan ALG-017: imtihon savollaridagi kodlar kabi "
                "tekshiriladi; bitta savolning tarjimalari bir kodga ega bo‘lishi mumkin.",
                "language (необязательно) — язык текста вопроса: uz, ru или en (пусто — uz); "
                "ученики сначала получают вопросы на своём языке. bank_code (необязательно) — "
                "код вопроса в банке, например ALG-017: проверяется так же, как коды заданий "
                "экзаменов; у переводов одного вопроса может быть один код.",
                "language (optional) is the question text's language: uz, ru or en (empty: uz); "
                "students get questions in their own language first. bank_code (optional) is "
                "the question's item bank code, e.g. ALG-017, checked as exam items' codes "
                "are; translations of one question may share a code.",
            ),
            **small,
            id="import-help-language",
        ),
        rx.text(
            rx.text.strong("ZIP"),
            t(
                ": shunday bitta fayl va uning image ustunida ko‘rsatilgan rasmlar (PNG, JPEG, "
                "GIF, WebP yoki SVG, fayl yonida yoki images/ papkasida). Ko‘pi bilan "
                f"{zip_mb} MB, har bir rasm {image_mb} MB gacha; parolsiz.",
                ": один такой файл и изображения, названные в его столбце image (PNG, JPEG, "
                "GIF, WebP или SVG, рядом с ним или в папке images/). Не больше "
                f"{zip_mb} МБ, каждое изображение до {image_mb} МБ; без паролей.",
                ": one such file plus the images its image column names (PNG, JPEG, GIF, WebP "
                f"or SVG, beside it or in an images/ folder). At most {zip_mb} MB, images "
                f"{image_mb} MB each; no passwords.",
            ),
            **small,
        ),
        rx.text(
            t(
                "Matnlar — $…$ formulali Markdown. Bankda allaqachon bor savol (mavzusi, "
                "turi, matni va variantlari bir xil) o‘tkazib yuboriladi. Bir faylda ko‘pi "
                f"bilan {most} ta savol va {file_mb} MB.",
                "Тексты — Markdown с формулами $…$. Вопрос, который уже есть в банке (та же "
                "тема, тип, текст и варианты), пропускается. В одном файле не больше "
                f"{most} вопросов и {file_mb} МБ.",
                "Texts are Markdown with $…$ math. A question already in the bank (same topic, "
                f"kind, text and options) is skipped. At most {most} questions and {file_mb} MB "
                "a file.",
            ),
            **small,
        ),
        rx.hstack(
            rx.button(
                rx.icon("download", size=14),
                t("CSV namunasi", "Пример CSV", "Example CSV"),
                size="1",
                variant="soft",
                on_click=QuestionImportState.download_example("csv"),
                id="import-example-csv",
            ),
            rx.button(
                rx.icon("download", size=14),
                t("JSON namunasi", "Пример JSON", "Example JSON"),
                size="1",
                variant="soft",
                on_click=QuestionImportState.download_example("json"),
                id="import-example-json",
            ),
            spacing="2",
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _result() -> rx.Component:
    return rx.fragment(
        rx.cond(
            QuestionImportState.file_name != "",
            rx.cond(
                QuestionImportState.problem_total > 0,
                rx.fragment(),
                rx.cond(
                    QuestionImportState.error == "",
                    rx.callout(
                        rx.cond(
                            QuestionImportState.would_add > 0,
                            rx.text(
                                QuestionImportState.file_name,
                                t(": qo‘shiladi: ", ": будет добавлено: ", ": would add "),
                                QuestionImportState.would_add,
                                _questions(QuestionImportState.would_add),
                                t(
                                    "; bankda allaqachon bor: ",
                                    "; уже в банке: ",
                                    "; already in the bank: ",
                                ),
                                QuestionImportState.duplicates,
                                ".",
                            ),
                            rx.text(
                                QuestionImportState.file_name,
                                t(
                                    ": yangi savol yo‘q, barcha ",
                                    ": ничего нового, все ",
                                    ": nothing new, all ",
                                ),
                                QuestionImportState.duplicates,
                                _questions(QuestionImportState.duplicates),
                                t(
                                    " bankda allaqachon bor.",
                                    " уже есть в банке.",
                                    " are in the bank already.",
                                ),
                            ),
                        ),
                        icon="file-check",
                        color_scheme=rx.cond(QuestionImportState.would_add > 0, "blue", "gray"),
                        id="import-dry-run",
                        width="100%",
                    ),
                ),
            ),
        ),
        rx.cond(
            QuestionImportState.problems.length() > 0,
            rx.vstack(
                rx.cond(
                    QuestionImportState.problem_total > QuestionImportState.problems.length(),
                    rx.text(
                        t("Ko‘rsatilgani: ", "Показаны первые ", "The first "),
                        QuestionImportState.problems.length(),
                        t(" ta, jami ", " из ", " of "),
                        QuestionImportState.problem_total,
                        t(" ta xato:", " ошибок:", " problems:"),
                        size="1",
                    ),
                ),
                rx.scroll_area(
                    rx.vstack(
                        rx.foreach(
                            QuestionImportState.problems,
                            lambda line: rx.text(
                                line,
                                size="1",
                                font_family="var(--code-font-family)",
                                class_name="import-problem",
                            ),
                        ),
                        spacing="1",
                        padding="0.5rem 0.75rem",
                    ),
                    type="auto",
                    scrollbars="vertical",
                    max_height="16rem",
                    border="1px solid var(--red-a6)",
                    border_radius="var(--radius-3)",
                    background_color="var(--red-a2)",
                    id="import-problems",
                ),
                spacing="1",
                width="100%",
            ),
        ),
    )


def import_card() -> rx.Component:
    """Upload, check, import; the format help beside it."""
    return card(
        rx.heading(t("Savollarni import qilish", "Импорт вопросов", "Import questions"), size="4"),
        rx.grid(
            rx.vstack(
                rx.upload.root(
                    rx.vstack(
                        rx.icon("file-up", size=26, color="var(--gray-10)"),
                        rx.text(
                            t(
                                ".json, .csv yoki .zip faylni shu yerga tashlang yoki bosing",
                                "Перетащите сюда файл .json, .csv или .zip или нажмите",
                                "Drop a .json, .csv or .zip file here or click",
                            ),
                            size="2",
                        ),
                        rx.foreach(
                            rx.selected_files(IMPORT_UPLOAD_ID),
                            lambda name: rx.badge(name, variant="soft"),
                        ),
                        align="center",
                        spacing="1",
                    ),
                    id=IMPORT_UPLOAD_ID,
                    accept=IMPORT_ACCEPT,
                    max_size=bank.MAX_ZIP_BYTES,
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
                        rx.icon("list-checks", size=16),
                        t("Tekshirish", "Проверить", "Check"),
                        variant=rx.cond(QuestionImportState.checked, "soft", "solid"),
                        on_click=QuestionImportState.check_import(
                            rx.upload_files(upload_id=IMPORT_UPLOAD_ID)
                        ),
                        id="import-check",
                    ),
                    rx.cond(
                        QuestionImportState.checked,
                        rx.button(
                            rx.icon("upload", size=16),
                            t("Import qilish: ", "Импортировать: ", "Import "),
                            QuestionImportState.would_add,
                            _questions(QuestionImportState.would_add),
                            on_click=QuestionImportState.run_import(
                                rx.upload_files(upload_id=IMPORT_UPLOAD_ID)
                            ),
                            id="import-confirm",
                        ),
                    ),
                    rx.button(
                        t("Tozalash", "Очистить", "Clear"),
                        variant="soft",
                        color_scheme="gray",
                        on_click=QuestionImportState.clear,
                        id="import-clear",
                    ),
                    spacing="3",
                ),
                error_callout(QuestionImportState.error, callout_id="import-error"),
                success_callout(QuestionImportState.notice, callout_id="import-notice"),
                _result(),
                spacing="3",
                width="100%",
            ),
            _help(),
            columns="2",
            spacing="5",
            width="100%",
        ),
    )


def _is_upload(value: object) -> bool:
    """An uploaded file as Reflex hands it over (another client may send anything)."""
    return isinstance(value, rx.UploadFile)


async def _digest(data: bytes) -> str:
    """SHA-256 of an upload (up to tens of MB) off the event loop."""
    return await rx.run_in_thread(lambda: hashlib.sha256(data).hexdigest())
