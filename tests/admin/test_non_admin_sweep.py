"""Every handler of every admin state, called by someone who is not a signed-in admin, does nothing.

The sweep finds the admin states by introspection (every `rx.State` defined
under `mockexam.admin`, which must all derive from `AdminState`), and calls
each handler in `State.event_handlers` with plausible arguments built from
its parameters — valid forms, a real PDF, real exam and broadcast ids, every
notify kind, real practice question and topic ids, an image and an import
file — as:

- an anonymous websocket client (no cookie),
- a student signed into the Mini App in the same browser tab state,
- a client with a forged token, and with a real admin's expired or revoked token.

After each call: no row of any table changed, no file was written, no
download was sent, and the state holds nothing but its defaults. A control
runs the known mutating handlers with the same arguments as a real admin and
checks that they do change the database, so the sweep cannot pass vacuously.
The export downloads are HTTP routes, not handlers: test_export_routes.py
refuses the same callers there.
"""

from __future__ import annotations

import importlib
import inspect
import io
import itertools
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import reflex as rx
from sqlalchemy import select as sa_select
from sqlmodel import select

import mockexam.admin
from mockexam.admin.auth import AdminState, AuthStatus
from mockexam.admin.exam_form import local_input
from mockexam.admin.group_message import GroupMessageState
from mockexam.admin.group_results import GroupResultsState
from mockexam.admin.groups import GroupsState, GroupState
from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.models import (
    AdminRole,
    AdminSession,
    PracticeAnswer,
    PracticeQuestion,
    RosterEntry,
    metadata,
)
from mockexam.services import admin_auth, groups, practice_bank
from mockexam.services import broadcasts as broadcast_service
from mockexam.services.practice import start_practice
from mockexam.services.release import release_exam
from mockexam.student.auth import StudentState
from tests.admin.helpers import PASSWORD, admin_token, events, make_state, run
from tests.factories import (
    DEFAULT_KEY_TEXT,
    make_cohort,
    make_exam,
    make_practice_bank,
    make_student,
)

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)
ROSTER_CSV = f"Uploaded Person,@uploaded_p,{'Secret group 9-Z'}\n".encode()
IMPORT_CSV = (
    b"topic,difficulty,kind,text,option_a,option_b,option_c,option_d,answer\n"
    b"algebra,2,mcq,Injected by the sweep $x$,1,2,3,4,B\n"
)

# The login form must answer anyone: it is the way in. A wrong password there
# records a failed attempt (throttling), by design; tests/admin/test_auth_state.py
# checks that it never grants an identity.
PUBLIC_HANDLERS = {("LoginState", "submit"), ("LoginState", "load")}

# What a signed-in teacher may call anywhere (services/access.py: Capability.VIEW): the
# page check, the language, signing out, the worker banner. Every other handler refuses a
# teacher until it is reviewed for their groups (the default capability is MANAGE).
GROUP_PAGES = {GroupState, GroupsState, GroupMessageState, GroupResultsState}
# The group the sweep's world has (group B); the teacher caller teaches another one (group
# A, OWN_GROUP, with a student of its own), so nothing of B may reach their pages (the
# groups pages are open to teachers, for their own groups): not its name, not its people.
SECRET_GROUP = "Secret group 9-Z"
SECRET_PEOPLE = ("Dilnoza", "Karimova")  # the secret group's members and roster row
OWN_GROUP = "Tess's own 7-T"
# Handlers open to a teacher that read or decide within their own groups: swept for the
# teacher too, who must change nothing and see nothing of another group.
TEACHER_SCOPED = {
    ("GroupsState", "load"),
    ("GroupState", "load"),
    ("GroupState", "decide"),
    ("AnalyticsState", "load"),
    ("AnalyticsState", "choose_group"),
    ("ScoreChartState", "choose"),
    ("ScoreChartState", "set_metric"),
    ("GroupMessageState", "load"),
    ("GroupMessageState", "send"),
    ("GroupResultsState", "load"),
    ("GroupResultsState", "choose_exam"),
    ("BulkJobState", "start"),
    ("BulkJobState", "tick"),
}
# An admin (not an owner) is swept against the handlers only owners may call (the accounts
# and their roles, Capability.OWN): they must change nothing and show nothing.
OWNER_ONLY_STATES = {"AdminsState"}

