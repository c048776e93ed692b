"""Leaderboard rules: shown values, ranks with ties, public names."""

from __future__ import annotations

import pytest

from mockexam.gamification.leaderboard import competition_ranks, public_name, shown, shows_above


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234.4, 1234), (1233.6, 1234), (1234.5, 1235), (-2.5, -2), (-2.6, -3), (7, 7)],
)
def test_shown_rounds_half_up(value, expected):
    assert shown(value) == expected


@pytest.mark.parametrize("value", [1233.5, 1233.9, 1234.49, -7.5, 0.0])
def test_shows_above_is_the_exact_boundary(value):
    k = shown(value)
    assert shown(shows_above(k)) == k + 1
    assert shown(shows_above(k) - 1e-9) == k


@pytest.mark.parametrize(
    ("values", "ranks"),
    [
        ([], []),
        ([9], [1]),
        ([9, 8, 8, 7], [1, 2, 2, 4]),
        ([5, 5, 5], [1, 1, 1]),
        ([9, 9, 8, 8, 8, 1], [1, 1, 3, 3, 3, 6]),
    ],
)
def test_competition_ranks(values, ranks):
    assert competition_ranks(values) == ranks


@pytest.mark.parametrize(
    ("first", "last", "username", "name"),
    [
        ("Aziza", "Karimova", "aziza", "Aziza K."),
        ("Aziza", "", None, "Aziza"),
        ("", "Karimova", None, "Karimova"),
        ("  ", "", "aziza", "@aziza"),
        ("", "", None, "Student"),
    ],
)
def test_public_name(first, last, username, name):
    assert public_name(first, last, username) == name
