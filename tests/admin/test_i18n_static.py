"""No untranslated text in the admin panel: a static scan of its source (issue 21 §4).

Every text the admin reads is written in the three languages where it is shown:
`t(uz, ru, en)` / `texts(...)` / `count_text(...)` in components, `self._text(...)`,
`pick(lang, ...)` and `count_word(...)` in handlers and figure builders,
`msg(uz, ru, en)` in services. This test walks the AST of mockexam/admin/**/*.py
and mockexam/admin_charts.py and fails (file:line) on a string literal with a
word of two or more letters that is

- a positional argument of a call (a component's text, a helper's label),
- the value of a text keyword (placeholder, title, aria_label, label, ...),
- assigned to `self.error` / `self.notice` / `self.message` (a page's message),
- a module or class constant that reads like a sentence (two words or more),

unless it is inside one of the translation calls, a logger call, an icon name,
a non-text keyword (id, href, color_scheme, ...), or is a known term (CSV, PDF,
Rasch, ...). A lower-case code word ("search", "file-check") counts only where a
component shows it (rx.text, rx.badge, rx.cond's branches, ...).

A second test checks every translation call of the whole package: three non-empty
texts, Cyrillic in the Russian one, the same `{placeholders}` in all three.

`NOT_YET_TRANSLATED` lists the admin files still to do; the scan skips them. A line
that holds a literal which is not text for a person (a file format's example, a
command) may say so with the comment `# i18n: not text` (on the literal's first line).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mockexam"

# Admin files whose texts are still English only (relative to the repository root).
# Emptied file by file as each is translated; the scan skips these.
NOT_YET_TRANSLATED: set[str] = set()

# Terms that read the same in the three languages (symbols, names, formats).
ALLOWED_TERMS: frozenset[str] = frozenset(
    {
        "mockexam",
        "ALG",  # item bank codes in an example (ALG-017, GEO-004)
        "GEO",
        "CSV",
        "csv",
        "Excel",
        "XLSX",
        "xlsx",
        "PDF",
        "pdf",
        "ZIP",
        "zip",
        "JSON",
        "json",
        "Telegram",
        "Rasch",
        "Elo",
        "Wright",
        "ZSTD",
        "SE",
        "UTC",
        "ID",
        "id",
        "URL",
        "PNG",
        "JPEG",
        "β",
        "α",
        "θ",
        "Δ",
        "MCQ",
        "SD",
        "GIF",
        "WebP",
        "SVG",
        "MB",
        "KB",
        "uz",
        "ru",
        "en",
        "ms",
        "px",
        "rem",
        "em",
        "vh",
        "vw",
    }
)

# Words Uzbek writes as English does (a `t(…)` whose uz and en are the same may hold only
# these and the terms above; anything else is an English text left in the Uzbek slot).
SAME_IN_UZBEK: frozenset[str] = frozenset({"admin", "Admin", "Import", "Infit", "Outfit"})

# Calls whose string arguments are already translated, or are not text at all.
TRANSLATING_CALLS = frozenset(
    {"t", "texts", "count_text", "_text", "pick", "msg", "Msg", "count_word", "tr"}
)
CODE_CALLS = frozenset(
    {
        # names, paths, keys, formats: never shown as text
        "rx.icon",
        "rx.redirect",
        "rx.call_script",
        "rx.script",
        "rx.Cookie",
        "rx.LocalStorage",
        "rx.SessionStorage",
        "rx.Var.create",
        "rx.download",
        "rx.set_clipboard",
        "getattr",
        "setattr",
        "hasattr",
        "isinstance",
        "print",
        "re.compile",
        "re.match",
        "re.search",
        "re.sub",
        "re.fullmatch",
        "logging.getLogger",
        "TypeVar",
        "cast",
        # a programmer's error (a bug, not something the admin can act on)
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "RuntimeError",
        "AssertionError",
        "NotImplementedError",
    }
)
CODE_METHODS = frozenset(
    {
        "get",
        "split",
        "rsplit",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "index",
        "find",
        "replace",
        "join",
        "pop",
        "setdefault",
        "strftime",
        "strptime",
        "encode",
        "decode",
        "partition",
        "rpartition",
        "removeprefix",
        "removesuffix",
        "count",
        "to",
        "label",
        "where",
        "order_by",
        "group_by",
        "like",
        "ilike",
        "astype",
        "rename",
        "update_layout",  # (a figure's code keys; its texts are keywords, checked below)
    }
)
LOGGER_NAMES = frozenset({"logger", "logging", "log", "_log", "LOGGER"})
# Keyword arguments whose strings are shown to the admin.
TEXT_KEYWORDS = frozenset(
    {
        "placeholder",
        "title",
        "aria_label",
        "label",
        "x_title",
        "y_title",
        "message",
        "content",
        "subtitle",
        "description",
        "text",
        "hint",
        "alt",
        "prev_label",
        "next_label",
        "tooltip",
        "confirm",
        "legend_title",
        "empty",
    }
)
# Where a lower-case code word ("active", "yes") is shown: these components' text.
TEXT_COMPONENTS = frozenset(
    {
        "rx.text",
        "rx.text.strong",
        "rx.text.em",
        "rx.heading",
        "rx.badge",
        "rx.button",
        "rx.link",
        "rx.callout",
        "rx.callout.text",
        "rx.table.cell",
        "rx.table.column_header_cell",
        "rx.table.row_header_cell",
        "rx.el.label",
        "rx.el.span",
        "rx.el.p",
        "rx.el.option",
        "rx.alert_dialog.title",
        "rx.alert_dialog.description",
        "rx.dialog.title",
        "rx.dialog.description",
        "rx.segmented_control.item",
        "rx.select.item",
        "rx.tabs.trigger",
        "rx.radio",
        "rx.checkbox",
        "rx.switch",
        "rx.toast",
        "rx.tooltip",
        "rx.cond",
        "rx.match",
        "rx.window_alert",
    }
)
SELF_MESSAGES = frozenset({"error", "notice", "message", "info", "warning", "success"})

WORD = re.compile(r"[^\W\d_]{2,}")
CODE_LIKE = re.compile(r"^[a-z0-9_\-./:#@%()\[\],;+*=<>!?{}|&^~$\\' ]*$")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _dotted(node: ast.AST) -> str:
    """`rx.table.cell` for the callee `rx.table.cell`, `self._text` → `self._text`, '' else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # a chained call: keep the last attribute
        return "." + ".".join(reversed(parts)) if parts else ""
    return ".".join(reversed(parts))


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _exempt_call(name: str) -> bool:
    if _last(name) in TRANSLATING_CALLS or name in CODE_CALLS:
        return True
    head = name.split(".", 1)[0]
    if head in LOGGER_NAMES or head == "warnings":
        return True
    return "." in name and _last(name) in CODE_METHODS


