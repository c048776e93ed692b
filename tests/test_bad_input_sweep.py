"""Bad input of every kind, sent to every HTTP route and every event handler, crashes nothing.

Issue 20's "done when": non-ASCII digits, huge numbers, deep nesting, bidi
controls, oversized strings and values of the wrong type go

- to every route of `mockexam.api.create_api()` (enumerated from
  the app, so a route added later is swept too): in every path parameter, in the
  query, in the body, with and without a valid credential;
- to every event handler that takes arguments, of every `rx.State` subclass the app
  defines (enumerated by walking `rx.State`'s subclasses after importing the app),
  one argument at a time (and one form/batch field at a time, for the fields the
  handler reads), through Reflex's own payload conversion, as an anonymous client,
  as a signed-in student and as a signed-in admin.

Asserted: no exception escapes, no HTTP 5xx, and the database is unchanged — except
where the bad value is also ordinary text (a '²' or a bidi control may be part of a
valid answer or title): there it may be stored, but no bidi control reaches any
table. Every failure is collected, so one run lists them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import reflex as rx
from reflex_base.event.processor.base_state_processor import _prepare_event_payload
from sqlalchemy import String, Text
from sqlalchemy import select as sa_select
from sqlmodel import select
from starlette.routing import Route

import mockexam.mockexam  # noqa: F401  (the app: every page's state is defined)
from mockexam.admin.auth import TOKEN_COOKIE
from mockexam.api import create_api
from mockexam.db import session_scope, utcnow
from mockexam.models import PracticeAnswer, PracticeSession, metadata
from mockexam.services import exam_room
from mockexam.services.paper import paper_token
from mockexam.services.practice import practice_sheet_token, start_practice
from mockexam.student.auth import StudentState
from mockexam.text import has_bidi
from tests.admin import test_non_admin_sweep as admin_sweep
from tests.admin.helpers import admin_token, make_state, run
from tests.factories import make_exam, make_student

DEEP = 1000


def _nested_list(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _nested_dict(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


BIDI = "\u202eevil\u202c\u2066x\u2069\u200f"
# (kind, value). "text" values are short strings, also ordinary text somewhere (an answer
# "x²", a title "0001-01-01T00:00"): they may be stored, without bidi controls; they
# must still be refused where a number or a date is meant. Every other kind (a huge,
# deep or oversized value, a value of the wrong type) changes nothing anywhere.
BAD: list[tuple[str, Any]] = [
    ("text", "²"),
    ("text", "٣٤"),
    ("text", BIDI),
    ("text", str(2**70)),
    ("text", "#" + "9" * 20),
    ("text", "0001-01-01T00:00"),
    ("text", "9999-12-31T23:59"),
    ("huge", "9" * 5000),
    ("huge", 2**70),
    ("huge", -(2**70)),
    ("deep", "[" * 30000),
    ("deep", _nested_list(DEEP)),
    ("deep", _nested_dict(DEEP)),
    ("oversized", "x" * 1_000_000),
    ("type", None),
    ("type", []),
    ("type", {}),
    ("type", True),
    ("type", 1.5),
    ("type", float("nan")),
]
TEXT_KINDS = {"text"}
# Tables a refused call may still write by design: the login throttle records a failed
# sign-in, an admin session's last use moves.
ALWAYS_WRITABLE = {"adminloginattempt", "adminsession"}
# Values a handler accepts by design: the form's checkbox is read as a boolean too.
# A change whose value is None leaves the answer alone: the batch is valid (its seq is kept).
ACCEPTED = ("BroadcastsState.send(form_data[channel]=True)",)
# Found by this sweep in files outside this change, reported to their owner; each line
# goes when its fix lands (the sweep then checks it like everything else).
KNOWN: tuple[str, ...] = ()


def _short(value: Any) -> str:
    if isinstance(value, list | dict) and value:
        return f"<{type(value).__name__} nested {DEEP} deep>"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}…({len(text)} chars)"


# ---------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class World:
    base: admin_sweep.World
    open_exam_id: int
    practice_id: int
    admin_token: str
    # The submit routes' caller: another student in the open exam and in a practice
    # session of their own. A batch with a bad answer or language is still a submit (the
    # bad answer refused on its own): the one change the requests may make is these
    # sessions submitted.
    submitter_id: int
    submitter_session_id: int
    submitter_practice_id: int


def build_world() -> World:
    base = admin_sweep.build_world()
    with session_scope() as db:
        open_exam = make_exam(db, title="Open now", start=utcnow() - timedelta(minutes=5))
        open_id = open_exam.id
    exam_room.start_exam(student_id=base.student_id, exam_id=open_id)
    with session_scope() as db:
        submitter_id = make_student(db, first_name="Submitter").id
    submitter_session_id = exam_room.start_exam(student_id=submitter_id, exam_id=open_id).session_id
    submitter_practice_id = start_practice(student_id=submitter_id, mode="light").practice_id
    with session_scope(readonly=True) as db:
        practice_id = db.exec(
            select(PracticeSession.id).where(PracticeSession.student_id == base.student_id)
        ).first()
    return World(
        base,
        open_id,
        practice_id,
        admin_token("alice"),
        submitter_id,
        submitter_session_id,
        submitter_practice_id,
    )


def snapshot() -> dict[str, list[tuple]]:
    return {k: v for k, v in admin_sweep.snapshot().items() if k not in ALWAYS_WRITABLE}


def bidi_cells() -> list[str]:
    """`table.column = value` for every stored text holding a bidi control."""
    found = []
    with session_scope(readonly=True) as db:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if not columns:
                continue
            for row in db.execute(sa_select(*columns)).all():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, str) and has_bidi(value):
                        found.append(f"{table.name}.{column.name} = {value!r}")
    return found


# ---------------------------------------------------------------------------
# States and handlers
# ---------------------------------------------------------------------------
def app_state_classes() -> list[type[rx.State]]:
    """Every rx.State subclass the app defines (Reflex's own internal states aside)."""
    found, stack, seen = [], [rx.State], set()
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                if sub.__module__.startswith("mockexam."):
                    found.append(sub)
    return sorted(found, key=lambda c: c.get_full_name())


def handlers_with_args(cls: type[rx.State]) -> list[tuple[str, Any, list[str]]]:
    out = []
    for name, handler in sorted(cls.event_handlers.items()):
        if name == "setvar":  # Reflex's own; test_non_admin_sweep checks it sets nothing
            continue
        params = [p.name for p in list(inspect.signature(handler.fn).parameters.values())[1:]]
        if params:
            out.append((name, handler, params))
    return out


def state_path(cls: type[rx.State], world: World) -> str:
    module, base = cls.__module__, world.base
    if module.startswith("mockexam.admin"):
        if cls.__name__ in ("KeyState", "ExamState"):
            return f"/admin/exams/{base.draft_id}"
        return f"/admin/exams/{base.released_id}"
    if module == "mockexam.student.exam":
        return f"/app/exam/{world.open_exam_id}"
    if module == "mockexam.student.practice_session":
        return f"/app/practice/{world.practice_id}"
    return "/app"


def _root(state: rx.State) -> rx.State:
    while state.parent_state is not None:
        state = state.parent_state
    return state


_SEQ = itertools.count(2)


def _fresh_seq(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A batch with the plausible seq gets a new one: a repeated seq is dropped unread."""
    batch = kwargs.get("batch")
    if isinstance(batch, dict) and batch.get("seq") == 1 and type(batch.get("seq")) is int:
        return {**kwargs, "batch": {**batch, "seq": next(_SEQ)}}
    return kwargs


def _call(handler: Any, state: rx.State, kwargs: dict[str, Any]) -> Any:
    """Call `handler` as Reflex does for a client's event: the payload converted first."""
    payload = _prepare_event_payload(handler, _fresh_seq(kwargs))
    result = run(handler, state, **payload)
    if inspect.isgenerator(result):
        return list(result)
    return result


def caller_state(cls: type[rx.State], caller: str, world: World) -> rx.State:
    """A state of `cls` for this caller, its page loaded as a browser would."""
    token = world.admin_token if caller == "admin" else ""
    state = make_state(cls, path=state_path(cls, world), token=token)
    if caller == "student":
        student = _root(state).get_substate(StudentState.get_full_name().split(".")[1:])
        student._student_id = world.base.student_id
        student.auth_status = "ok"
    load = cls.event_handlers.get("load")
    if load is not None:
        params = list(inspect.signature(load.fn).parameters)[1:]
        with contextlib.suppress(Exception):
            _call(load, state, dict.fromkeys(params, ""))
    return state


class RecordingDict(dict):
    """A form payload that notes which fields the handler reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(key)  # type: ignore[arg-type]
        return super().__contains__(key)


def plausible(name: str, annotation: Any, state: rx.State, world: World) -> Any:
    """A valid-looking value for a parameter (bad values replace one at a time)."""
    student = {
        "init_data": "",
        "lang": "ru",
        "board": "weekly",
        "mode": "light",
        "name": "all",
        "batch": {
            "seq": 1,
            "changes": {"36a": {"value": "12", "flagged": False}},
            "load": getattr(state, "load_id", ""),
            "device": "sweepdevice1",
        },
    }
    if name in student:
        return student[name]
    if name == "value" and "bool" in str(annotation):
        return True
    return admin_sweep._candidates(name, annotation, world.base)[0]


def bad_calls(
    params: list[str], base_args: dict[str, Any], read: dict[str, set[str]]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, where, kwargs) with one argument, or one read field of a dict argument, bad."""
    for param, (kind, value) in itertools.product(params, BAD):
        yield kind, f"{param}={_short(value)}", {**base_args, param: value}
    for param in params:
        base = base_args[param]
        if not isinstance(base, dict):
            continue
        for field, (kind, value) in itertools.product(sorted(read.get(param, ())), BAD):
            yield (
                kind,
                f"{param}[{field}]={_short(value)}",
                {**base_args, param: {**base, field: value}},
            )
        if param == "batch":
            for kind, value in BAD:
                changes = {"36a": {"value": value}}
                yield (
                    kind,
                    f"batch.changes.36a={_short(value)}",
                    {
                        **base_args,
                        param: {**base, "changes": changes},
                    },
                )
                if isinstance(value, str):
                    yield (
                        kind,
                        f"batch.changes[{_short(value)}]",
                        {
                            **base_args,
                            param: {**base, "changes": {value: {"value": "1"}}},
                        },
                    )


def test_the_sweep_sees_every_page_state():
    names = {c.__name__ for c in app_state_classes()}
    assert {"ExamState", "PracticeSessionState", "NewExamState", "StudentsState"} <= names
    assert sum(len(handlers_with_args(c)) for c in app_state_classes()) > 50
    # Handlers added since, named so that a rename cannot drop them from the sweep unseen.
    swept = {
        (c.__name__, name) for c in app_state_classes() for name, _, _ in handlers_with_args(c)
    }
    assert {("PracticeSessionState", "move"), ("QuestionFormState", "save")} <= swept


def test_every_handler_survives_bad_input_and_changes_nothing(sqlite_url, monkeypatch, request):
    monkeypatch.setattr(rx, "run_in_thread", _inline)
    # Reflex logs every payload it cannot convert (then passes it on as sent): thousands.
    logging.disable(logging.CRITICAL)
    request.addfinalizer(lambda: logging.disable(logging.NOTSET))
    world = build_world()
    failures: list[str] = []
    calls = 0
    for cls, caller in itertools.product(app_state_classes(), ("anonymous", "student", "admin")):
        handlers = handlers_with_args(cls)
        if not handlers:
            continue
        state = caller_state(cls, caller, world)
        for name, handler, params in handlers:
            base_args = {
                p: plausible(p, handler.fn.__annotations__.get(p), state, world) for p in params
            }
            read: dict[str, set[str]] = {}
            if caller == "admin" and any(isinstance(v, dict) for v in base_args.values()):
                # One valid call (it may write: done before the snapshot) to learn the fields.
                recorded = {
                    p: RecordingDict(v) if isinstance(v, dict) else v for p, v in base_args.items()
                }
                try:
                    _call(handler, caller_state(cls, caller, world), recorded)
                except Exception as err:
                    failures.append(f"{cls.__name__}.{name} (valid call) as {caller}: {err!r}")
                read = {
                    p: {k for k in v.read if isinstance(k, str) and not k.startswith("__")}
                    for p, v in recorded.items()
                    if isinstance(v, RecordingDict)
                }
            strict = [c for c in bad_calls(params, base_args, read) if c[0] not in TEXT_KINDS]
            text = [c for c in bad_calls(params, base_args, read) if c[0] in TEXT_KINDS]
            before = snapshot()
            for index, (_kind, where, kwargs) in enumerate(strict + text, 1):
                label = f"{cls.__module__}.{cls.__name__}.{name}({where}) as {caller}"
                calls += 1
                if hasattr(state, "error"):
                    state.error = ""
                try:
                    _call(handler, state, kwargs)
                except Exception as err:
                    failures.append(f"{label}: {type(err).__name__}: {str(err)[:200]}")
                else:
                    if _needs_message(caller, name, where, index <= len(strict), state):
                        failures.append(f"{label}: refused without a message in `error`")
                if index == len(strict) and snapshot() != before:
                    failures += _changes(handler, cls, caller, world, strict)
    failures += [f"stored a bidi control: {cell}" for cell in bidi_cells()]
    failures = [f for f in failures if not any(k in f for k in ACCEPTED + KNOWN)]
    assert calls > 3000
    assert failures == [], "\n".join(failures[:80]) + f"\n({len(failures)} failures)"


# A search box reads anything that is not text as "no search" (nothing to say).
SILENT_FORMS = ("find",)


def _needs_message(caller: str, name: str, where: str, strict: bool, state: rx.State) -> bool:
    """True when an admin's bad form field was refused without a word: every form handler
    of a state with an `error` var names what was wrong."""
    return (
        caller == "admin"
        and strict
        and where.startswith("form_data[")
        and name not in SILENT_FORMS
        and hasattr(state, "error")
        and not state.error
    )


def _changes(
    handler: Any,
    cls: type[rx.State],
    caller: str,
    world: World,
    calls: list[tuple[str, str, dict[str, Any]]],
) -> list[str]:
    """The calls that changed the database (found again one by one, each on a fresh page)."""
    found = []
    for _kind, where, kwargs in calls:
        state = caller_state(cls, caller, world)
        before = snapshot()
        with contextlib.suppress(Exception):
            _call(handler, state, kwargs)
        after = snapshot()
        changed = [t for t in after if after[t] != before.get(t)]
        if changed:
            found.append(
                f"{cls.__name__}.{handler.fn.__name__}({where}) as {caller} changed {changed}"
            )
    return found


async def _inline(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """rx.run_in_thread without the thread (thousands of calls; the same code runs)."""
    return fn(*args, **kwargs)


# ---------------------------------------------------------------------------
# HTTP routes
# ---------------------------------------------------------------------------
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
PATH_BAD = ["²", "٣", "9" * 5000, str(2**70), "-1", "0", BIDI, "[" * 3000, "x" * 60_000, "%00"]
BODY_BAD: list[bytes] = [
    b"[" * 30000,
    b"{" * 30000,
    b'{"seq": ' + b"9" * 5000 + b"}",
    ("[" * DEEP + "]" * DEEP).encode(),
    b"x" * 1_000_000,
    b"null",
    b"[]",
    b"true",
    b"\xff\xfe",
    b'{"seq": 1.5, "changes": {}}',
]


# Findings of this sweep in the HTTP routes still waiting for their fix (none: the
# 5,000-digit path and the exam 2**70 now stop at api.IdConvertor's 1-18 digits).
KNOWN_HTTP: tuple[str, ...] = ()


def _requests(world: World) -> Iterator[tuple[str, str, dict[str, str], bytes | None]]:
    """(method, url, headers, body) for every route of the API and every kind of bad input."""
    api = create_api()
    routes = [r for r in api.routes if isinstance(r, Route)]
    assert len(routes) >= 5
    saver, submitter = (
        exam_room.sheet_token(
            student_id=student_id,
            exam_id=world.open_exam_id,
            deadline=utcnow() + timedelta(hours=2),
        )
        for student_id in (world.base.student_id, world.submitter_id)
    )
    practice_saver, practice_submitter = (
        practice_sheet_token(
            student_id=student_id, practice_id=practice_id, deadline=utcnow() + timedelta(hours=1)
        )
        for student_id, practice_id in (
            (world.base.student_id, world.practice_id),
            (world.submitter_id, world.submitter_practice_id),
        )
    )
    paper = paper_token(student_id=world.base.student_id, exam_id=world.open_exam_id)
    good = {"exam_id": str(world.open_exam_id), "file": "results.csv", "name": "x.png"}
    cookie = {"cookie": f"{TOKEN_COOKIE}={world.admin_token}"}
    credentials = [{}, cookie]
    for route in routes:
        methods = sorted((route.methods or {"GET"}) - {"HEAD"})
        params = PARAM.findall(route.path)
        submit = route.path.endswith("/submit")
        # A practice sheet's route names its own session: the saver's, or the submitter's.
        practice = world.submitter_practice_id if submit else world.practice_id
        good = {**good, "practice_id": str(practice)}
        # Signing out with the cookie is what that route is for (and would end the session
        # the other requests use): it gets the bad input without one.
        callers = [{}] if "logout" in route.path else credentials
        for method, headers in itertools.product(methods, callers):

            def url(values: dict[str, str], query: str = "", template: str = route.path) -> str:
                path = PARAM.sub(lambda m: quote(values[m.group(1)], safe=""), template)
                return path + query

            # Bad path parameters, one at a time.
            for param, bad in itertools.product(params, PATH_BAD):
                yield method, url({**good, param: bad}), headers, None
            # Bad query values (the paper's and the sheet's token), valid path.
            if route.path.startswith("/api/"):
                for bad in PATH_BAD[:8]:
                    yield method, url(good, f"?t={quote(bad, safe='')}"), headers, None
                yield method, url(good, f"?t={paper}&t=x"), headers, None
            if "practice_id" in params:
                sheet = practice_submitter if submit else practice_saver
            else:
                sheet = submitter if submit else saver
            if method == "POST":
                for body in BODY_BAD:
                    yield method, url(good), headers, body
                for kind, value in BAD:
                    if kind == "deep" and not isinstance(value, str):
                        continue  # JSON of a 1000-deep structure: in BODY_BAD already
                    for batch in (
                        {"seq": 1, "changes": {"36a": {"value": value}}, "t": sheet},
                        {"seq": value, "changes": {}, "t": sheet},
                        {"seq": 2, "changes": {}, "t": value},
                        {"seq": 3, "changes": {}, "t": sheet, "lang": value},
                        {"seq": 4, "changes": {}, "t": sheet, "device": value},
                    ):
                        try:
                            body = httpx.Request("POST", "/", json=batch).content
                        except ValueError:  # NaN: not JSON at all; sent as text
                            body = str(batch).encode()
                        yield method, url(good), headers, body


def test_every_route_answers_bad_input_with_a_4xx_and_changes_nothing(sqlite_url):
    world = build_world()
    failures: list[str] = []
    before = snapshot()
    requests = list(_requests(world))

    async def send_all() -> None:
        transport = httpx.ASGITransport(app=create_api())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            for method, url, headers, body in requests:
                label = f"{method} {_short(url)} body={_short(body)} cookie={bool(headers)}"
                try:
                    response = await c.request(method, url, headers=headers, content=body)
                except Exception as err:
                    failures.append(f"{label}: {type(err).__name__}: {str(err)[:200]}")
                    continue
                if response.status_code >= 500 and not url.startswith("/health"):
                    failures.append(f"{label}: {response.status_code} {response.text[:200]}")

    asyncio.run(send_all())
    after = snapshot()
    # A bidi control or '²' in a free answer is an answer: it may be stored (cleaned).
    # The newest batch of a device is recorded even when all its answers are refused.
    syncs = ("answer", "sheetsync", "practicesync")
    changed = [t for t in after if after[t] != before[t] and t not in syncs]
    for table, own in (
        ("examsession", str(world.submitter_session_id)),
        ("practicesession", str(world.submitter_practice_id)),
    ):  # only the submit routes' own sessions were submitted
        if table in changed and _without(after, table, own) == _without(before, table, own):
            changed.remove(table)
    if "practiceanswer" in changed and _graded_only(before, after, world):
        changed.remove("practiceanswer")  # the submitted practice's answers were graded
    for table in changed:
        new_rows = sorted(set(after[table]) - set(before[table]))[:3]
        failures.append(f"the requests changed {table}: {new_rows}")
    failures += [f"stored a bidi control: {cell}" for cell in bidi_cells()]
    failures = [f for f in failures if not any(known in f for known in KNOWN_HTTP)]
    assert len(requests) > 300
    # The genuine credentials reached the submit routes: their callers' sessions submitted.
    with session_scope(readonly=True) as db:
        assert db.get(PracticeSession, world.submitter_practice_id).submitted_at is not None
    assert failures == [], "\n".join(failures[:80]) + f"\n({len(failures)} failures)"


def _without(tables: dict[str, list[tuple]], table: str, session_id: str) -> list[tuple]:
    """The rows of `table` (exam or practice sessions) but the submit route's caller's."""
    return [row for row in tables[table] if str(row[0]) != session_id]


def _graded_only(before: dict[str, list[tuple]], after: dict[str, list[tuple]], world) -> bool:
    """Whether the practice answers changed only in the submitter's session, and there only
    in `is_correct` (the grading of the submit)."""
    with session_scope(readonly=True) as db:
        own = {
            str(row_id)
            for row_id in db.exec(
                select(PracticeAnswer.id).where(
                    PracticeAnswer.practice_session_id == world.submitter_practice_id
                )
            )
        }
    columns = list(PracticeAnswer.__table__.columns.keys())
    graded = columns.index("is_correct")

    def kept(rows: list[tuple]) -> list[tuple]:
        return [row if str(row[0]) not in own else row[:graded] + row[graded + 1 :] for row in rows]

    return kept(before["practiceanswer"]) == kept(after["practiceanswer"])


@pytest.fixture(autouse=True)
def _own_upload_dir(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mockexam.config import settings

    monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