TEACHER_HANDLERS = {
    ("AdminState", "check_session"),
    ("AdminState", "set_language"),
    ("AdminState", "logout"),
    ("HealthBannerState", "check"),
}

# Handlers that must change the database when a real admin calls them (the control).
MUTATORS = {
    ("NewExamState", "create"),
    ("ExamState", "save_details"),
    ("ExamState", "upload_pdf"),
    ("ExamState", "publish"),
    ("ExamState", "delete_exam"),
    ("KeyState", "set_choice"),
    ("KeyState", "set_free"),
    ("KeyState", "import_key"),
    ("KeyState", "import_codes"),
    ("NotifyState", "notify"),
    ("BroadcastsState", "send"),
    ("AnalysisState", "set_excluded"),
    ("PracticeBankState", "set_active"),
    ("PracticeBankState", "delete_question"),
    ("QuestionFormState", "save"),
    ("QuestionImportState", "run_import"),
    ("PracticeTopicsState", "add_topic"),
    ("PracticeTopicsState", "rename_topic"),
    ("PracticeTopicsState", "move_topic"),
    ("PracticeTopicsState", "delete_topic"),
    ("GroupsState", "create"),
    ("GroupsState", "import_roster"),
    ("GroupsState", "upload_roster"),
    ("GroupState", "rename"),
    ("GroupState", "rotate_code"),
    ("GroupState", "set_archived"),
    ("GroupState", "toggle_teacher"),
    ("GroupState", "remove_member"),
    ("GroupState", "decide"),
    ("AudienceState", "save"),
    ("GroupMessageState", "send"),
}
# A mutator that acts only on what an earlier handler prepared (the import runs the
# file its dry run checked): the control calls the preparing handler first.
PREPARE = {("QuestionImportState", "run_import"): "check_import"}


def admin_state_classes() -> list[type[rx.State]]:
    """Every state class defined in a mockexam.admin module (all must derive from AdminState)."""
    for info in pkgutil.walk_packages(mockexam.admin.__path__, "mockexam.admin."):
        importlib.import_module(info.name)
    found: list[type[rx.State]] = []
    stack: list[type] = [rx.State]
    seen: set[type] = set()
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            stack.append(sub)
            if sub.__module__.startswith("mockexam.admin"):
                found.append(sub)
    return sorted(found, key=lambda c: c.get_full_name())


def test_every_admin_state_derives_from_admin_state():
    classes = admin_state_classes()
    names = {c.__name__ for c in classes}
    assert {
        "AdminState",
        "LoginState",
        "ExamState",
        "KeyState",
        "NotifyState",
        "AnalysisState",
        "ItemChartsState",
        "AnalyticsState",
        "ScoreChartState",
        "StudentsState",
        "PracticeBankState",
        "QuestionFormState",
        "QuestionImportState",
        "PracticeTopicsState",
    } <= names
    assert [c.__name__ for c in classes if not issubclass(c, AdminState)] == []


# ---------------------------------------------------------------------------
# The world the handlers could touch
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class World:
    draft_id: int
    published_id: int
    released_id: int
    broadcast_id: int
    student_id: int
    question_id: int  # a practice question no student was given
    used_question_id: int  # one given in a practice session
    topic_id: int  # a practice topic with questions
    empty_topic_id: int  # one without
    group_id: int = 0  # a group (nobody's in particular: not the sweep teacher's)
    entry_id: int = 0  # its roster row matched to the student uncertainly


