"""The practice bank's import: a .json, .csv or .zip file, checked first, then imported.

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

EXAMPLE_CSV = (
    "topic,difficulty,kind,text,option_a,option_b,option_c,option_d,answer,explanation\n"
    'algebra,2,mcq,"Solve $2x + 3 = 7$.",$1$,$2$,$3$,$4$,B,"$2x = 4$, so $x = 2$."\n'
    "geometry,3,free,"
    '"The legs of a right triangle are 3 and 4. How long is the hypotenuse?"'
    ',,,,,5,"$\\sqrt{3^2 + 4^2} = 5$."\n'
    "probability,1,free,"
    '"A fair coin is tossed once. What is the probability of heads?"'
    ",,,,,1/2|0.5,Two equally likely outcomes.\n"
)
EXAMPLE_JSON = """{
  "questions": [
    {
      "topic": "algebra",
      "difficulty": 2,
      "kind": "mcq",
      "text": "Solve $2x + 3 = 7$.",
      "options": ["$1$", "$2$", "$3$", "$4$"],
      "answer": "B",
      "explanation": "$2x = 4$, so $x = 2$."
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
"""


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
            self.error = "Choose one .json, .csv or .zip file."
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
            lines = bank.error_lines(err)
            self.problems = lines[:MAX_SHOWN_ERRORS]
            self.problem_total = len(lines)
            self.error = f"Nothing was imported: {len(lines)} problem(s) in {name} (see below)."
        except MockExamError as err:
            self.error = str(err)
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
            self.error = "This is not the file that was checked: press Check first."
            return None
        report = await self._import(data, name, admin_id=admin_id, dry_run=False)
        self.checked, self._digest = False, ""
        if report is None:
            return None
        self.file_name = ""
        self.notice = f"Imported {report.added} question(s) from {name}." + (
            f" {report.skipped_duplicates} already in the bank were skipped."
            if report.skipped_duplicates
            else ""
        )
        return [rx.clear_selected_files(IMPORT_UPLOAD_ID), PracticeBankState.refresh]

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
def _help() -> rx.Component:
    small = {"size": "1", "color": "var(--gray-11)"}
    return rx.vstack(
        rx.text("File format", size="2", weight="medium"),
        rx.text(
            rx.text.strong("CSV"),
            " (UTF-8, comma or semicolon separated, a header row) with the columns ",
            rx.code(", ".join(bank.CSV_COLUMNS), size="1"),
            ". topic is a topic's code or admin name; difficulty 1–5; kind mcq or free; "
            "answer is the right option's letter, or for free questions the accepted answers "
            "separated by |.",
            **small,
        ),
        rx.text(
            rx.text.strong("JSON"),
            ': {"questions": [...]} or a bare list of objects with ',
            rx.code(", ".join(sorted(bank.JSON_FIELDS)), size="1"),
            "; options is a list of 2–6 texts (A, B, C…), answer a letter, a text or a list.",
            **small,
        ),
        rx.text(
            rx.text.strong("ZIP"),
            ": one such file plus the images its image column names (PNG, JPEG, GIF, WebP or "
            "SVG, beside it or in an images/ folder). At most "
            f"{bank.MAX_ZIP_BYTES // 1024 // 1024} MB, images "
            f"{bank.MAX_IMAGE_BYTES // 1024 // 1024} MB each; no passwords.",
            **small,
        ),
        rx.text(
            "Texts are Markdown with $…$ math. A question already in the bank (same topic, "
            f"kind, text and options) is skipped. At most {bank.MAX_IMPORT_QUESTIONS} questions "
            f"and {bank.MAX_IMPORT_BYTES // 1024 // 1024} MB a file.",
            **small,
        ),
        rx.hstack(
            rx.button(
                rx.icon("download", size=14),
                "Example CSV",
                size="1",
                variant="soft",
                on_click=rx.download(
                    data=EXAMPLE_CSV, filename="practice-example.csv", mime_type="text/csv"
                ),
                id="import-example-csv",
            ),
            rx.button(
                rx.icon("download", size=14),
                "Example JSON",
                size="1",
                variant="soft",
                on_click=rx.download(
                    data=EXAMPLE_JSON,
                    filename="practice-example.json",
                    mime_type="application/json",
                ),
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
                                ": would add ",
                                QuestionImportState.would_add,
                                " question(s); ",
                                QuestionImportState.duplicates,
                                " already in the bank.",
                            ),
                            rx.text(
                                QuestionImportState.file_name,
                                ": nothing new, all ",
                                QuestionImportState.duplicates,
                                " question(s) are in the bank already.",
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
                        "The first ",
                        QuestionImportState.problems.length(),
                        " of ",
                        QuestionImportState.problem_total,
                        " problems:",
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
        rx.heading("Import questions", size="4"),
        rx.grid(
            rx.vstack(
                rx.upload.root(
                    rx.vstack(
                        rx.icon("file-up", size=26, color="var(--gray-10)"),
                        rx.text("Drop a .json, .csv or .zip file here or click", size="2"),
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
                        "Check",
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
                            "Import ",
                            QuestionImportState.would_add,
                            " question(s)",
                            on_click=QuestionImportState.run_import(
                                rx.upload_files(upload_id=IMPORT_UPLOAD_ID)
                            ),
                            id="import-confirm",
                        ),
                    ),
                    rx.button(
                        "Clear",
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
