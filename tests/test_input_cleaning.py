"""Issue 20 items 9-10 at their causes: names, answers and form fields as they are stored."""

import pytest
from sqlmodel import select

from mockexam.admin.exam_form import parse_exam_form
from mockexam.db import session_scope
from mockexam.errors import ValidationError
from mockexam.models import Student
from mockexam.scoring.grading import ItemSpec, validate_answer
from mockexam.services.student_directory import search_condition
from mockexam.services.students import login_student

RLO, PDF = "\u202e", "\u202c"


def test_login_stores_names_without_bidi_controls(db_url):
    login_student(
        telegram_id=777,
        first_name=f"{RLO}Ali{PDF}",
        last_name="\u2066Karimov\u2069",
        username=f"ali{RLO}",
    )
    with session_scope(readonly=True) as db:
        student = db.exec(select(Student).where(Student.telegram_id == 777)).one()
    assert (student.first_name, student.last_name, student.username) == ("Ali", "Karimov", "ali")


def test_free_answer_and_key_value_lose_bidi_controls():
    item = ItemSpec(number=36, sub_part="a", kind="free", options=())
    assert validate_answer(item, f"{RLO}12\u200f") == "12"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("window_start", "0001-01-01T00:00", "year from 2000"),
        ("window_end", "9999-12-31T23:59", "year from 2000"),
        ("window_start", "٢٠٢٧-01-01T10:00", "enter a date"),
        ("duration_minutes", "9" * 5000, "whole number"),
        ("duration_minutes", "²", "whole number"),
        ("duration_minutes", [[1]], "whole number"),
        ("grading_scheme", [], "Grading scheme"),
    ],
)
def test_exam_form_refuses_bad_numbers_and_dates_with_a_message(field, value, message):
    form = {
        "title": "Weekly",
        "description": "",
        "window_start": "2027-01-01T10:00",
        "window_end": "2027-01-01T15:00",
        "duration_minutes": "150",
        "grading_scheme": "percentile",
        field: value,
    }
    with pytest.raises(ValidationError, match=message):
        parse_exam_form(form)


def test_exam_form_strips_bidi_from_the_title():
    form = {
        "title": f"{RLO}Weekly{PDF}",
        "window_start": "2027-01-01T10:00",
        "window_end": "2027-01-01T15:00",
        "duration_minutes": "150",
    }
    assert parse_exam_form(form).title == "Weekly"


def test_student_search_reads_only_ascii_digits_as_a_telegram_id():
    for needle in ("²", "٣٤", "9" * 5000, "#" + "9" * 20):
        search_condition(needle)  # no ValueError / OverflowError: searched as text
