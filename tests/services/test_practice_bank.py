"""The practice question bank: checks, the CSV/JSON/ZIP import (all or nothing), edits, topics."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mockexam.config import settings
from mockexam.db import session_scope
from mockexam.errors import NotFoundError, ValidationError
from mockexam.models import AuditLog, PracticeQuestion, PracticeTopic
from mockexam.services import practice, practice_bank
from mockexam.services.demo import DEMO_QUESTIONS
from mockexam.services.practice_bank import (
    QuestionDraft,
    QuestionImportError,
    import_questions,
    read_question_path,
    read_question_upload,
)
from tests.factories import make_practice_bank, make_student

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10">'
    b'<line x1="0" y1="0" x2="10" y2="10" stroke="#000"/></svg>'
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


pytestmark = pytest.mark.usefixtures("own_upload_dir")


def _question(**fields: object) -> dict:
    base = {
        "topic": "algebra",
        "difficulty": 2,
        "kind": "mcq",
        "text": "Solve $2x = 4$.",
        "options": ["$1$", "$2$", "$3$", "$4$"],
        "answer": "B",
        "explanation": "Divide by 2.",
    }
    base.update(fields)
    return base


def _json(*questions: dict) -> bytes:
    return json.dumps({"questions": list(questions)}).encode()


def _count(model=PracticeQuestion) -> int:
    with session_scope(readonly=True) as db:
        return db.execute(select(func.count()).select_from(model)).scalar_one()


def _image_files() -> list[Path]:
    folder = Path(settings.upload_dir) / practice_bank.PRACTICE_DIR
    return sorted(folder.glob("*")) if folder.exists() else []


def _import(data: bytes, name: str = "bank.json", **kwargs: object):
    with session_scope() as db:
        practice_bank.ensure_default_topics(db)
        return import_questions(db, read_question_upload(data, name), source=name, **kwargs)


def _errors(data: bytes, name: str = "bank.json") -> list[tuple[str, str, str]]:
    with pytest.raises(QuestionImportError) as caught:
        _import(data, name)
    return caught.value.errors


# --- the import ----------------------------------------------------------------------------


def test_a_json_import_adds_questions_and_a_second_import_adds_nothing(db_url):
    data = _json(
        _question(),
        _question(kind="free", text="$x^2 = 9$, $x > 0$: find $x$.", options=[], answer=["3"]),
        _question(topic="Geometry", text="Angles of a triangle sum to?", answer="C"),
    )
    report = _import(data)
    assert (report.added, report.skipped_duplicates) == (3, 0)
    with session_scope(readonly=True) as db:
        rows = db.execute(select(PracticeQuestion).order_by(PracticeQuestion.id)).scalars().all()
        assert [r.kind for r in rows] == ["mcq", "free", "mcq"]
        assert rows[0].accepted_answers == ["B"] and rows[1].accepted_answers == ["3"]
        assert rows[1].options == []
        geometry = db.execute(
            select(PracticeTopic.id).where(PracticeTopic.code == "geometry")
        ).scalar_one()
        assert rows[2].topic_id == geometry  # the topic's name works as well as its code
        audit = db.execute(
            select(AuditLog).where(AuditLog.action == "practice.question.import")
        ).scalar_one()
        assert audit.details["added"] == 3
    again = _import(data)
    assert (again.added, again.skipped_duplicates) == (0, 3)
    assert _count() == 3


def test_a_dry_run_counts_and_changes_nothing(db_url):
    data = _zip({"bank.json": _json(_question(image="fig.svg")), "fig.svg": SVG})
    report = _import(data, "bank.zip", dry_run=True)
    assert report.added == 1
    assert _count() == 0 and _image_files() == []


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_import_stores_its_images_by_content_hash(db_url):
    data = _zip(
        {
            "bank/questions.json": _json(
                _question(image="triangle.svg"), _question(text="Other?", image="images/p.png")
            ),
            "bank/triangle.svg": SVG,
            "bank/images/p.png": PNG,
        }
    )
    assert _import(data, "bank.zip").added == 2
    with session_scope(readonly=True) as db:
        stored = db.execute(select(PracticeQuestion.image_path)).scalars().all()
    assert all(re.fullmatch(r"[0-9a-f]{24}\.(svg|png)", name) for name in stored)
    assert practice_bank.image_file(stored[0]).read_bytes() in (SVG, PNG)


@pytest.mark.parametrize(
    ("question", "where", "field", "words"),
    [
        (_question(topic="astrology"), "question 2", "topic", "not a topic"),
        (_question(topic=""), "question 2", "topic", "missing"),
        (_question(difficulty=7), "question 2", "difficulty", "1 to 5"),
        (_question(difficulty="hard"), "question 2", "difficulty", "1 to 5"),
        (_question(difficulty=None), "question 2", "difficulty", "missing"),
        (_question(kind="essay"), "question 2", "kind", "mcq"),
        (_question(text="   "), "question 2", "text", "missing"),
        (_question(text="x" * 4001), "question 2", "text", "at most 4000"),
        (_question(options=["only one"]), "question 2", "options", "2–6 options"),
        (
            _question(options=["a", "", "c"], answer="A"),
            "question 2",
            "options",
            "option B is empty",
        ),
        (_question(options=["a", "A", "c"], answer="A"), "question 2", "options", "the same"),
        (_question(answer="E"), "question 2", "answer", "not an option letter"),
        (_question(answer=None), "question 2", "answer", "letter"),
        (_question(kind="free", options=[], answer=[]), "question 2", "answer", "missing"),
        (_question(kind="free", options=[], answer=["1" * 70]), "question 2", "answer", "at most"),
        (_question(kind="free", answer=["3"]), "question 2", "options", "no options"),
        (_question(explanation="e" * 4001), "question 2", "explanation", "at most"),
        (_question(text="Other?", image="nowhere.png"), "question 2", "image", "not in the import"),
        (_question(colour="red"), "question 2", "colour", "unknown field"),
        (_question(text=["not", "text"]), "question 2", "text", "must be text"),
        (_question(), "question 2", "text", "same question as question 1"),
    ],
)
def test_each_bad_json_question_is_named_and_nothing_is_imported(
    db_url, question, where, field, words
):
    errors = _errors(_json(_question(), question))
    assert [(w, f) for w, f, _ in errors] == [(where, field)], errors
    assert words in errors[0][2]
    assert _count() == 0


def test_every_error_of_a_file_is_reported_at_once(db_url):
    errors = _errors(
        _json(_question(difficulty=0), _question(text="ok?"), _question(topic="x", answer="Q"))
    )
    assert [(w, f) for w, f, _ in errors] == [
        ("question 1", "difficulty"),
        ("question 3", "topic"),
        ("question 3", "answer"),
    ]
    assert _count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"items": []}', "expected a list"),
        (b"[]", "holds no questions"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b'["text"]', "is not an object"),
    ],
)
def test_malformed_json_files_are_refused_with_a_reason(db_url, data, message):
    errors = _errors(data)
    assert message in errors[0][2]
    assert _count() == 0


def _csv(
    *rows: str,
    header: str = "topic,difficulty,kind,text,option_a,option_b,option_c,option_d,answer,explanation",
) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def test_a_csv_import_reads_commas_semicolons_a_bom_and_several_answers(db_url):
    data = _csv(
        'algebra,1,mcq,"Compute $1+1$.",$1$,$2$,$3$,$4$,B,"Add."',
        "calculus,3,free,Derivative of $x^2$ at 1?,,,,,2|2.0,",
    )
    assert _import(data, "bank.csv").added == 2
    semicolons = (
        "\ufefftopic;difficulty;kind;text;answer\ngeometry;2;free;Sum of angles?;180\n"
    ).encode()
    assert _import(semicolons, "bank.csv").added == 1
    with session_scope(readonly=True) as db:
        answers = (
            db.execute(select(PracticeQuestion.accepted_answers).order_by(PracticeQuestion.id))
            .scalars()
            .all()
        )
    assert answers == [["B"], ["2", "2.0"], ["180"]]


def test_csv_errors_name_the_line_and_the_column(db_url):
    errors = _errors(
        _csv(
            "algebra,1,mcq,Fine?,a,b,c,d,A,",
            "algebra,9,mcq,Bad level?,a,b,c,d,A,",
            "",
            "geometry,2,free,Bad answer?,,,,,,",
        ),
        "bank.csv",
    )
    assert [(w, f) for w, f, _ in errors] == [("line 3", "difficulty"), ("line 5", "answer")]
    assert _count() == 0
    unknown = _errors(_csv(header="topic,difficulty,kind,text,answr"), "bank.csv")
    assert unknown[0][:2] == ("line 1", "answr")
    missing = _errors(b"topic,difficulty,kind,answer\nalgebra,1,free,2\n", "bank.csv")
    assert missing[0][:2] == ("line 1", "text")


def test_other_files_and_bad_archives_are_refused(db_url):
    assert "choose a .json or .csv" in _errors(b"x", "bank.xlsx")[0][2]
    assert "not a readable ZIP" in _errors(b"PK-not-really", "bank.zip")[0][2]
    two = _zip({"a.json": _json(_question()), "b.csv": _csv()})
    assert "exactly one" in _errors(two, "bank.zip")[0][2]


def test_images_must_be_real_images_and_svgs_must_be_inert(db_url):
    bad = _zip({"q.json": _json(_question(image="fig.png")), "fig.png": b"GIF? no"})
    assert _errors(bad, "bank.zip")[0][1:] == (
        "image",
        "fig.png: not a PNG, JPEG, GIF, WebP or SVG image.",
    )
    script = _zip(
        {
            "q.json": _json(_question(image="x.svg")),
            "x.svg": b"<svg><script>alert(1)</script></svg>",
        }
    )
    assert "scripts or links" in _errors(script, "bank.zip")[0][2]
    handler = _zip(
        {"q.json": _json(_question(image="x.svg")), "x.svg": b'<svg onload="alert(1)"></svg>'}
    )
    assert "scripts or links" in _errors(handler, "bank.zip")[0][2]
    assert _count() == 0 and _image_files() == []


def test_the_cli_path_reads_images_beside_the_file(db_url, tmp_path):
    folder = tmp_path / "bank"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "fig.svg").write_bytes(SVG)
    (folder / "q.json").write_bytes(_json(_question(image="fig.svg")))
    with session_scope() as db:
        practice_bank.ensure_default_topics(db)
        assert import_questions(db, read_question_path(folder / "q.json")).added == 1
    # A name that climbs out of the folder is not followed.
    (folder / "q2.json").write_bytes(_json(_question(text="Other?", image="../../etc/passwd")))
    with pytest.raises(QuestionImportError), session_scope() as db:
        import_questions(db, read_question_path(folder / "q2.json"))


def test_the_demo_bank_imports_cleanly_and_covers_every_topic_and_level(db_url):
    bundle = read_question_path(DEMO_QUESTIONS)
    with session_scope() as db:
        practice_bank.ensure_default_topics(db)
        assert import_questions(db, bundle, dry_run=True).added >= 60
        import_questions(db, bundle, source="demo")
        summary = practice_bank.bank_summary(db)
    assert summary.total_active >= 60
    assert len(summary.topics) == 6
    for topic, counts in zip(summary.topics, summary.counts, strict=True):
        assert sum(counts) >= 10, topic
        assert all(c >= 1 for c in counts), (topic, counts)  # every level 1..5


def test_the_migration_seeds_the_same_topics_as_the_service():
    import importlib.util

    from mockexam.config import PROJECT_ROOT

    spec = importlib.util.spec_from_file_location(
        "migration_0005", PROJECT_ROOT / "alembic" / "versions" / "0005_practice.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert [tuple(t) for t in module.TOPICS] == [tuple(t) for t in practice_bank.DEFAULT_TOPICS]


# --- editing -------------------------------------------------------------------------------


def _draft(**fields: object) -> QuestionDraft:
    values = {
        "topic": "algebra",
        "difficulty": 3,
        "kind": "mcq",
        "text": "Which is prime?",
        "options": ("4", "6", "7", "9"),
        "answers": ("C",),
        "explanation": "7 has no divisors but 1 and 7.",
    }
    values.update(fields)
    return QuestionDraft(**values)


def test_create_update_deactivate_and_delete_a_question(db):
    practice_bank.ensure_default_topics(db)
    question = practice_bank.create_question(db, _draft(), admin_id=None)
    db.commit()
    with pytest.raises(ValidationError, match="same question"):
        practice_bank.create_question(db, _draft(text="  which IS prime? "))
    with pytest.raises(ValidationError, match="difficulty"):
        practice_bank.update_question(db, question.id, _draft(difficulty=6))
    updated = practice_bank.update_question(db, question.id, _draft(difficulty=4, answers=("c",)))
    assert updated.difficulty == 4 and updated.accepted_answers == ["C"]
    practice_bank.set_question_active(db, question.id, False)
    db.commit()
    page = practice_bank.list_questions(db, active=False)
    assert [r.question_id for r in page.rows] == [question.id] and page.total == 1
    practice_bank.delete_question(db, question.id)
    db.commit()
    assert _count() == 0
    with pytest.raises(NotFoundError):
        practice_bank.delete_question(db, question.id)
    actions = db.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars().all()
    assert actions == [
        "practice.question.create",
        "practice.question.update",
        "practice.question.deactivate",
        "practice.question.delete",
    ]


def test_a_question_given_to_a_student_cannot_be_deleted(db):
    make_practice_bank(db, per_topic=1)
    student = make_student(db)
    db.commit()
    room = practice.start_practice(student_id=student.id, mode="light")
    used = room.questions[0].question_id
    with pytest.raises(ValidationError, match="deactivate it instead"):
        practice_bank.delete_question(db, used)
    page = practice_bank.list_questions(db, search=f"#{used}")
    assert page.rows[0].times_given == 1


def test_the_list_filters_and_pages(db):
    make_practice_bank(db, per_topic=4)
    db.commit()
    topics = {t.code: t.topic_id for t in practice_bank.list_topics(db)}
    algebra = practice_bank.list_questions(db, topic_id=topics["algebra"])
    assert algebra.total == 4 and {r.topic for r in algebra.rows} == {"Algebra"}
    free = practice_bank.list_questions(db, kind="free")
    assert free.total == 12 and all(r.kind == "free" for r in free.rows)
    level = practice_bank.list_questions(db, difficulty=2)
    assert all(r.difficulty == 2 for r in level.rows) and level.total == 6
    first, second = (practice_bank.list_questions(db, offset=o, limit=10) for o in (0, 10))
    assert first.total == second.total == 24
    assert len(first.rows) == 10 and len(second.rows) == 10
    assert not {r.question_id for r in first.rows} & {r.question_id for r in second.rows}
    found = practice_bank.list_questions(db, search="geometry question 2")
    assert found.total == 1
    assert practice_bank.list_questions(db, search="100%_").total == 0  # LIKE characters escaped


def test_topics_add_rename_move_and_delete(db):
    practice_bank.ensure_default_topics(db)
    topic = practice_bank.create_topic(
        db, code="logic", name="Logic", names={"uz": "Mantiq", "ru": "Логика"}
    )
    with pytest.raises(ValidationError, match="exists already"):
        practice_bank.create_topic(db, code="logic", name="Logic again")
    with pytest.raises(ValidationError, match="lower-case"):
        practice_bank.create_topic(db, code="Bad Code", name="x")
    rows = practice_bank.list_topics(db)
    assert rows[-1].code == "logic" and rows[-1].names == {"uz": "Mantiq", "ru": "Логика"}
    rows = practice_bank.move_topic(db, topic.id, step=-1)
    assert [r.code for r in rows][-2:] == ["logic", "number_theory"]
    practice_bank.update_topic(db, topic.id, name="Logic & sets", names={"en": "Logic"})
    db.commit()
    algebra = next(r for r in practice_bank.list_topics(db) if r.code == "algebra")
    make_practice_bank(db, per_topic=1, topics=("algebra",))
    with pytest.raises(ValidationError, match="has 1 question"):
        practice_bank.delete_topic(db, algebra.topic_id)
    practice_bank.delete_topic(db, topic.id)
    db.commit()
    assert "logic" not in {r.code for r in practice_bank.list_topics(db)}


def test_images_are_checked_by_content_not_by_name(db_url):
    assert practice_bank.store_image(SVG, "a.png").endswith(".svg")
    with pytest.raises(ValidationError, match="empty"):
        practice_bank.store_image(b"", "x.png")
    with pytest.raises(ValidationError, match="at most 2 MB"):
        practice_bank.store_image(PNG + b"\x00" * (2 * 1024 * 1024), "big.png")
    for name in ("../secret", "a" * 24 + ".exe", ""):
        with pytest.raises(NotFoundError):
            practice_bank.image_file(name)


# --- subjects (issue 21) -------------------------------------------------------------------


def _physics_topics() -> None:
    """Two physics topics: "mechanics", and "phys_algebra" whose admin name is "Algebra"."""
    with session_scope() as db:
        practice_bank.ensure_default_topics(db)
        practice_bank.create_topic(db, code="mechanics", name="Mechanics", subject="physics")
        practice_bank.create_topic(db, code="phys_algebra", name="Algebra", subject="Физика")


def _topic_codes() -> list[str]:
    with session_scope(readonly=True) as db:
        return list(
            db.execute(
                select(PracticeTopic.code)
                .join(PracticeQuestion, PracticeQuestion.topic_id == PracticeTopic.id)
                .order_by(PracticeQuestion.id)
            ).scalars()
        )


def test_imports_with_and_without_a_subject(db_url):
    _physics_topics()
    data = _json(
        _question(topic="mechanics", subject="physics", text="A body falls for 2 s."),
        _question(topic="Algebra", subject="Fizika", text="Vectors add."),  # the physics one
        _question(topic="algebra", text="Solve $3x = 9$."),  # no subject: the code decides
    )
    assert _import(data).added == 3
    assert _topic_codes() == ["mechanics", "phys_algebra", "algebra"]
    csv_data = (
        b"topic,difficulty,kind,text,option_a,option_b,answer,subject\n"
        b"mechanics,1,mcq,Which is a vector?,mass,velocity,B,physics\n"
        b"geometry,2,free,A square's side is 2. Its area?,,,4,\n"
    )
    assert _import(csv_data, "bank.csv").added == 2
    assert _topic_codes()[-2:] == ["mechanics", "geometry"]


def test_an_imports_subject_must_exist_and_hold_the_topic(db_url):
    _physics_topics()
    data = _json(
        _question(topic="mechanics", subject="astrology", text="Stars."),
        _question(topic="mechanics", subject="math", text="Forces."),
    )
    with pytest.raises(QuestionImportError) as caught:
        _import(data)
    err = caught.value
    assert [(w, f) for w, f, _ in err.errors] == [
        ("question 1", "subject"),
        ("question 2", "topic"),
    ]
    assert "'astrology' is not a subject" in err.errors[0][2]
    assert err.errors[1][2] == "the topic 'mechanics' is not a topic of Mathematics"
    assert _count() == 0
    # The same problems in the admin's language.
    assert practice_bank.error_lines(err, "ru")[1] == (
        "вопрос 2 · topic: тема 'mechanics' не относится к предмету «Математика»"
    )
    assert practice_bank.error_lines(err, "uz")[0].startswith("1-savol · subject: 'astrology' fan")
    assert err.text("ru").startswith("Ничего не импортировано: вопрос 1, subject:")
    not_text = _errors(_json(_question(subject=7)))
    assert not_text == [("question 1", "subject", "must be text")]


def test_topics_keep_their_subject(db):
    practice_bank.ensure_default_topics(db)
    assert {r.subject for r in practice_bank.list_topics(db)} == {"math"}
    topic = practice_bank.create_topic(db, code="optics", name="Optics", subject="Physics")
    assert topic.subject == "physics"
    practice_bank.update_topic(db, topic.id, name="Optics", names={}, subject="chemistry")
    practice_bank.update_topic(db, topic.id, name="Light", names={})  # keeps the subject
    row = next(r for r in practice_bank.list_topics(db) if r.code == "optics")
    assert (row.name, row.subject) == ("Light", "chemistry")
    with pytest.raises(ValidationError) as caught:
        practice_bank.create_topic(db, code="stars", name="Stars", subject="astrology")
    assert str(caught.value).startswith("'astrology' is not a subject; choose one of math, ")
    assert caught.value.text("ru").startswith("'astrology' — не предмет; выберите один из:")


# --- languages and bank codes (issues 24 and 23) --------------------------------------------


def _stored() -> list[tuple[str, str | None, str]]:
    """(language, bank code, text) of every question, in id order."""
    with session_scope(readonly=True) as db:
        rows = db.execute(
            select(
                PracticeQuestion.language, PracticeQuestion.bank_code, PracticeQuestion.text
            ).order_by(PracticeQuestion.id)
        ).all()
    return [tuple(r) for r in rows]


def test_an_import_carries_each_questions_language_and_bank_code(db_url):
    data = _json(
        _question(text="Solve $2x = 4$.", language="en", bank_code="alg-017"),
        _question(text="Решите $2x = 4$.", language="Русский", bank_code=" ALG-017 "),
        _question(text="$2x = 4$ tenglamani yeching."),  # neither: Uzbek, no code
        _question(text="Solve $3x = 6$.", language="EN", bank_code=""),
    )
    assert _import(data).added == 4
    assert _stored() == [
        ("en", "ALG-017", "Solve $2x = 4$."),
        ("ru", "ALG-017", "Решите $2x = 4$."),  # translations of one question share its code
        ("uz", None, "$2x = 4$ tenglamani yeching."),
        ("en", None, "Solve $3x = 6$."),
    ]
    csv_data = _csv(
        "geometry,2,free,Сумма углов треугольника?,,,,,180,,ru,GEO.4",
        "geometry,2,free,Angles of a triangle sum to?,,,,,180,,english,",
        header="topic,difficulty,kind,text,option_a,option_b,option_c,option_d,answer,"
        "explanation,language,bank_code",
    )
    assert _import(csv_data, "bank.csv").added == 2
    assert _stored()[-2:] == [
        ("ru", "GEO.4", "Сумма углов треугольника?"),
        ("en", None, "Angles of a triangle sum to?"),
    ]


def test_an_unknown_language_or_a_malformed_code_is_named_and_nothing_is_imported(db_url):
    errors = _errors(
        _json(
            _question(text="Fine?", language="ru", bank_code="ALG-1"),
            _question(text="French?", language="fr"),
            _question(text="Spaced code?", bank_code="ALG 017"),
            _question(text="Long code?", bank_code="A" * 33),
            _question(text="Leading dash?", bank_code="-ALG"),
        )
    )
    assert [(w, f) for w, f, _ in errors] == [
        ("question 2", "language"),
        ("question 3", "bank_code"),
        ("question 4", "bank_code"),
        ("question 5", "bank_code"),
    ]
    assert "'fr' is not a language; use one of uz, ru, en" in errors[0][2]
    assert "'ALG 017' is not a bank code" in errors[1][2] and "e.g. ALG-017" in errors[1][2]
    not_text = _errors(_json(_question(language=7), _question(text="B?", bank_code=["A-1"])))
    assert not_text == [
        ("question 1", "language", "must be text"),
        ("question 2", "bank_code", "must be text"),
    ]
    assert _count() == 0
    # Bidi controls are dropped first, as from a pasted exam code (scoring/bank_codes.py).
    assert _import(_json(_question(text="Bidi?", bank_code="\u202ealg-1\u202c"))).added == 1
    assert _stored() == [("uz", "ALG-1", "Bidi?")]
    csv_errors = _errors(
        _csv(
            "algebra,1,free,Fine?,,,,,2,,uz,ALG-1",
            "algebra,1,free,Klingon?,,,,,2,,tlh,",
            "algebra,1,free,Bad code?,,,,,2,,uz,ALG/1",
            header="topic,difficulty,kind,text,option_a,option_b,option_c,option_d,answer,"
            "explanation,language,bank_code",
        ),
        "bank.csv",
    )
    assert [(w, f) for w, f, _ in csv_errors] == [("line 3", "language"), ("line 4", "bank_code")]
    assert _count() == 1


def test_language_and_code_errors_are_worded_in_the_readers_language(db):
    practice_bank.ensure_default_topics(db)
    with pytest.raises(practice_bank.QuestionDraftError) as caught:
        practice_bank.create_question(db, _draft(language="fr", bank_code="ALG 017"))
    assert [name for name, _ in caught.value.problems] == ["language", "bank_code"]
    russian = caught.value.text("ru")
    assert "'fr' — не язык; укажите один из: uz, ru, en" in russian
    assert "'ALG 017' — не код" in russian
    assert "'fr' til emas" in caught.value.text("uz")
    assert _count() == 0


def test_the_form_sets_and_changes_a_questions_language_and_code(db):
    practice_bank.ensure_default_topics(db)
    question = practice_bank.create_question(db, _draft())
    assert (question.language, question.bank_code) == ("uz", None)
    practice_bank.update_question(db, question.id, _draft(language="ru", bank_code="num-003"))
    db.commit()
    row = db.get(PracticeQuestion, question.id)
    assert (row.language, row.bank_code) == ("ru", "NUM-003")
    with pytest.raises(practice_bank.QuestionDraftError):
        practice_bank.update_question(db, question.id, _draft(language="xx"))
    db.rollback()
    assert (db.get(PracticeQuestion, question.id).language) == "ru"  # unchanged
    practice_bank.update_question(db, question.id, _draft(language="ru", bank_code=""))
    db.commit()
    assert db.get(PracticeQuestion, question.id).bank_code is None
    changes = (
        db.execute(
            select(AuditLog.details)
            .where(AuditLog.action == "practice.question.update")
            .order_by(AuditLog.id)
        )
        .scalars()
        .all()
    )
    assert [c["changed"] for c in changes] == [["language", "bank_code"], ["bank_code"]]


def test_the_summary_counts_each_topics_active_questions_per_language(db):
    make_practice_bank(db, per_topic=2)
    practice_bank.create_question(db, _draft(text="Какое число простое?", language="ru"))
    practice_bank.create_question(db, _draft(text="Что больше?", language="ru", bank_code="A-1"))
    retired = practice_bank.create_question(db, _draft(text="Which one?", language="en"))
    practice_bank.set_question_active(db, retired.id, False)
    db.commit()
    summary = practice_bank.bank_summary(db)
    by_topic = dict(zip(summary.topics, summary.languages, strict=True))
    assert by_topic["Algebra"] == [2, 2, 0]  # uz · ru · en; the retired one is not counted
    assert by_topic["Geometry"] == [2, 0, 0]
    assert [sum(counts) for counts in summary.languages] == [
        sum(counts) for counts in summary.counts
    ]
    page = practice_bank.list_questions(db, language="ru")
    assert page.total == 2 and {r.language for r in page.rows} == {"ru"}
    assert {r.bank_code for r in page.rows} == {"A-1", None}
    found = practice_bank.list_questions(db, search="a-1")  # a bank code, any case
    assert [r.bank_code for r in found.rows] == ["A-1"]


def test_the_demo_bank_has_russian_and_english_questions_that_share_their_codes(db_url):
    with session_scope() as db:
        practice_bank.ensure_default_topics(db)
        import_questions(db, read_question_path(DEMO_QUESTIONS), source="demo")
        summary = practice_bank.bank_summary(db)
        rows = db.execute(
            select(PracticeQuestion.language, PracticeQuestion.bank_code).where(
                PracticeQuestion.bank_code.is_not(None)
            )
        ).all()
    for topic, (uz, ru, en) in zip(summary.topics, summary.languages, strict=True):
        assert uz >= 10 and ru >= 1 and en >= 1, topic
    languages: dict[str, set[str]] = {}
    for language, code in rows:
        languages.setdefault(code, set()).add(language)
    assert all("uz" in found and len(found) >= 2 for found in languages.values())
    assert sum("en" in found for found in languages.values()) >= 6
