"""Achievement rules, one table per kind; progress towards locked ones."""

from __future__ import annotations

import pytest

from mockexam.gamification.achievements import (
    ACHIEVEMENTS,
    AchievementKind,
    ExamOutcome,
    Standing,
    best_improvement,
    earned_codes,
    progress,
)

BY_KIND = {k: [a for a in ACHIEVEMENTS if a.kind == k] for k in AchievementKind}


def outcome(**fields) -> ExamOutcome:
    base = {
        "scaled_score": 40.0,
        "is_provisional": False,
        "previous_scaled_score": None,
        "previous_is_provisional": False,
        "exams_completed": 2,
        "streak": 0,
    }
    return ExamOutcome(**(base | fields))


def test_catalogue_has_every_required_threshold():
    thresholds = {k: sorted(a.threshold for a in v) for k, v in BY_KIND.items()}
    assert thresholds == {
        AchievementKind.MILESTONE: [25, 50, 60, 70, 80, 90, 95],
        AchievementKind.STREAK: [3, 5, 10],
        AchievementKind.EXAMS: [1, 5, 10, 25],
        AchievementKind.IMPROVEMENT: [10, 20],
    }
    assert len({a.code for a in ACHIEVEMENTS}) == len(ACHIEVEMENTS)
    assert len({a.sort_order for a in ACHIEVEMENTS}) == len(ACHIEVEMENTS)
    assert all(a.name and a.description and a.icon for a in ACHIEVEMENTS)


@pytest.mark.parametrize(
    ("score", "provisional", "expected"),
    [
        (24.99, False, []),
        (25.0, False, ["score_25"]),
        (59.99, False, ["score_25", "score_50"]),
        (95.0, False, [f"score_{t}" for t in (25, 50, 60, 70, 80, 90, 95)]),
        (100.0, True, []),  # provisional: a raw percentage, not the scale
        (None, False, []),
    ],
)
def test_milestones(score, provisional, expected):
    got = earned_codes(
        BY_KIND[AchievementKind.MILESTONE], outcome(scaled_score=score, is_provisional=provisional)
    )
    assert got == expected


@pytest.mark.parametrize(
    ("streak", "expected"),
    [
        (0, []),
        (2, []),
        (3, ["streak_3"]),
        (9, ["streak_3", "streak_5"]),
        (12, ["streak_3", "streak_5", "streak_10"]),
    ],
)
def test_streaks(streak, expected):
    assert earned_codes(BY_KIND[AchievementKind.STREAK], outcome(streak=streak)) == expected


@pytest.mark.parametrize(
    ("completed", "expected"),
    [
        (1, ["exams_1"]),
        (4, ["exams_1"]),
        (5, ["exams_1", "exams_5"]),
        (25, ["exams_1", "exams_5", "exams_10", "exams_25"]),
    ],
)
def test_exams_completed(completed, expected):
    assert (
        earned_codes(BY_KIND[AchievementKind.EXAMS], outcome(exams_completed=completed)) == expected
    )


@pytest.mark.parametrize(
    ("previous", "score", "prev_prov", "prov", "expected"),
    [
        (None, 90.0, False, False, []),  # first exam: nothing to improve on
        (50.0, 59.99, False, False, []),
        (50.1, 60.1, False, False, ["improve_10"]),  # 9.999999… in floating point
        (40.0, 60.0, False, False, ["improve_10", "improve_20"]),
        (60.0, 40.0, False, False, []),
        (40.0, 70.0, True, False, []),  # previous was provisional: another scale
        (40.0, 70.0, False, True, []),
    ],
)
def test_improvement(previous, score, prev_prov, prov, expected):
    got = earned_codes(
        BY_KIND[AchievementKind.IMPROVEMENT],
        outcome(
            scaled_score=score,
            is_provisional=prov,
            previous_scaled_score=previous,
            previous_is_provisional=prev_prov,
        ),
    )
    assert got == expected


def test_progress_towards_locked_achievements():
    standing = Standing(
        best_scaled_score=72.5, best_improvement=None, exams_completed=3, current_streak=2
    )
    by_code = {a.code: progress(a, standing) for a in ACHIEVEMENTS}
    assert by_code["score_95"].value == 72.5
    assert by_code["score_95"].fraction == pytest.approx(72.5 / 95)
    assert by_code["score_50"].fraction == 1.0
    assert (by_code["exams_5"].value, by_code["exams_5"].fraction) == (3, 0.6)
    assert by_code["streak_3"].fraction == pytest.approx(2 / 3)
    assert by_code["improve_10"].value == 0.0
    negative = Standing(
        best_scaled_score=None, best_improvement=-5.0, exams_completed=0, current_streak=0
    )
    assert progress(ACHIEVEMENTS[-1], negative).value == 0.0


def test_best_improvement_skips_provisional_pairs():
    scores = [
        (40.0, False, False),
        (70.0, True, False),
        (55.0, False, False),
        (68.0, False, False),
        (60.0, False, False),
    ]
    assert best_improvement(scores) == pytest.approx(13.0)
    assert best_improvement([(50.0, False, False)]) is None


def test_best_improvement_compares_only_scores_on_the_same_scale():
    # 40 → 70 crosses from a paper's own scale onto the linked one: not a gain to count.
    scores = [(40.0, False, False), (70.0, False, True), (75.0, False, True), (60.0, False, False)]
    assert best_improvement(scores) == pytest.approx(5.0)
    assert best_improvement([(40.0, False, True), (61.0, False, True)]) == pytest.approx(21.0)


@pytest.mark.parametrize(
    ("previous_common", "common", "expected"),
    [
        (True, True, ["improve_10", "improve_20"]),  # both linked: a real gain
        (False, False, ["improve_10", "improve_20"]),  # neither: the papers' own scales
        (False, True, []),  # one on the common scale, one not: not comparable
        (True, False, []),
    ],
)
def test_improvement_needs_both_exams_on_the_same_scale(previous_common, common, expected):
    got = earned_codes(
        BY_KIND[AchievementKind.IMPROVEMENT],
        outcome(
            scaled_score=65.0,
            previous_scaled_score=40.0,
            on_common_scale=common,
            previous_on_common_scale=previous_common,
        ),
    )
    assert got == expected
