"""Practice's pure rules: balanced draws, no repeats until a topic is exhausted, the adaptive target.

The draw is checked as properties over random banks and histories
(hypothesis), and by replaying many sessions of one student; the ability
estimate against hand-computed cases and simulated students.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockexam.errors import ValidationError
from mockexam.scoring.practice import (
    PRACTICE_MODES,
    Candidate,
    ability_estimate,
    difficulty_for_ability,
    draw_questions,
    topic_quotas,
)

TOPICS = ("algebra", "geometry", "probability", "calculus", "trigonometry", "number_theory")


@st.composite
def banks(draw: st.DrawFn) -> list[Candidate]:
    """A random bank: 1–6 topics of 0–15 questions, random levels and times seen (0–3)."""
    topics = draw(st.lists(st.sampled_from(TOPICS), min_size=1, max_size=6, unique=True))
    bank: list[Candidate] = []
    next_id = 1
    for topic in topics:
        for _ in range(draw(st.integers(0, 15))):
            bank.append(
                Candidate(
                    question_id=next_id,
                    topic=topic,
                    difficulty=draw(st.integers(1, 5)),
                    times_seen=draw(st.integers(0, 3)),
                )
            )
            next_id += 1
    return bank


@settings(max_examples=400, deadline=None)
@given(
    bank=banks(),
    n=st.integers(0, 14),
    seed=st.integers(0, 2**32 - 1),
    target=st.one_of(st.none(), st.integers(1, 5)),
)
def test_draw_is_balanced_without_duplicates_and_least_seen_first(bank, n, seed, target):
    drawn = draw_questions(bank, n, np.random.default_rng(seed), target_difficulty=target)
    by_id = {c.question_id: c for c in bank}

    # No duplicates, only bank questions, as many as asked for or the whole bank.
    assert len(drawn) == len(set(drawn)) == min(n, len(bank))
    assert set(drawn) <= set(by_id)

    # Balance: a topic gets fewer than another's count minus one only when it has no more.
    sizes = Counter(c.topic for c in bank)
    counts = Counter(by_id[q].topic for q in drawn)
    for topic_a in sizes:
        for topic_b in sizes:
            if counts[topic_a] < counts[topic_b] - 1:
                assert counts[topic_a] == sizes[topic_a], (counts, sizes)

    # Inside a topic, nothing seen more often is drawn while something seen less is left.
    for topic in sizes:
        taken = [by_id[q].times_seen for q in drawn if by_id[q].topic == topic]
        left = [c.times_seen for c in bank if c.topic == topic and c.question_id not in drawn]
        if taken and left:
            assert max(taken) <= min(left)

    # Adaptive: within the same times seen, no nearer level was passed over for a farther one.
    if target is not None:
        for topic in sizes:
            for seen in {c.times_seen for c in bank if c.topic == topic}:
                tier = [c for c in bank if c.topic == topic and c.times_seen == seen]
                taken = [abs(c.difficulty - target) for c in tier if c.question_id in drawn]
                left = [abs(c.difficulty - target) for c in tier if c.question_id not in drawn]
                if taken and left:
                    assert max(taken) <= min(left), f"a farther level drawn first in {topic}"

    # Easiest first.
    levels = [by_id[q].difficulty for q in drawn]
    assert levels == sorted(levels)


@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
    mode=st.sampled_from(sorted(PRACTICE_MODES)),
)
def test_a_student_sees_every_question_of_a_topic_before_any_comes_back(sizes, seed, mode):
    """Replay sessions of one student: a question returns only after its whole topic was shown."""
    rng = np.random.default_rng(seed)
    bank = [
        (qid, topic)
        for qid, (topic, size) in enumerate(
            ((TOPICS[i], size) for i, size in enumerate(sizes) for _ in range(size)), start=1
        )
    ]
    topic_of = dict(bank)
    per_topic = Counter(topic_of.values())
    seen: Counter[int] = Counter()
    for _ in range(12):
        candidates = [
            Candidate(question_id=q, topic=t, difficulty=3, times_seen=seen[q]) for q, t in bank
        ]
        drawn = draw_questions(candidates, PRACTICE_MODES[mode].questions, rng)
        seen.update(drawn)
        # After every session: within each topic, times seen differ by at most one.
        for topic in per_topic:
            counts = [seen[q] for q, t in bank if t == topic]
            assert max(counts) - min(counts) <= 1


def test_quotas_hand_cases():
    rng = np.random.default_rng(1)
    # 6 topics, 6 questions: one each.
    assert topic_quotas(dict.fromkeys(TOPICS, 10), 6, rng) == dict.fromkeys(TOPICS, 1)
    # 6 topics, 10 questions: four get two, two get one.
    quotas = topic_quotas(dict.fromkeys(TOPICS, 10), 10, rng)
    assert sorted(quotas.values()) == [1, 1, 2, 2, 2, 2]
    # A small topic gives all it has; the others share the rest evenly.
    quotas = topic_quotas({"algebra": 1, "geometry": 10, "calculus": 10}, 10, rng)
    assert quotas["algebra"] == 1
    assert sorted([quotas["geometry"], quotas["calculus"]]) == [4, 5]
    assert sum(quotas.values()) == 10
    # Empty topics are left out; a bank smaller than n gives everything.
    assert topic_quotas({"algebra": 0, "geometry": 2}, 6, rng) == {"geometry": 2}
    assert topic_quotas({}, 6, rng) == {}
    with pytest.raises(ValidationError):
        topic_quotas({"algebra": 3}, -1, rng)


def test_draw_spreads_the_extra_questions_over_topics_at_random():
    """With 10 of 6 topics, every topic is among the four doubled ones in some draws."""
    bank = [
        Candidate(question_id=i * 10 + j, topic=t, difficulty=3)
        for i, t in enumerate(TOPICS)
        for j in range(5)
    ]
    rng = np.random.default_rng(7)
    doubled: Counter[str] = Counter()
    for _ in range(300):
        drawn = draw_questions(bank, 10, rng)
        counts = Counter(TOPICS[q // 10] for q in drawn)
        doubled.update(t for t, c in counts.items() if c == 2)
    assert set(doubled) == set(TOPICS)
    # 4 of 6 doubled per draw → about 200 of 300 each.
    assert all(140 < doubled[t] < 260 for t in TOPICS), doubled


def test_adaptive_draw_prefers_the_target_level():
    bank = [
        Candidate(question_id=level * 100 + k, topic=t, difficulty=level)
        for t in TOPICS
        for level in range(1, 6)
        for k in range(3)
    ]
    drawn = draw_questions(bank, 6, np.random.default_rng(3), target_difficulty=5)
    assert {q // 100 for q in drawn} == {5}
    drawn = draw_questions(bank, 6, np.random.default_rng(3), target_difficulty=1)
    assert {q // 100 for q in drawn} == {1}


def test_difficulty_for_ability():
    # level d stands for β = d − 3
    assert difficulty_for_ability(0.0) == 3
    assert difficulty_for_ability(0.49) == 3
    assert difficulty_for_ability(0.5) == 4
    assert difficulty_for_ability(-1.2) == 2
    assert difficulty_for_ability(1.9) == 5
    assert difficulty_for_ability(9.0) == 5
    assert difficulty_for_ability(-9.0) == 1
    with pytest.raises(ValidationError):
        difficulty_for_ability(math.nan)


def test_ability_estimate_hand_cases():
    # No answers: the prior mean.
    assert ability_estimate([], [], prior_mean=0.7) == pytest.approx(0.7)
    # One right answer on a β = 0 item with prior N(0, 1): θ solves 1 − σ(θ) = θ.
    theta = ability_estimate([3], [True])
    assert 1 - 1 / (1 + math.exp(-theta)) == pytest.approx(theta, abs=1e-9)
    assert theta == pytest.approx(0.4011, abs=1e-4)  # σ(0.4011) = 0.5989
    # Symmetry: one wrong answer is the mirror image.
    assert ability_estimate([3], [False]) == pytest.approx(-theta, abs=1e-9)
    # Half right on items at β = 0 keeps the prior mean 0.
    assert ability_estimate([3, 3, 3, 3], [True, False, True, False]) == pytest.approx(0.0)
    # All wrong is finite (the prior keeps it from −∞).
    assert -6 < ability_estimate([1] * 10, [False] * 10) < -2
    with pytest.raises(ValidationError):
        ability_estimate([3, 3], [True])
    with pytest.raises(ValidationError):
        ability_estimate([3], [True], prior_sd=0)


def test_ability_estimate_matches_a_brute_force_maximum():
    """The Newton answer equals the maximum of the log-posterior found on a fine grid."""
    rng = np.random.default_rng(11)
    levels = rng.integers(1, 6, size=25)
    correct = rng.random(25) < 0.6
    theta = ability_estimate(list(levels), list(correct), prior_mean=0.3, prior_sd=1.0)
    grid = np.linspace(-6, 6, 120_001)
    beta = levels - 3.0
    p = 1 / (1 + np.exp(-(grid[:, None] - beta[None, :])))
    log_post = (np.log(p) * correct + np.log(1 - p) * (~correct)).sum(axis=1) - (
        grid - 0.3
    ) ** 2 / 2
    assert theta == pytest.approx(grid[np.argmax(log_post)], abs=2e-4)


def test_ability_estimate_recovers_simulated_students():
    """200 answers of students with known θ: the estimate is within a few tenths."""
    rng = np.random.default_rng(5)
    for true_theta in (-2.0, -0.5, 0.0, 1.0, 2.0):
        levels = rng.integers(1, 6, size=200)
        p = 1 / (1 + np.exp(-(true_theta - (levels - 3.0))))
        correct = rng.random(200) < p
        estimate = ability_estimate(list(levels), list(correct))
        assert estimate == pytest.approx(true_theta, abs=0.4)