def build_world() -> World:
    now = utcnow()
    with session_scope() as db:
        student = make_student(db, first_name="Dilnoza")
        draft = make_exam(db, title="Draft", start=now + timedelta(days=9), publish=False)
        published = make_exam(db, title="Published", start=now + timedelta(days=2))
        released = make_exam(db, title="Released", start=now - timedelta(days=3), hours=3)
        make_cohort(db, released, n=12, graded=True)
        ids = (draft.id, published.id, released.id)
    assert release_exam(ids[2]) is not None
    with session_scope() as db:
        created = broadcast_service.notify_new_exam(db, ids[1])
        make_practice_bank(db, per_topic=2)
        empty = practice_bank.create_topic(db, code="empty_topic", name="Empty")
        empty_id = empty.id
    start_practice(student_id=student.id, mode="light")
    with session_scope(readonly=True) as db:
        used = set(db.exec(select(PracticeAnswer.question_id)))
        questions = list(db.exec(select(PracticeQuestion).order_by(PracticeQuestion.id)))
    unused = next(q for q in questions if q.id not in used)
    with session_scope() as db:
        group = groups.create_group(db, name=SECRET_GROUP, actor_id=None)
        groups.import_roster(db, f"Karimova Dilnoza,,{SECRET_GROUP}\n".encode(), actor_id=None)
        other = make_student(db, first_name="Dilnoza", last_name="Karimova")
        groups.join_by_code(db, student_id=other.id, code=group.invite_code)
        groups.add_member(db, group.id, student.id, actor_id=None)
        group_id = group.id
        entry_id = db.exec(select(RosterEntry.id)).one()
    return World(
        group_id=group_id,
        entry_id=entry_id,
        draft_id=ids[0],
        published_id=ids[1],
        released_id=ids[2],
        broadcast_id=created.broadcast_id,
        student_id=student.id,
        question_id=unused.id,
        used_question_id=min(used),
        topic_id=unused.topic_id,
        empty_topic_id=empty_id,
    )


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (the test database is small)."""
    out = {}
    with session_scope(readonly=True) as db:
        for table in metadata.sorted_tables:
            rows = db.execute(sa_select(table)).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


def files_written() -> list[Path]:
    base = Path(settings.upload_dir)
    return sorted(p for p in base.rglob("*") if p.is_file()) if base.exists() else []


# ---------------------------------------------------------------------------
# Plausible arguments
# ---------------------------------------------------------------------------
def _form(world: World) -> dict[str, Any]:
    start = utcnow() + timedelta(days=20)
    return {
        "title": "Injected",
        "description": "x",
        "window_start": local_input(start),
        "window_end": local_input(start + timedelta(hours=5)),
        "duration_minutes": "90",
        "grading_scheme": "fixed_bands",
        "key_text": DEFAULT_KEY_TEXT.replace("ABCD", "DCBA", 1),
        "text": "Hello from nowhere",
        "channel": "on",
        "search": "Sim",
        "username": "alice",
        "password": PASSWORD,
        # the practice question form
        "topic": "algebra",
        "difficulty": "2",
        "option_a": "$1$",
        "option_b": "$2$",
        "option_c": "$3$",
        "option_d": "$4$",
        "answer": "C",
        "answers": "1/2",
        "explanation": "Because.",
        "language": "ru",
        "bank_code": "INJ-002",
        # the practice topic forms
        "code": "injected",
        "name": "Injected",
        "name_uz": "Kiritilgan",
        "name_ru": "Внедрённая",
        "name_en": "Injected",
        # the groups pages, the exam's audience
        "roster": f"Injected Person\t@injected_p\t{SECRET_GROUP}\n",
        "codes_text": "1 INJ-001\n",
        "audience": "everyone",
    }


def _upload(data: bytes, name: str) -> list[rx.UploadFile]:
    return [rx.UploadFile(file=io.BytesIO(data), path=Path(name), size=len(data))]


def _candidates(name: str, annotation: Any, world: World) -> list[Any]:
    by_name: dict[str, list[Any]] = {
        "form_data": [_form(world)],
        "files": [_upload(PDF, "p.pdf")],
        "image_files": [_upload(PNG, "figure.png")],
        "import_files": [_upload(IMPORT_CSV, "bank.csv")],
        "roster_files": [_upload(ROSTER_CSV, "roster.csv")],
        "label": ["1", "36a"],
        "letter": ["B"],
        "value": ["12", "exam."],
        "kind": ["new", "open", "results"],
        "tab": ["monitor", "results", "key"],
        "column": ["name", "points"],
        "step": [1, -1],
        "broadcast_id": [world.broadcast_id],
        "excluded": [True, False],
        "metric": ["points"],
        "exam_id": [str(world.released_id)],
        "_now": [""],
        "question_id": [world.question_id, world.used_question_id],
        "topic_id": [world.empty_topic_id],
        "active": [False, True],
        "is_open": [False, True],
        "field": ["text", "option_a"],
        "filter_name": ["topic", "level"],
        "entry_id": [world.entry_id],
        "confirm": [True, False],
        "archived": [True, False],
        "student_id": [world.student_id],
        "admin_id": [1],
    }
    if name in by_name:
        return by_name[name]
    text = str(annotation)
    if "int" in text:
        return [world.released_id]
    if "dict" in text:
        return [_form(world)]
    return ["1"]


def arg_sets(handler: Any, world: World) -> Iterator[tuple[Any, ...]]:
    params = list(inspect.signature(handler.fn).parameters.values())[1:]
    choices = [_candidates(p.name, p.annotation, world) for p in params]
    yield from itertools.product(*choices)


def handlers_of(cls: type[rx.State]) -> list[tuple[str, Any]]:
    return [(name, h) for name, h in sorted(cls.event_handlers.items()) if name != "setvar"]


# ---------------------------------------------------------------------------
# The callers
# ---------------------------------------------------------------------------
def _paths(world: World) -> tuple[list[str], list[str]]:
    """The pages a handler is called on: two exams' (a draft, a released one), and for the
    groups pages' handlers (which read the group from the route) the world's group. A
    handler reads only its own page's id from the route, so these are all that vary."""
    return (
        [f"/admin/exams/{world.draft_id}", f"/admin/exams/{world.released_id}"],
        [f"/admin/groups/{world.group_id}"],
    )