def _literal_text(node: ast.AST) -> str | None:
    """The text of a str constant or an f-string's constant parts (placeholders as spaces)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else " "
            for v in node.values
        )
    return None


def _needs_translation(text: str, *, shown: bool) -> bool:
    """A word of 2+ letters that is not an allowed term (code words count only if `shown`)."""
    words = [w for w in WORD.findall(text) if w not in ALLOWED_TERMS]
    if not words:
        return False
    if text.lstrip().startswith(('{"', "[{", '["')):
        return False  # a JSON example
    if CODE_LIKE.match(text) and " " not in text.strip():
        return shown and not text.startswith(("var(", "--", "#", "/", "."))
    return True


def _is_triple(node: ast.AST) -> bool:
    """(uz, ru, en): a tuple of three texts with Cyrillic in the second."""
    if not (isinstance(node, ast.Tuple) and len(node.elts) == 3):
        return False
    texts = [_literal_text(e) for e in node.elts]
    return all(t is not None for t in texts) and bool(CYRILLIC.search(texts[1] or ""))


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.why}: {self.text[:70]!r}"


class Scanner(ast.NodeVisitor):
    """Collects literals shown to the admin outside the translation calls."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.findings: list[Finding] = []
        self.depth = 0  # function/class nesting: 0 is module level

    def _report(self, node: ast.AST, why: str, *, shown: bool = False) -> None:
        text = _literal_text(node)
        if text is not None and _needs_translation(text, shown=shown):
            self.findings.append(Finding(self.path, node.lineno, text, why))

    def _scan_value(self, node: ast.AST, why: str) -> None:
        """Every literal in an expression (its branches, concatenations), minus exempt calls."""
        if isinstance(node, ast.Call):
            self.visit(node)
            return
        if isinstance(node, (ast.Constant, ast.JoinedStr)):
            self._report(node, why, shown=True)
            if isinstance(node, ast.JoinedStr):
                for value in node.values:
                    if isinstance(value, ast.FormattedValue):
                        self.visit(value)
            return
        if isinstance(node, (ast.IfExp, ast.BoolOp, ast.BinOp)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    if isinstance(node, ast.IfExp) and child is node.test:
                        self.visit(child)
                    else:
                        self._scan_value(child, why)
            return
        self.visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        if _exempt_call(name):
            return
        shown = name in TEXT_COMPONENTS
        for arg in node.args:
            inner = arg.value if isinstance(arg, ast.Starred) else arg
            if _literal_text(inner) is not None:
                self._report(inner, f"text argument of {name or 'a call'}()", shown=shown)
                if isinstance(inner, ast.JoinedStr):
                    self.generic_visit(inner)
            elif isinstance(inner, (ast.IfExp, ast.BoolOp, ast.BinOp)):
                self._scan_value(inner, f"text argument of {name or 'a call'}()")
            else:
                self.visit(inner)
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS:
                self._scan_value(keyword.value, f"text keyword {keyword.arg}=")
            # other keywords (id, href, color_scheme, size, on_click, ...) hold no text
            elif keyword.arg is None:
                self.visit(keyword.value)
            else:
                self._visit_code_keyword(keyword.value)
        self.visit(node.func)

    def _visit_code_keyword(self, node: ast.AST) -> None:
        """A non-text keyword's value: calls inside it are still scanned (an on_click's
        lambda may set a message), its own literals are not."""
        for child in ast.walk(node):
            if isinstance(child, ast.Lambda):
                self.visit(child.body)
                return

    def _assign(self, targets: list[ast.expr], value: ast.AST | None) -> None:
        if value is None:
            return
        for target in targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            for name in names:
                if (
                    isinstance(name, ast.Attribute)
                    and isinstance(name.value, ast.Name)
                    and name.value.id == "self"
                    and name.attr in SELF_MESSAGES
                ):
                    self._scan_value(value, f"message assigned to self.{name.attr}")
                    return
        if self.depth == 0 or self._in_class_body:
            self._constant(value)
            return
        self.visit(value)

    _in_class_body = False

    def _constant(self, node: ast.AST) -> None:
        """A module or class constant: sentences (two words or more) outside (uz, ru, en)."""
        if _is_triple(node):
            return
        text = _literal_text(node)
        if text is not None:
            if len(WORD.findall(text)) >= 2 and " " in text.strip():
                self._report(node, "constant text")
            return
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            for element in node.elts:
                self._constant(element)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                self._constant(value)
        else:
            self.visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self._assign(node.targets, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._assign([node.target], node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._assign([node.target], node.value)

    def _nested(self, node: ast.AST, *, class_body: bool) -> None:
        before = self._in_class_body
        self.depth += 1
        self._in_class_body = class_body
        body = getattr(node, "body", [])
        for i, statement in enumerate(body):
            if i == 0 and _is_docstring(statement):
                continue
            self.visit(statement)
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for default in node.args.defaults + node.args.kw_defaults:
                if default is not None:
                    self.visit(default)
        self.depth -= 1
        self._in_class_body = before

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._nested(node, class_body=False)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._nested(node, class_body=False)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._nested(node, class_body=True)

    def visit_Module(self, node: ast.Module) -> None:
        for i, statement in enumerate(node.body):
            if i == 0 and _is_docstring(statement):
                continue
            self.visit(statement)

    def visit_Raise(self, node: ast.Raise) -> None:
        if node.exc is not None:
            self.visit(node.exc)

    def visit_Assert(self, node: ast.Assert) -> None:
        """An assert's message is for developers."""


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def admin_files() -> list[Path]:
    return [*sorted((PACKAGE / "admin").rglob("*.py")), PACKAGE / "admin_charts.py"]


@cache
def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(_source(path), filename=str(path))


# A line may say that its literal is not text for a person (a file format's example,
# a command): the scan skips the lines with this comment.
NOT_TEXT_MARK = "# i18n: not text"


def scan_source(
    source: str, path: str = "example.py", tree: ast.Module | None = None
) -> list[Finding]:
    scanner = Scanner(path)
    scanner.visit(tree if tree is not None else ast.parse(source))
    lines = source.splitlines()
    return [
        f
        for f in scanner.findings
        if not (0 < f.line <= len(lines) and NOT_TEXT_MARK in lines[f.line - 1])
    ]


def scan(path: Path) -> list[Finding]:
    return scan_source(_source(path), _relative(path), _tree(path))


# --- The three languages of every translation call ----------------------------------
def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return {"<unbalanced braces>"}


PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _check_triple(texts: list[str | None], where: str, params: set[str] | None = None) -> list[str]:
    """(uz, ru, en): three non-empty texts, Cyrillic in ru, the same {placeholders}.

    With `params` (a msg's keyword parameters) each text may use any of them (a
    language may need a parameter the others do not: an English plural word).
    """
    problems: list[str] = []
    if any(text is None for text in texts):
        return problems  # a variable: checked where it is defined
    uz, ru, en = (text or "" for text in texts)
    if not all(text.strip() for text in (uz, ru, en)):
        problems.append(f"{where}: an empty text in {texts!r}")
    if not CYRILLIC.search(ru) and WORD.search(PLACEHOLDER.sub(" ", ru)):
        problems.append(f"{where}: the Russian text has no Cyrillic: {ru!r}")
    same = {word for word in WORD.findall(PLACEHOLDER.sub(" ", uz)) if uz == en}
    if same - ALLOWED_TERMS - SAME_IN_UZBEK:
        problems.append(f"{where}: the Uzbek text is the English one: {uz!r}")
    fields = [_fields(text) for text in (uz, ru, en)]
    if params is not None:
        unknown = set().union(*fields) - params
        if unknown:
            problems.append(f"{where}: placeholders without a parameter {sorted(unknown)}")
    elif not fields[0] == fields[1] == fields[2]:
        problems.append(f"{where}: different placeholders in {texts!r}")
    return problems


def _check_forms(node: ast.AST | None, count: int, where: str) -> list[str]:
    if node is None:
        return [f"{where}: missing forms"]
    if isinstance(node, ast.Tuple):
        texts = [_literal_text(e) for e in node.elts]
        if len(texts) != count:
            return [f"{where}: {count} forms expected, got {len(texts)}"]
        if any(t is not None and not t.strip() for t in texts):
            return [f"{where}: an empty form"]
    return []


def translation_problems(tree: ast.Module, path: str) -> list[str]:
    problems: list[str] = []
    for node in ast.walk(tree):
        if _is_triple(node):
            texts = [_literal_text(e) for e in node.elts]  # type: ignore[attr-defined]
            problems += _check_triple(texts, f"{path}:{node.lineno}")
        if not isinstance(node, ast.Call):
            continue
        name = _last(_dotted(node.func))
        where = f"{path}:{node.lineno} {name}()"
        if any(isinstance(a, ast.Starred) for a in node.args):
            continue  # t(*TRIPLE): the constant is checked as a triple
        full = _dotted(node.func)
        if name in {"t", "tr", "msg", "Msg"} or full == "self._text" or name == "pick":
            args = node.args[1:] if name == "pick" else node.args
            if len(args) < 3:
                # Msg(uz=..., ru=..., en=...) by keyword
                by_key = {k.arg: k.value for k in node.keywords}
                if all(k in by_key for k in ("uz", "ru", "en")):
                    args = [by_key["uz"], by_key["ru"], by_key["en"]]
                else:
                    problems.append(f"{where}: three texts (uz, ru, en) expected")
                    continue
            params = None
            if name in {"msg", "Msg"}:
                if any(k.arg is None for k in node.keywords) or len(node.args) > 3:
                    continue  # msg(..., **params) / Msg(uz, ru, en, params)
                by_position = len(node.args) == 3
                named = {
                    k.arg for k in node.keywords if by_position or k.arg not in ("uz", "ru", "en")
                }
                params = named if named else None
            problems += _check_triple([_literal_text(a) for a in args[:3]], where, params)
        elif name in {"count_text", "count_word"}:
            by_key = {k.arg: k.value for k in node.keywords}
            if "uz" not in by_key and not any(k.arg is None for k in node.keywords):
                problems.append(f"{where}: uz=, ru=, en= forms expected")
                continue
            if any(k.arg is None for k in node.keywords):
                continue  # **MINUTES
            problems += _check_forms(by_key.get("ru"), 3, where)
            problems += _check_forms(by_key.get("en"), 2, where)
            ru = by_key.get("ru")
            if isinstance(ru, ast.Tuple):
                for form in ru.elts:
                    text = _literal_text(form)
                    if text is not None and not CYRILLIC.search(text):
                        problems.append(f"{where}: a Russian form without Cyrillic: {text!r}")
        elif name == "texts":
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg and isinstance(value, ast.Tuple) and not _is_triple(value):
                    problems.append(f"{where}: {keyword.arg}= is not (uz, ru, en)")
    return problems


TRANSLATION_CALL = re.compile(r"\b(?:t|tr|msg|Msg|pick|_text|count_text|count_word|texts)\(|ru=\(")


def package_files() -> Iterator[Path]:
    """The package's files that have a translation call (the others are not parsed)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if TRANSLATION_CALL.search(_source(path)):
            yield path


# --- The tests -----------------------------------------------------------------------
def test_every_admin_text_is_translated():
    findings = [
        str(f)
        for path in admin_files()
        if _relative(path) not in NOT_YET_TRANSLATED
        for f in scan(path)
    ]
    assert not findings, "untranslated admin texts:\n" + "\n".join(findings)


def test_every_translation_has_three_languages_and_the_same_placeholders():
    problems = [
        problem
        for path in package_files()
        if _relative(path) not in NOT_YET_TRANSLATED
        for problem in translation_problems(_tree(path), _relative(path))
    ]
    assert not problems, "\n".join(problems)


# Services whose refusals reach the panel (or the Mini App) and are all worded with msg():
# a `raise SomeError("…")` there with a plain text is a message in English only.
MSG_SERVICES: set[str] = {
    "mockexam/services/admin_auth.py",
    "mockexam/services/admins.py",
    "mockexam/services/analytics.py",
    "mockexam/services/exam_results.py",
    "mockexam/services/exams.py",
    "mockexam/services/history.py",
    "mockexam/services/item_analysis.py",
    "mockexam/services/paper.py",
    "mockexam/services/practice.py",
    "mockexam/services/practice_bank.py",
    "mockexam/services/release.py",
    "mockexam/services/students.py",
    "mockexam/services/student_directory.py",
}
PROGRAMMER_ERRORS = frozenset(name for name in CODE_CALLS if name.endswith("Error"))


def plain_text_raises(tree: ast.Module, path: str) -> list[str]:
    """`raise SomeError("text")` / `(f"…")` / `("…" + x)`: a refusal not worded with msg()."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        call = node.exc
        if _dotted(call.func) in PROGRAMMER_ERRORS or not call.args:
            continue
        first = call.args[0]
        texts = [first] if not isinstance(first, ast.BinOp) else [first.left, first.right]
        if any(_literal_text(part) is not None for part in texts):
            found.append(f"{path}:{node.lineno}: {ast.unparse(call)[:80]}")
    return found


def test_the_panels_services_refuse_in_three_languages():
    found = [
        problem
        for relative in sorted(MSG_SERVICES)
        for problem in plain_text_raises(_tree(ROOT / relative), relative)
    ]
    assert not found, "refusals without msg(uz, ru, en):\n" + "\n".join(found)


def test_the_raise_check_catches_a_plain_text():
    source = 'raise ValidationError(f"Bad {x}")\nraise ValidationError("a" + b)'
    assert len(plain_text_raises(ast.parse(source), "example.py")) == 2
    fine = 'raise ValidationError(msg("Yomon", "Плохо", "Bad"))\nraise ValueError("bug")'
    assert not plain_text_raises(ast.parse(fine), "example.py")


def test_not_yet_translated_names_real_files():
    missing = sorted(p for p in NOT_YET_TRANSLATED | MSG_SERVICES if not (ROOT / p).is_file())
    assert not missing, f"NOT_YET_TRANSLATED / MSG_SERVICES name missing files: {missing}"


# The scanner itself: what it must flag and what it must leave alone.
@pytest.mark.parametrize(
    "source",
    [
        'rx.text("Exams")',
        'rx.badge("yes", color_scheme="green")',
        'rx.input(placeholder="Search by name")',
        'stat("Drafts", State.drafts, stat_id="count-draft")',
        'rx.cond(a, "Sign yourself out?", t("Ha", "Да", "Yes"))',
        'def f(self):\n    self.error = "Unknown admin; reload the page."',
        'def f(self, n):\n    self.notice = f"{n} session(s) signed out."',
        'WORKER_DOWN = "The worker is not running"',
        'rx.text(State.total, " exam(s)")',
        'admin_page(x, title="Exams", active="exams")',
        'rx.button("Delete" if a else "Keep")',
        'raise ValidationError("The file is empty.")',
    ],
)
def test_the_scan_flags_english_text(source):
    assert scan_source(source), source


@pytest.mark.parametrize(
    "source",
    [
        'rx.text(t("Imtihonlar", "Экзамены", "Exams"))',
        'rx.icon("file-check", size=16)',
        'rx.box(id="exams-table", class_name="exam-row", href="/admin/exams")',
        'rx.badge(x, color_scheme=rx.match(p, ("draft", "gray"), "gray"))',
        'logger.warning("the heartbeat could not be read")',
        'form.get("search", "")',
        'NAV = (("exams", ("Imtihonlar", "Экзамены", "Exams"), "/admin", "file-text"),)',
        'def f(self):\n    self.error = self._text("Xato", "Ошибка", "Error")',
        'rx.text("CSV")',
        'rx.heading("mockexam", size="5")',
        'rx.text(State.total, count_text(State.total, uz=" ta", ru=(" а", " б", " в"), en=(" x", " y")))',
        'msg("{n} ta", "{n} шт", "{n} items", n=3)',
        'EXAMPLE = "topic, difficulty, kind"  # i18n: not text',
        'raise ValueError("width must be positive")',
    ],
)
def test_the_scan_leaves_translated_text_and_code_alone(source):
    assert not scan_source(source), scan_source(source)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ('t("Ha", "Yes", "Yes")', "no Cyrillic"),
        ('t("Ha", "Да", "")', "empty"),
        ('msg("{n} ta", "{m} шт", "{n} items", n=1)', "placeholders"),
        ('t("Ha", "Да")', "three texts"),
        ('t("Exams", "Экзамены", "Exams")', "Uzbek text is the English"),
        ('pick(lang, "Ha", "Да")', "three texts"),
        ('count_text(n, uz=" ta", ru=(" сессия", " сессии"), en=(" a", " b"))', "3 forms"),
    ],
)
def test_the_translation_check_catches(source, problem):
    problems = translation_problems(ast.parse(source), "example.py")
    assert any(problem in p for p in problems), problems
