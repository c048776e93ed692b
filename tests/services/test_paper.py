"""The question paper: signed links, who may read it and when, the HTTP route, the demo paper."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
import numpy as np
import pytest
from reflex.app import App
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from mockexam.api import create_api
from mockexam.config import settings
from mockexam.db import session_scope, utcnow
from mockexam.errors import ExamNotOpenError, NotFoundError, PermissionDeniedError
from mockexam.models import Exam, ExamStatus
from mockexam.scoring.grading import default_layout
from mockexam.services import paper
from mockexam.services.demo import seed_demo
from mockexam.services.demo_paper import (
    LETTERS,
    ChoiceQuestion,
    FreeQuestion,
    questions_for_key,
    render_paper,
)
from mockexam.services.exams import get_items, update_exam
from mockexam.services.sessions import start_session
from tests.factories import make_exam, make_student

PDF_BYTES = b"%PDF-1.4\n% a tiny stand-in paper\n%%EOF\n"
FRONTEND = "http://localhost:3000"


@pytest.fixture
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "uploads"
    directory.mkdir()
    monkeypatch.setattr(settings, "upload_dir", directory)
    return directory


def _exam_with_paper(db: Session, upload_dir: Path, **fields: object) -> Exam:
    exam = make_exam(db, **fields)
    (upload_dir / "papers").mkdir(exist_ok=True)
    (upload_dir / "papers" / f"exam-{exam.id}.pdf").write_bytes(PDF_BYTES)
    update_exam(db, exam.id, pdf_path=f"papers/exam-{exam.id}.pdf")
    return exam


@pytest.fixture
def taker(db: Session, upload_dir: Path) -> SimpleNamespace:
    """An open exam with a paper, and a student who has started it (committed)."""
    exam = _exam_with_paper(db, upload_dir)
    student = make_student(db)
    start_session(db, student_id=student.id, exam_id=exam.id)
    db.commit()
    return SimpleNamespace(exam=exam, student=student)


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


# --- tokens -----------------------------------------------------------------


def test_paper_token_round_trip_returns_the_student() -> None:
    token = paper.paper_token(student_id=42, exam_id=7)

    assert paper.check_paper_token(exam_id=7, token=token) == 42


def test_paper_token_tampered_is_refused() -> None:
    now = utcnow()
    token = paper.paper_token(student_id=42, exam_id=7, now=now)
    student, expires, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    forged = [
        f"{student}.{expires}.{flipped}",
        f"43.{expires}.{signature}",  # someone else's id
        f"{student}.{int(expires) + 3600}.{signature}",  # a longer life
        token + "x",
        "",
        "not-a-token",
    ]
    for bad in forged:
        with pytest.raises(PermissionDeniedError, match="not valid"):
            paper.check_paper_token(exam_id=7, token=bad, now=now)


def test_paper_token_for_another_exam_is_refused() -> None:
    token = paper.paper_token(student_id=42, exam_id=7)

    with pytest.raises(PermissionDeniedError, match="not valid"):
        paper.check_paper_token(exam_id=8, token=token)


def test_paper_token_expired_is_refused() -> None:
    now = utcnow()
    token = paper.paper_token(
        student_id=42, exam_id=7, now=now, expires_at=now + timedelta(minutes=5)
    )

    paper.check_paper_token(exam_id=7, token=token, now=now + timedelta(minutes=4))
    with pytest.raises(PermissionDeniedError, match="expired"):
        paper.check_paper_token(exam_id=7, token=token, now=now + timedelta(minutes=5, seconds=1))


def test_paper_token_never_outlives_the_ttl() -> None:
    now = utcnow()
    token = paper.paper_token(student_id=1, exam_id=1, now=now, expires_at=now + timedelta(days=30))

    later = now + paper.TOKEN_TTL + timedelta(seconds=1)
    with pytest.raises(PermissionDeniedError, match="expired"):
        paper.check_paper_token(exam_id=1, token=token, now=later)


def test_paper_token_depends_on_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    token = paper.paper_token(student_id=42, exam_id=7)
    monkeypatch.setattr(settings, "admin_secret_key", "another-secret")

    with pytest.raises(PermissionDeniedError, match="not valid"):
        paper.check_paper_token(exam_id=7, token=token)


# --- open_paper ---------------------------------------------------------------


def test_open_paper_gives_a_taker_the_file(taker: SimpleNamespace, upload_dir: Path) -> None:
    url = paper.paper_url(student_id=taker.student.id, exam_id=taker.exam.id)
    assert url is not None
    assert url.startswith(f"/api/paper/{taker.exam.id}?t=")

    path = paper.open_paper(exam_id=taker.exam.id, token=_token(url))

    assert path == (upload_dir / "papers" / f"exam-{taker.exam.id}.pdf").resolve()
    assert path.read_bytes() == PDF_BYTES


def test_open_paper_without_a_session_is_refused(db: Session, upload_dir: Path) -> None:
    exam = _exam_with_paper(db, upload_dir)
    student = make_student(db)
    db.commit()
    token = paper.paper_token(student_id=student.id, exam_id=exam.id)

    with pytest.raises(PermissionDeniedError, match="started this exam"):
        paper.open_paper(exam_id=exam.id, token=token)


def test_open_paper_after_the_window_end_is_refused(taker: SimpleNamespace) -> None:
    before_end = taker.exam.window_end - timedelta(minutes=1)
    token = paper.paper_token(
        student_id=taker.student.id, exam_id=taker.exam.id, now=before_end - timedelta(hours=1)
    )
    paper.open_paper(exam_id=taker.exam.id, token=token, now=before_end)

    with pytest.raises(ExamNotOpenError, match="closed"):
        paper.open_paper(exam_id=taker.exam.id, token=token, now=taker.exam.window_end)
    assert (
        paper.paper_url(
            student_id=taker.student.id, exam_id=taker.exam.id, now=taker.exam.window_end
        )
        is None
    )


def test_paper_url_expires_at_the_window_end(taker: SimpleNamespace) -> None:
    now = taker.exam.window_end - timedelta(minutes=30)
    url = paper.paper_url(student_id=taker.student.id, exam_id=taker.exam.id, now=now)
    assert url is not None
    expires = int(_token(url).split(".")[1])

    assert expires == int(taker.exam.window_end.timestamp())


def test_open_paper_of_a_released_exam_is_refused(db: Session, taker: SimpleNamespace) -> None:
    exam = db.get(Exam, taker.exam.id)
    exam.status = ExamStatus.RELEASED
    db.add(exam)
    db.commit()
    token = paper.paper_token(student_id=taker.student.id, exam_id=exam.id)

    with pytest.raises(ExamNotOpenError):
        paper.open_paper(exam_id=exam.id, token=token)


def test_open_paper_of_a_draft_or_unknown_exam_is_not_found(db: Session, upload_dir: Path) -> None:
    draft = _exam_with_paper(db, upload_dir, publish=False)
    student = make_student(db)
    db.commit()

    for exam_id in (draft.id, draft.id + 999):
        token = paper.paper_token(student_id=student.id, exam_id=exam_id)
        with pytest.raises(NotFoundError):
            paper.open_paper(exam_id=exam_id, token=token)
    assert paper.paper_url(student_id=student.id, exam_id=draft.id) is None


def test_open_paper_without_a_pdf_is_not_found(db: Session, upload_dir: Path) -> None:
    exam = make_exam(db)
    student = make_student(db)
    start_session(db, student_id=student.id, exam_id=exam.id)
    db.commit()
    token = paper.paper_token(student_id=student.id, exam_id=exam.id)

    assert paper.paper_url(student_id=student.id, exam_id=exam.id) is None
    with pytest.raises(NotFoundError, match="no question paper") as err:
        paper.open_paper(exam_id=exam.id, token=token)
    assert str(err.value) == "This exam has no question paper."
    assert err.value.text("ru") == "У этого экзамена нет PDF с заданиями."
    assert err.value.text("uz") == "Bu imtihon uchun PDF varaq yo‘q."


def _set_pdf_path(exam_id: int, pdf_path: str) -> None:
    with session_scope() as session:
        exam = session.get(Exam, exam_id)
        exam.pdf_path = pdf_path
        session.add(exam)


def test_open_paper_refuses_paths_outside_the_upload_dir(
    taker: SimpleNamespace, upload_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"%PDF-1.4 not for students")
    (upload_dir / "link.pdf").symlink_to(outside)
    (upload_dir / "notes.txt").write_text("not a pdf")
    token = paper.paper_token(student_id=taker.student.id, exam_id=taker.exam.id)

    for bad in (
        "../secret.pdf",
        str(outside),
        "papers/../../secret.pdf",
        "link.pdf",
        "notes.txt",
        ".",
        "missing.pdf",
    ):
        _set_pdf_path(taker.exam.id, bad)
        with pytest.raises(NotFoundError, match="not available"):
            paper.open_paper(exam_id=taker.exam.id, token=token)


# --- the HTTP route -------------------------------------------------------------


class _Client:
    """Requests straight into an ASGI app (no server, no lifespan)."""

    def __init__(self, app: object) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.request(method, url, **kwargs)

        return asyncio.run(send())

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def options(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("OPTIONS", url, **kwargs)


def test_paper_route_sends_the_pdf_inline_uncached_with_cors(taker: SimpleNamespace) -> None:
    url = paper.paper_url(student_id=taker.student.id, exam_id=taker.exam.id)
    client = _Client(create_api())
    response = client.get(url, headers={"Origin": FRONTEND})

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-disposition"].startswith("inline")
    assert response.headers["access-control-allow-origin"] == "*"
    assert "content-range" in response.headers["access-control-expose-headers"].lower()


def test_paper_route_answers_a_range_preflight(taker: SimpleNamespace) -> None:
    url = paper.paper_url(student_id=taker.student.id, exam_id=taker.exam.id)
    client = _Client(create_api())
    preflight = client.options(
        url,
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
    )
    ranged = client.get(url, headers={"Origin": FRONTEND, "Range": "bytes=0-3"})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert ranged.status_code == 206
    assert ranged.content == b"%PDF"


def test_paper_route_maps_refusals_to_json_errors(db: Session, taker: SimpleNamespace) -> None:
    exam_id, student_id = taker.exam.id, taker.student.id
    stranger = make_student(db)
    db.commit()
    good = paper.paper_token(student_id=student_id, exam_id=exam_id)
    client = _Client(create_api())
    forged = client.get(f"/api/paper/{exam_id}?t={good[:-2]}xx")
    missing = client.get(f"/api/paper/{exam_id}")
    not_taker = client.get(
        f"/api/paper/{exam_id}?t={paper.paper_token(student_id=stranger.id, exam_id=exam_id)}"
    )
    unknown = client.get(
        f"/api/paper/{exam_id + 99}?t={paper.paper_token(student_id=student_id, exam_id=exam_id + 99)}"
    )
    _set_pdf_path(exam_id, "../escape.pdf")
    traversal = client.get(f"/api/paper/{exam_id}?t={good}")

    for response, status in (
        (forged, 403),
        (missing, 403),
        (not_taker, 403),
        (unknown, 404),
        (traversal, 404),
    ):
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "private, no-store"
        assert response.json()["error"]


def test_paper_route_after_the_window_end_is_gone(db: Session, taker: SimpleNamespace) -> None:
    url = paper.paper_url(student_id=taker.student.id, exam_id=taker.exam.id)
    exam = db.get(Exam, taker.exam.id)
    exam.window_end = utcnow() - timedelta(seconds=1)  # the window closed meanwhile
    db.add(exam)
    db.commit()
    client = _Client(create_api())
    response = client.get(url)

    assert response.status_code == 410
    assert "no longer available" in response.json()["error"]


def test_paper_route_mounted_as_reflex_mounts_it(taker: SimpleNamespace) -> None:
    """Reflex adds its CORS middleware to the api and mounts its own backend under it."""

    def reflex_ping(_request: object) -> PlainTextResponse:
        return PlainTextResponse("pong")

    reflex_backend = Starlette(routes=[Route("/ping", reflex_ping)])
    api = create_api()
    App._add_cors(api)  # what App.__call__ does with a Starlette api_transformer
    api.mount("", reflex_backend)
    url = paper.paper_url(student_id=taker.student.id, exam_id=taker.exam.id)
    client = _Client(api)
    pdf = client.get(url, headers={"Origin": FRONTEND})
    ping = client.get("/ping")

    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    # Reflex's own CORS layer (credentials allowed) echoes the origin; ours says "*".
    assert pdf.headers.get_list("access-control-allow-origin") in (["*"], [FRONTEND])
    assert ping.text == "pong"


# --- the demo paper ---------------------------------------------------------------


def _random_key_items(seed: int) -> list[SimpleNamespace]:
    rng = np.random.default_rng(seed)
    items = []
    for spec in default_layout():
        if spec.kind == "mcq":
            answer = str(rng.choice(list(spec.options)))
        else:
            answer = str(int(rng.integers(-20, 60)))
        items.append(
            SimpleNamespace(
                number=spec.number,
                sub_part=spec.sub_part,
                kind=spec.kind,
                options=list(spec.options),
                accepted_answers=[answer],
            )
        )
    return items


_LINEAR = re.compile(r"^(\d+)x (?:([+−]) (\d+) )?= (−?\d+)$")


def _solve_linear(text: str) -> Fraction:
    a, sign, b, c = _LINEAR.match(text).groups()
    shift = 0 if b is None else (int(b) if sign == "+" else -int(b))
    return Fraction(int(c.replace("−", "-")) - shift, int(a))


@pytest.mark.parametrize("seed", range(40))
def test_questions_for_key_agree_with_the_key(seed: int) -> None:
    items = _random_key_items(seed)
    key = {f"{i.number}{i.sub_part}": i.accepted_answers[0] for i in items}

    questions = questions_for_key(items, seed=seed)

    assert [q.number for q in questions] == list(range(1, 46))
    for question in questions:
        if isinstance(question, ChoiceQuestion):
            assert len(set(question.options)) == 4, question
            assert question.options[LETTERS.index(key[str(question.number)])] == question.correct
            continue
        assert isinstance(question, FreeQuestion)
        assert [p.sub_part for p in question.parts] == ["a", "b"]
        for part in question.parts:
            assert part.answer == key[f"{question.number}{part.sub_part}"]
            if question.stem == "Solve the equations.":  # checked by solving what is printed
                assert _solve_linear(part.text) == int(part.answer), part.text


def test_questions_for_key_fit_fraction_keys(db: Session) -> None:
    """The factories' key has fractions (-37/2): those parts get an equation with that root."""
    exam = make_exam(db)
    items = get_items(db, exam.id)

    questions = questions_for_key(items, seed=3)

    free = [q for q in questions if isinstance(q, FreeQuestion)]
    assert len(free) == 10
    fractional = [p for q in free for p in q.parts if "/" in p.answer]
    assert fractional
    for question in free:
        for part in question.parts:
            assert part.answer == next(
                i.accepted_answers[0]
                for i in items
                if i.number == question.number and i.sub_part == part.sub_part
            )
            if question.stem == "Solve the equations.":
                assert _solve_linear(part.text) == Fraction(part.answer), part.text