def caller_token(caller: str) -> str:
    """The cookie this kind of caller sends (made once, before the database snapshot)."""
    if caller == "forged":
        return "x" * 43
    if caller == "teacher":
        token = admin_token("tess", AdminRole.TEACHER)
        with session_scope() as db:
            own = groups.create_group(db, name=OWN_GROUP, actor_id=None)
            pupil = make_student(db, first_name="Ozoda", last_name="Rahimova")
            groups.add_member(db, own.id, pupil.id, actor_id=None)
            tess = admin_auth.admin_for_token(token)
            assert tess is not None
            groups.set_teachers(db, own.id, [tess.admin_id], actor_id=None)
        return token
    if caller == "admin":
        return admin_token("adam", AdminRole.ADMIN)
    if caller not in ("expired", "revoked"):
        return ""
    token = admin_token("bob")
    with session_scope() as db:
        row = db.exec(
            select(AdminSession).where(AdminSession.token_hash == admin_auth.hash_token(token))
        ).one()
        if caller == "expired":
            row.expires_at = utcnow() - timedelta(seconds=1)
        else:
            row.revoked_at = utcnow()
        db.add(row)
    return token


def _as_caller(cls: type[rx.State], caller: str, token: str, path: str, world: World) -> rx.State:
    state = make_state(cls, path=path, token=token)
    if caller == "student":
        student = _root(state).get_substate(StudentState.get_full_name().split(".")[1:])
        student._student_id = world.student_id
        student.auth_status = "ok"
    return state


def _root(state: rx.State) -> rx.State:
    while state.parent_state is not None:
        state = state.parent_state
    return state


def _defaults(cls: type[rx.State]) -> dict[str, Any]:
    return {name: f.default_value() for name, f in cls.__fields__.items() if f._owner is cls}


def _assert_empty(state: rx.State, cls: type[rx.State], where: str, *, signed_in: str = "") -> None:
    admin = _root(state).get_substate(AdminState.get_full_name().split(".")[1:])
    assert admin._admin_id is None, where
    if signed_in:  # signed in, shown the page as not for their role
        assert admin.auth_status in (AuthStatus.PENDING, AuthStatus.FORBIDDEN), where
        assert admin.admin_name in ("", signed_in), where
    else:
        assert admin.admin_name == "", where
        assert admin.auth_status in (AuthStatus.PENDING, AuthStatus.DENIED), where
    for klass in type(state).__mro__:
        if not (isinstance(klass, type) and issubclass(klass, AdminState)) or klass is AdminState:
            continue
        for name, default in _defaults(klass).items():
            if name.startswith("router") or name == "is_hydrated":
                continue
            value = getattr(state, name)
            assert value == default, f"{where}: {klass.__name__}.{name} = {value!r}"


