"""`tally` (vectorised) agrees with `grade_sheet` (one sheet at a time) on random sheets,
and weighted points add up exactly (centipoints), per section too."""

from __future__ import annotations

import numpy as np

from mockexam.scoring.grading import FREE, MCQ, ItemSpec, default_layout, grade_sheet
from mockexam.scoring.layout import Layout, Section
from mockexam.scoring.layout_templates import DTM_BLOCK
from mockexam.scoring.tally import tally


def _random_layout(rng: np.random.Generator) -> list[ItemSpec]:
    """1–4 sections of random kind, options, parts and weights (0.01 steps)."""
    sections = []
    for s in range(int(rng.integers(1, 5))):
        kind = MCQ if rng.random() < 0.6 else FREE
        sections.append(
            Section(
                key=f"s{s + 1}",
                titles={"uz": f"{s + 1}-bo‘lim"},
                subject="math",
                kind=kind,
                count=int(rng.integers(1, 8)),
                options=tuple("ABCDEF"[: int(rng.integers(2, 7))]) if kind == MCQ else (),
                parts=(("a", "b", "c")[: int(rng.integers(0, 4))]) if kind == FREE else (),
                points=int(rng.integers(1, 1000)) / 100,
            )
        )
    return Layout("custom", tuple(sections)).items()


def test_tally_agrees_with_grade_sheet_on_random_sheets():
    rng = np.random.default_rng(3)
    layouts = [default_layout()] + [_random_layout(rng) for _ in range(20)]
    for items in layouts:
        key = {i.label: ["A"] if i.kind == MCQ else ["1/2"] for i in items}
        for _ in range(15):
            marks = rng.random(len(items)) < rng.random()
            excluded = rng.random(len(items)) < 0.05
            answers = {
                i.label: (key[i.label][0] if right else ("B" if i.kind == MCQ else "7"))
                for i, right in zip(items, marks, strict=True)
            }
            one = grade_sheet(
                items,
                key,
                answers,
                excluded={i.label for i, e in zip(items, excluded, strict=True) if e},
            )
            many = tally(items, marks[None, :], excluded)
            assert (float(many.points[0]), many.max_points) == (one.points, one.max_points)
            assert (int(many.exercises[0]), many.max_exercises) == (
                one.exercises,
                one.max_exercises,
            )
            assert len(one.sections) == many.section_points.shape[1]
            for s, part in enumerate(one.sections):
                assert float(many.section_points[0, s]) == part.points
                assert float(many.section_max_points[s]) == part.max_points
                assert int(many.section_exercises[0, s]) == part.exercises
                assert int(many.section_max_exercises[s]) == part.max_exercises


def test_tally_two_part_exercise_needs_both_parts():
    items = default_layout()
    marks = np.zeros((2, len(items)), dtype=bool)
    col = {i.label: c for c, i in enumerate(items)}
    marks[0, [col["36a"], col["36b"], col["1"]]] = True
    marks[1, [col["36a"], col["37b"]]] = True
    result = tally(items, marks)
    assert result.points.tolist() == [3, 2]
    assert result.exercises.tolist() == [2, 0]
    assert (result.max_points, result.max_exercises) == (55, 45)
    assert result.section_points.tolist() == [[1, 2], [0, 2]]
    assert result.section_exercises.tolist() == [[1, 1], [0, 0]]
    assert result.section_max_points.tolist() == [35, 20]
    assert result.section_max_exercises.tolist() == [35, 10]


def test_tally_weighted_sections_exact():
    items = Layout(
        "custom",
        (
            Section("s1", {"uz": "A"}, "math", MCQ, 3, ("A", "B"), points=1.1),
            Section("s2", {"uz": "B"}, "math", MCQ, 2, ("A", "B"), points=3.1),
        ),
    ).items()
    result = tally(items, np.array([[1, 1, 0, 1, 0]], dtype=bool))
    assert result.points[0] == 5.3
    assert result.max_points == 9.5
    assert result.section_points[0].tolist() == [2.2, 3.1]
    assert result.section_max_points.tolist() == [3.3, 6.2]
    assert result.exercises[0] == 3
    assert result.section_exercises[0].tolist() == [2, 1]


def test_tally_dtm_143_7():
    items = DTM_BLOCK.items()
    marks = np.zeros(len(items), dtype=bool)
    for section, right in enumerate([9, 9, 9, 30, 10]):
        cols = [c for c, i in enumerate(items) if i.section == section]
        marks[cols[:right]] = True
    result = tally(items, marks[None, :])
    assert result.points[0] == 143.7
    assert result.max_points == 189
    assert (result.exercises[0], result.max_exercises) == (67, 90)
    assert result.section_points[0].tolist() == [9.9, 9.9, 9.9, 93, 21]
    assert result.section_max_points.tolist() == [11, 11, 11, 93, 63]


def test_tally_dtm_27_right_at_1_1_is_exactly_29_7():
    items = DTM_BLOCK.items()[:30]
    marks = np.array([[k % 10 != 0 for k in range(30)]])
    result = tally(items, marks)
    assert result.points[0] == 29.7
    assert result.section_points[0].tolist() == [9.9, 9.9, 9.9]


def test_tally_free_parts_half_points():
    items = [
        ItemSpec(number, part, FREE, (), points=0.5) for number in (36, 37) for part in ("a", "b")
    ]
    marks = np.array([[True, True, True, False]])  # 36a, 36b, 37a right
    result = tally(items, marks)
    assert result.points[0] == 1.5
    assert result.max_points == 2
    assert (result.exercises[0], result.max_exercises) == (1, 2)