def _page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def test_render_paper_makes_a_multi_page_a4_pdf() -> None:
    data = render_paper(
        questions_for_key(_random_key_items(1), seed=1), title="Weekly mock — Maths"
    )

    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert _page_count(data) >= 3
    assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+595\.28\s+841\.89\s*\]", data)


def test_seed_demo_attaches_a_paper_to_each_demo_exam(sqlite_url: str, upload_dir: Path) -> None:
    now = utcnow()
    summary = seed_demo(students=12, now=now)

    with session_scope(readonly=True) as db:
        exams = db.exec(select(Exam).order_by(Exam.window_start)).all()
        assert [e.id for e in exams] == [
            summary.released_exam_id,
            summary.dtm_exam_id,
            summary.upcoming_exam_id,
        ]
        upcoming = exams[2]
        assert upcoming.pdf_path == f"papers/exam-{upcoming.id}.pdf"
        items = get_items(db, upcoming.id)
    for exam in exams:
        data = (upload_dir / exam.pdf_path).read_bytes()
        assert data.startswith(b"%PDF-")
        assert _page_count(data) == (6 if exam.id == summary.dtm_exam_id else 4)
    # The paper agrees with the stored key: the same questions come out of it.
    questions = questions_for_key(items, seed=2026 + 2)
    key = {f"{i.number}{i.sub_part}": i.accepted_answers[0] for i in items}
    for question in questions:
        if isinstance(question, ChoiceQuestion):
            assert question.options[LETTERS.index(key[str(question.number)])] == question.correct

    # Once the upcoming exam opens, a student who starts it can fetch its paper.
    opened = upcoming.window_start + timedelta(minutes=1)
    with session_scope() as db:
        student = make_student(db)
        start_session(db, student_id=student.id, exam_id=upcoming.id, now=opened)
    url = paper.paper_url(student_id=student.id, exam_id=upcoming.id, now=opened)
    path = paper.open_paper(exam_id=upcoming.id, token=_token(url), now=opened)
    assert path.read_bytes() == (upload_dir / upcoming.pdf_path).read_bytes()


