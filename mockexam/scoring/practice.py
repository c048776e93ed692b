"""Practice mode's pure rules (spec §7): session sizes, drawing questions, the adaptive target.

No database, no clock: services/practice.py reads the bank and the
student's history into `Candidate`s and stores what comes back.

Drawing (`draw_questions`):

1. **Balanced topics.** The n questions are shared among the topics that
   have questions as evenly as possible (counts differ by at most one); a
   topic with fewer questions than its share gives all it has and the rest
   goes, one by one, to the topics with room left. Which topics get the
   extra questions when n is not a multiple of the number of topics is
   random.
2. **No repeats until a topic is exhausted.** Inside a topic, questions the
   student has been shown fewer times always come first: a question comes
   back only once every question of its topic has been shown as often.
3. **Adaptive (optional).** Within the same "times shown", questions whose
   difficulty is nearest the target come first; ties are random.

The adaptive target is the difficulty level whose Rasch difficulty is
nearest the student's ability: level d (1..5) stands for β = d − 3 logits,
so θ = 0 (an average student) gets level 3. The ability is a MAP estimate
from the student's recent practice answers, P(right) = 1 / (1 + exp(−(θ − β))),
with a normal prior centred on their last exam's θ (0 without one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mockexam.errors import ValidationError


@dataclass(frozen=True)
class PracticeModeRule:
    """How many questions a session of a mode has, and how long it lasts."""

    questions: int
    minutes: int


PRACTICE_MODES: dict[str, PracticeModeRule] = {
    "light": PracticeModeRule(questions=6, minutes=30),
    "medium": PracticeModeRule(questions=10, minutes=60),
}

MIN_DIFFICULTY, MAX_DIFFICULTY = 1, 5
PRIOR_SD = 1.0  # logits: one practice answer moves a new student's estimate noticeably
THETA_BOUND = 6.0


@dataclass(frozen=True)
class Candidate:
    """An active bank question as the draw sees it, with how often this student has seen it."""

    question_id: int
    topic: str
    difficulty: int
    times_seen: int = 0


def topic_quotas(capacities: dict[str, int], n: int, rng: np.random.Generator) -> dict[str, int]:
    """How many questions each topic gives: as even as the capacities allow, summing to
    min(n, total capacity). Water-filling in a random topic order."""
    if n < 0:
        raise ValidationError("A session cannot have a negative number of questions.")
    topics = [t for t in sorted(capacities) if capacities[t] > 0]
    order = [topics[i] for i in rng.permutation(len(topics))]
    quotas = dict.fromkeys(order, 0)
    left = min(n, sum(capacities[t] for t in order))
    while left > 0:
        # One more for each topic with room, in the fixed random order, round by round.
        for topic in order:
            if left == 0:
                break
            if quotas[topic] < capacities[topic]:
                quotas[topic] += 1
                left -= 1
    return {t: q for t, q in quotas.items() if q > 0}


def draw_questions(
    candidates: Sequence[Candidate],
    n: int,
    rng: np.random.Generator,
    *,
    target_difficulty: int | None = None,
) -> list[int]:
    """The ids of the questions of a new session (no duplicates), ordered easiest first.

    See the module docstring for the rules. Fewer than n come back only when
    the bank holds fewer than n questions.
    """
    by_topic: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_topic.setdefault(candidate.topic, []).append(candidate)
    quotas = topic_quotas({t: len(c) for t, c in by_topic.items()}, n, rng)
    chosen: list[Candidate] = []
    for topic, quota in quotas.items():
        pool = by_topic[topic]
        tie_break = rng.random(len(pool))
        distance = [
            abs(c.difficulty - target_difficulty) if target_difficulty is not None else 0
            for c in pool
        ]
        ranked = sorted(
            range(len(pool)), key=lambda i: (pool[i].times_seen, distance[i], tie_break[i])
        )
        chosen.extend(pool[i] for i in ranked[:quota])
    # Easiest first, topics mixed among equals (a warm-up, then the harder ones).
    order_key = rng.random(len(chosen))
    ranked_chosen = sorted(range(len(chosen)), key=lambda i: (chosen[i].difficulty, order_key[i]))
    return [chosen[i].question_id for i in ranked_chosen]


def difficulty_beta(difficulty: int) -> float:
    """The Rasch difficulty (logits) a bank level stands for: β = level − 3."""
    return float(difficulty - 3)


def difficulty_for_ability(theta: float) -> int:
    """The bank level nearest ability θ (level d ↔ β = d − 3), clamped to 1..5."""
    if not math.isfinite(theta):
        raise ValidationError("The ability must be a finite number.")
    return int(min(MAX_DIFFICULTY, max(MIN_DIFFICULTY, math.floor(theta + 3 + 0.5))))


def ability_estimate(
    difficulties: Sequence[int],
    correct: Sequence[bool],
    *,
    prior_mean: float = 0.0,
    prior_sd: float = PRIOR_SD,
) -> float:
    """MAP θ from Rasch answers to items of known level, normal prior N(prior_mean, prior_sd²).

    Maximises Σ [x log P + (1 − x) log(1 − P)] − (θ − μ)² / (2σ²) with
    P = 1 / (1 + exp(−(θ − β))), by Newton's method (the objective is
    strictly concave). With no answers it is the prior mean.
    """
    if len(difficulties) != len(correct):
        raise ValidationError("Every answer needs its question's difficulty.")
    if prior_sd <= 0 or not math.isfinite(prior_mean):
        raise ValidationError("The prior needs a finite mean and a positive spread.")
    beta = np.array([difficulty_beta(d) for d in difficulties], dtype=np.float64)
    x = np.array(correct, dtype=np.float64)
    precision = 1.0 / prior_sd**2
    theta = float(prior_mean)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(theta - beta)))
        gradient = float(np.sum(x - p)) - (theta - prior_mean) * precision
        curvature = float(np.sum(p * (1.0 - p))) + precision
        step = gradient / curvature
        theta = float(np.clip(theta + step, -THETA_BOUND, THETA_BOUND))
        if abs(step) < 1e-10:
            break
    return theta
