"""Benchmark copying detection: time at 10,000 students, detection of planted copiers, false pairs.

    .venv/bin/python bench/collusion_bench.py [--sizes 2000 10000] [--copiers 50]
                                              [--shares 0.3 0.5 0.7 0.9] [--honest 3]
                                              [--repeat 3] [--blas-threads 0]

Simulated cohorts of 55 multiple-choice items (θ ~ N(0, 1), β ~ N(0, 1); a wrong answer
drawn from the item's own popularity of distractors; 3 % blanks): tests/scoring/
test_collusion.py's `cohort`. Printed:

- time: `find_pairs` on an honest cohort with its abilities given (as at release, after
  the calibration; median of --repeat), at each size, and the baseline — the exact test
  of every pair (`pair_p_values`) at 1,000 students — with the ratio (what the screen
  saves);
- false pairs: pairs flagged in --honest fresh honest cohorts of 10,000 (mean, max);
- detection: the share of --copiers planted copiers found at each copy share (a copier
  takes that share of the source's answers, wrong ones and blanks included; abilities
  calibrated from the answers as given), with the false pairs beside them.

--blas-threads 0 keeps OpenBLAS's own choice (both cores here); 1 is one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

if "--blas-threads" in sys.argv:
    _threads = sys.argv[sys.argv.index("--blas-threads") + 1]
    if _threads != "0":
        os.environ["OPENBLAS_NUM_THREADS"] = _threads

import numpy as np  # after the thread setting

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mockexam.scoring.collusion import find_pairs, pair_p_values
from tests.scoring.test_collusion import cohort

N_ITEMS = 55
BASELINE_SIZE = 1000


def plant(
    x: np.ndarray, rng: np.random.Generator, n_pairs: int, share: float
) -> tuple[np.ndarray, set[tuple[int, int]]]:
    x = x.copy()
    rows = rng.permutation(x.shape[0])[: 2 * n_pairs]
    pairs = set()
    for source, copier in zip(rows[::2], rows[1::2], strict=True):
        items = rng.random(x.shape[1]) < share
        x[copier, items] = x[source, items]
        pairs.add((int(min(source, copier)), int(max(source, copier))))
    return x, pairs


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--copiers", type=int, default=50)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.3, 0.5, 0.7, 0.9])
    parser.add_argument("--honest", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--blas-threads", default="0")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)

    print(f"Copying detection, {N_ITEMS} items, alpha 1e-6 family-wise")
    print(f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}\n")
    x, key, theta = cohort(BASELINE_SIZE, rng)
    baseline, _ = timed(lambda: pair_p_values(x, key, theta), 1)
    print(f"{'students':>9} {'pairs':>12} {'find_pairs s':>13} {'exact all pairs s':>18} ratio")
    for n in args.sizes:
        x, key, theta = cohort(n, rng)
        seconds, _ = timed(lambda x=x, key=key, theta=theta: find_pairs(x, key, theta), args.repeat)
        exact = f"{baseline:18.2f} {baseline / seconds:5.1f}×" if n == BASELINE_SIZE else ""
        print(f"{n:9,d} {n * (n - 1) // 2:12,d} {seconds:13.2f} {exact}")

    n = max(args.sizes)
    false_pairs = []
    for _ in range(args.honest):
        x, key, theta = cohort(n, rng)
        false_pairs.append(len(find_pairs(x, key, theta)))
    print(
        f"\nHonest cohorts of {n:,}: false pairs per cohort mean {statistics.mean(false_pairs):.2f}"
        f", max {max(false_pairs)} (over {args.honest})"
    )

    print(f"\nPlanted copiers ({args.copiers} pairs in {n:,} students):")
    print(f"{'share copied':>13} {'found':>7} {'rate':>6} {'false pairs':>12}")
    x, key, theta = cohort(n, rng)
    for share in args.shares:
        copied, planted = plant(x, rng, args.copiers, share)
        # Abilities as the release has them: calibrated from the answers given (a copier's
        # borrowed right answers included).
        flagged = {(p.a, p.b) for p in find_pairs(copied, key)}
        found = len(flagged & planted)
        print(f"{share:13.0%} {found:7d} {found / len(planted):6.0%} {len(flagged - planted):12d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
