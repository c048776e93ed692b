"""Layouts: items in sheet order, exact maximum points, JSON round trip, every refusal."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from mockexam.errors import ValidationError
from mockexam.scoring.grading import FREE, MCQ
from mockexam.scoring.layout import (
    MAX_SHEET_ITEMS,
    Layout,
    LayoutError,
    Section,
    check_layout,
    validate_layout_json,
)
from mockexam.scoring.layout_templates import (
    CERTIFICATE_MATH,
    CUSTOM_START,
    DTM_BLOCK,
    SUBJECTS,
    TEMPLATES,
    subject_name,
)


def _base() -> dict[str, Any]:
    """Two sections: 5 MCQ A–D (Matematika) then 3 free (a, b)."""
    return {
        "version": 1,
        "template": "custom",
        "official_score": "points",
        "sections": [
            {
                "key": "s1",
                "titles": {"uz": "Matematika", "ru": "Математика", "en": "Mathematics"},
                "subject": "math",
                "kind": "mcq",
                "count": 5,
                "options": ["A", "B", "C", "D"],
                "parts": [],
                "points": 1.5,
                "first": 1,
            },
            {
                "key": "s2",
                "titles": {"uz": "Fizika"},
                "subject": "physics",
                "kind": "free",
                "count": 3,
                "options": [],
                "parts": ["a", "b"],
                "points": 0.25,
                "first": None,
            },
        ],
    }


def test_items_follow_the_sections_in_sheet_order():
    layout = validate_layout_json(_base())
    items = layout.items()
    labels = ["1", "2", "3", "4", "5", "6a", "6b", "7a", "7b", "8a", "8b"]
    assert [i.label for i in items] == labels
    assert [i.section for i in items] == [0] * 5 + [1] * 6
    assert {i.points for i in items[:5]} == {1.5} and {i.points for i in items[5:]} == {0.25}
    assert items[0].options == ("A", "B", "C", "D") and items[5].kind == FREE
    assert layout.max_points() == 9
    assert layout.section_max_points() == [7.5, 1.5]
    assert layout.section_of_label()["7b"] == 1
    assert layout.title(1, "ru") == "Fizika"  # falls back to uz
    assert layout.title(0, "ru") == "Математика"


def test_free_section_without_parts_has_one_item_per_exercise():
    section = Section("s1", {"uz": "Ochiq"}, "math", FREE, 3, points=2, first=10)
    items = Layout("custom", (section,)).items()
    assert [i.label for i in items] == ["10", "11", "12"]


def test_templates_max_points_exact():
    assert DTM_BLOCK.max_points() == 189
    assert len(DTM_BLOCK.items()) == 90
    assert DTM_BLOCK.section_max_points() == [11, 11, 11, 93, 63]
    assert [i.label for i in DTM_BLOCK.items()][:1] + [i.label for i in DTM_BLOCK.items()][-1:] == [
        "1",
        "90",
    ]
    assert CERTIFICATE_MATH.max_points() == 55
    assert len(CERTIFICATE_MATH.items()) == 55
    assert CUSTOM_START.max_points() == 30
    assert Layout(
        "custom", (Section("s1", {"uz": "x"}, "math", MCQ, 27, ("A", "B"), points=1.1),)
    ).max_points() == 29.7  # fmt: skip


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_round_trips_through_json(name: str):
    template = TEMPLATES[name]
    data = template.layout.to_json()
    assert validate_layout_json(json.loads(json.dumps(data))) == template.layout
    assert validate_layout_json(json.dumps(data)) == template.layout  # JSON text too
    assert Layout.from_json(data).to_json() == data
    assert template.layout.template == name
    for lang in ("uz", "ru", "en"):
        assert template.title(lang)
        for section in template.layout.sections:
            assert section.titles[lang]
            assert section.subject in SUBJECTS


def test_subject_names():
    assert subject_name("history_uz", "uz") == "O‘zbekiston tarixi"
    assert subject_name("physics", "ru") == "Физика"
    assert subject_name("nope", "en") == "nope"


def _set(path: str, value: Any):
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()


def _many_sections(n: int):
    def change(data: dict[str, Any]) -> None:
        one = data["sections"][0]
        data["sections"] = [
            {**one, "key": f"s{k + 1}", "count": 1, "first": None} for k in range(n)
        ]

    return change


CASES = [
    ("no_sections", _set("sections", []), None),
    ("no_items", _set("sections", [{**_base()["sections"][0], "count": 0}]), None),
    ("too_many_sections", _many_sections(13), None),
    ("too_many_items", _set("sections.0.count", MAX_SHEET_ITEMS), None),
    ("count_not_positive", _set("sections.1.count", -1), 1),
    ("points_not_positive", _set("sections.0.points", 0), 0),
    ("points_precision", _set("sections.0.points", 1.005), 0),
    ("points_too_large", _set("sections.1.points", 100.5), 1),
    ("unknown_kind", _set("sections.1.kind", "essay"), 1),
    ("too_few_options", _set("sections.0.options", ["A"]), 0),
    ("too_many_options", _set("sections.0.options", list("ABCDEFG")), 0),
    ("duplicate_option", _set("sections.0.options", ["A", "B", "а"]), 0),  # Cyrillic а
    ("options_on_free", _set("sections.1.options", ["A", "B"]), 1),
    ("parts_on_mcq", _set("sections.0.parts", ["a", "b"]), 0),
    ("bad_part", _set("sections.1.parts", ["a", "B"]), 1),
    ("duplicate_part", _set("sections.1.parts", ["a", "a"]), 1),
    ("too_many_parts", _set("sections.1.parts", list("abcde")), 1),
    ("duplicate_section_key", _set("sections.1.key", "s1"), 1),
    ("duplicate_labels", _set("sections.1.first", 5), 1),
    ("missing_title", _set("sections.1.titles", {"ru": "Физика"}), 1),
    ("title_too_long", _set("sections.0.titles.en", "x" * 81), 0),
    ("unknown_subject", _set("sections.0.subject", "alchemy"), 0),
    ("bad_official_score", _set("official_score", "percent"), None),
    ("unknown_template", _set("template", "sat"), None),
    ("unknown_field", _set("colour", "red"), None),
    ("unknown_field", _set("sections.0.weight", 2), 0),
    ("bad_json", _set("sections.0.count", "five"), 0),
    ("bad_json", _set("sections.1.points", True), 1),
    ("bad_json", _set("sections", {"s1": {}}), None),
    ("bad_version", _set("version", 2), None),
    ("bad_section_key", _set("sections.0.key", "S 1"), 0),
    ("first_not_positive", _set("sections.0.first", 0), 0),
    ("number_too_large", _set("sections.1.first", 9998), 1),
    ("bad_option", _set("sections.0.options", ["A", "B", ""]), 0),
]


@pytest.mark.parametrize(("code", "change", "section"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_reported_with_its_code(code, change, section):
    data = copy.deepcopy(_base())
    change(data)
    with pytest.raises(LayoutError) as info:
        validate_layout_json(data)
    problems = [p for p in info.value.problems if p.code == code]
    assert problems, info.value.codes
    assert problems[0].section == section
    for lang in ("uz", "ru", "en"):
        assert problems[0].text(lang)
    assert isinstance(info.value, ValidationError)


def test_a_single_problem_comes_alone():
    data = _base()
    data["sections"][1]["points"] = 0
    with pytest.raises(LayoutError) as info:
        validate_layout_json(data)
    assert info.value.codes == ["points_not_positive"]


def test_three_problems_give_three_entries_naming_the_sections():
    data = _base()
    data["sections"][0]["points"] = -1
    data["sections"][1]["kind"] = "essay"
    data["official_score"] = "percent"
    with pytest.raises(LayoutError) as info:
        validate_layout_json(data)
    err = info.value
    assert sorted(err.codes) == ["bad_official_score", "points_not_positive", "unknown_kind"]
    assert "Section 1 (Mathematics): points must be more than 0" in str(err)
    assert "Section 2 (Fizika): the kind 'essay'" in str(err)
    assert "Раздел 1 (Математика): балл должен быть больше 0" in err.text("ru")
    assert "1-bo‘lim (Matematika)" in err.text("uz")
    assert err.text("uz").startswith("Javoblar varaqasi tuzilmasi noto‘g‘ri: ")


def test_unreadable_json_text_and_non_objects():
    for data in ("{not json", [1, 2], None, 7):
        with pytest.raises(LayoutError) as info:
            validate_layout_json(data)
        assert info.value.codes == ["bad_json"]


def test_absent_optional_fields_take_defaults():
    layout = validate_layout_json(
        {"sections": [{"titles": {"uz": "Test"}, "kind": "mcq", "count": 3}]}
    )
    assert layout.template == "custom" and layout.official_score == "scaled"
    section = layout.sections[0]
    assert (section.key, section.options, section.points, section.first) == (
        "s1",
        ("A", "B", "C", "D"),
        1.0,
        None,
    )
    assert [i.label for i in layout.items()] == ["1", "2", "3"]


def test_check_layout_refuses_a_layout_built_in_code():
    bad = Layout("custom", (Section("s1", {"uz": "x"}, "math", MCQ, 3, ("A",)),))
    with pytest.raises(LayoutError, match="at least 2 options"):
        check_layout(bad)
    check_layout(DTM_BLOCK)