def test_built_assets_are_cacheable_forever_and_other_paths_are_not(tmp_path: Path) -> None:
    from starlette.staticfiles import StaticFiles

    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app-3f2a.js").write_text("export {};")
    (tmp_path / "index.html").write_text("<html></html>")
    api = create_api()
    api.mount("", StaticFiles(directory=tmp_path, html=True))

    async def fetch(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.get(path)

    asset = asyncio.run(fetch("/assets/app-3f2a.js"))
    page = asyncio.run(fetch("/"))
    missing = asyncio.run(fetch("/assets/nope.js"))
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert page.status_code == 200 and "immutable" not in page.headers.get("cache-control", "")
    assert missing.status_code == 404 and "immutable" not in missing.headers.get(
        "cache-control", ""
    )


# --- papers follow the layout (issue 21) ------------------------------------------------


def test_questions_use_each_items_options_and_the_paper_sums_its_points() -> None:
    from mockexam.scoring.layout import Layout, Section
    from mockexam.services.demo_paper import paper_points, section_rules

    layout = Layout(
        template="custom",
        sections=(
            Section("s1", {"uz": "Algebra", "en": "Algebra"}, "math", "mcq", 6,
                    ("A", "B", "C", "D", "E"), points=1.1, first=1),
            Section("s2", {"uz": "Mantiq", "en": "Logic"}, "math", "mcq", 3,
                    ("A", "B", "C", "D", "E", "F"), points=3.1, first=7),
            Section("s3", {"uz": "Ochiq"}, "math", "free", 2, (), (), points=0.75, first=10),
        ),
    )  # fmt: skip
    keys = {1: "E", 2: "A", 3: "C", 4: "E", 5: "B", 6: "D", 7: "F", 8: "E", 9: "A"}
    items = [
        SimpleNamespace(
            number=spec.number,
            sub_part=spec.sub_part,
            kind=spec.kind,
            options=list(spec.options),
            points=spec.points,
            section=spec.section,
            accepted_answers=[keys.get(spec.number, str(spec.number))],
        )
        for spec in layout.items()
    ]
    questions = questions_for_key(items, seed=5)
    for question in questions[:9]:
        assert isinstance(question, ChoiceQuestion)
        assert question.letters == tuple(items[question.number - 1].options)
        assert len(set(question.options)) == len(question.letters)
        assert question.options[question.letters.index(keys[question.number])] == question.correct
    assert [q.section for q in questions] == [0] * 6 + [1] * 3 + [2] * 2
    assert paper_points(questions) == 17.4  # 6 × 1.1 + 3 × 3.1 + 2 × 0.75, exactly
    assert section_rules(layout, questions) == [
        "• Exercises 1–6 (Algebra): choose one answer, A, B, C, D or E. 1.1 points each.",
        "• Exercises 7–9 (Logic): choose one answer, A, B, C, D, E or F. 3.1 points each.",
        "• Exercises 10–11 (Ochiq): give the answer. 0.75 points each.",
    ]
    data = render_paper(questions, title="Custom", layout=layout)
    assert data.startswith(b"%PDF-") and _page_count(data) == 1


def test_the_dtm_paper_has_189_points_and_a_rule_per_block() -> None:
    from mockexam.scoring.layout_templates import CERTIFICATE_MATH, DTM_BLOCK
    from mockexam.services.demo_paper import paper_points, section_rules

    rng = np.random.default_rng(9)
    items = [
        SimpleNamespace(
            number=spec.number,
            sub_part=spec.sub_part,
            kind=spec.kind,
            options=list(spec.options),
            points=spec.points,
            section=spec.section,
            accepted_answers=[str(rng.choice(list(spec.options)))],
        )
        for spec in DTM_BLOCK.items()
    ]
    questions = questions_for_key(items, seed=9)
    assert paper_points(questions) == 189
    rules = section_rules(DTM_BLOCK, questions)
    assert rules[0] == (
        "• Exercises 1–10 (Native language): choose one answer, A, B, C or D. 1.1 points each."
    )
    assert rules[4] == (
        "• Exercises 61–90 (Specialty subject 2: Physics): choose one answer, A, B, C or D. "
        "2.1 points each."
    )
    assert section_rules(CERTIFICATE_MATH) == [
        "• Exercises 1–35 (Multiple choice): choose one answer, A, B, C or D. 1 point each.",
        "• Exercises 36–45 (Free response): give the answers to parts a) and b). 1 point per part.",
    ]