def _assert_harmless_events(result: Any, where: str) -> None:
    for spec in events(result):
        name = spec.handler.fn.__qualname__
        if name == "_redirect":
            path = {k._js_expr: getattr(v, "_var_value", v) for k, v in spec.args}["path"]
            assert str(path).startswith("/admin/login"), f"{where}: redirect to {path}"
        else:
            assert name not in ("_download", "_call_script"), f"{where}: sent {name}"


@pytest.mark.parametrize(
    "caller", ["anonymous", "student", "forged", "expired", "revoked", "teacher", "admin"]
)
def test_admin_handlers_called_by_a_non_admin_change_nothing_and_show_nothing(db_url, caller):
    world = build_world()
    token = caller_token(caller)
    paths = _paths(world)
    calls = 0
    before = snapshot()
    for cls in admin_state_classes():
        for name, handler in handlers_of(cls):
            if (cls.__name__, name) in PUBLIC_HANDLERS:
                continue
            if caller in ("teacher", "admin") and (cls.__name__, name) in TEACHER_HANDLERS:
                continue
            if caller == "admin" and cls.__name__ not in OWNER_ONLY_STATES:
                continue
            for path, args in itertools.product(
                paths[cls in GROUP_PAGES], list(arg_sets(handler, world))
            ):
                state = _as_caller(cls, caller, token, path, world)
                where = f"{cls.__name__}.{name}{args!r} as {caller} on {path}"
                result = run(handler, state, *args)
                calls += 1
                _assert_harmless_events(result, where)
                if caller == "teacher" and (cls.__name__, name) in TEACHER_SCOPED:
                    shown = repr(_root(state).dict())
                    for secret in (SECRET_GROUP, *SECRET_PEOPLE):
                        assert secret not in shown, f"{where} shows {secret!r}"
                else:
                    signed_in = {"teacher": "tess", "admin": "adam"}.get(caller, "")
                    _assert_empty(state, cls, where, signed_in=signed_in)
                assert files_written() == [], where
                after = snapshot()
                changed = [t for t in after if after[t] != before[t]]
                assert changed == [], f"{where} changed {changed}"
    assert calls > (5 if caller == "admin" else 60)
    if caller == "teacher":  # the control: the teacher does see their own group
        page = make_state(GroupsState, path="/admin/groups", token=token)
        run(GroupsState.load, page)
        assert [r["name"] for r in page.rows] == [OWN_GROUP]


def test_setvar_cannot_set_anything_on_an_admin_state(db_url):
    """No admin state has auto setters: `setvar` (which every state has) fails for every var.

    A var whose `set_<name>` is one of our own handlers (guarded, swept above) is skipped.
    """
    for cls in admin_state_classes():
        state = make_state(cls)
        for name in ("_admin_id", "token", *_defaults(cls)):
            if f"set_{name}" in cls.event_handlers:
                continue
            with pytest.raises(AttributeError):
                cls.event_handlers["setvar"].fn(state, name, 1)
        _assert_empty(state, cls, f"{cls.__name__}.setvar")


@pytest.mark.parametrize(("state_name", "handler_name"), sorted(MUTATORS))
def test_control_the_same_calls_as_an_admin_do_change_the_database(
    db_url, state_name, handler_name
):
    world = build_world()
    token = admin_token("alice")
    classes = {c.__name__: c for c in admin_state_classes()}
    cls = classes[state_name]
    handler = cls.event_handlers[handler_name]
    paths = _paths(world)[cls in GROUP_PAGES]
    prepare = PREPARE.get((state_name, handler_name))
    before = snapshot()
    for path in paths:
        # Fresh arguments for each path (an upload is read once).
        for args in list(arg_sets(handler, world)):
            state = make_state(cls, path=path, token=token)
            if hasattr(cls, "load") and handler_name != "load":
                run(cls.load, state)
            if prepare is not None:
                preparer = cls.event_handlers[prepare]
                run(preparer, state, *next(arg_sets(preparer, world)))
            run(handler, state, *args)
    after = snapshot()
    changed = [t for t in after if t not in ("adminsession",) and after[t] != before[t]]
    assert changed, f"{state_name}.{handler_name} as an admin changed nothing"
