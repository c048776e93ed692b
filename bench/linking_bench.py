"""Benchmark linking: the cohort's mean ability per weekly form, with and without linking.

    .venv/bin/python bench/linking_bench.py [--seeds 11 12 13 14 15]

A simulated sequence of six weekly forms (tests/scoring/test_linking.py's
`weekly_forms`): 40 items each, 12 of them back from earlier forms (the common items),
the new items of each week easier or harder than the last's (a paper's difficulty
varies by up to 1.6 logits), a cohort that grows (+0.15 logits a week, 1,200 students
then +150 a week). Each form is calibrated alone (MML, items centred at 0), then linked
onto the scale of the first through its common items (mean–mean, drifted items dropped).

Printed per form: the true cohort mean on the first form's scale, the error of the
linked estimate and of the form's own (unlinked) estimate, averaged over the seeds
(RMSE), and the common items used/dropped. The baseline is the unlinked estimate, in
the same run: the ratio is how many times smaller the linked error is.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scoring.test_linking import run_sequence


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13, 14, 15])
    parser.add_argument("--drift", action="store_true", help="plant a drifted item in form 3")
    args = parser.parse_args()
    runs = [run_sequence(s, drifted=(3, "") if args.drift else None)[0] for s in args.seeds]
    print(f"Linking weekly forms, {len(args.seeds)} simulated sequences (RMSE over them)\n")
    print(
        f"{'form':>4} {'true mean':>10} {'linked err':>11} {'own-scale err':>14} "
        f"{'ratio':>7} {'used':>5} {'dropped':>8}"
    )
    all_linked, all_alone = [], []
    for form in range(len(runs[0])):
        truth = np.mean([r[form][0] for r in runs])
        linked = math.sqrt(np.mean([(r[form][1] - r[form][0]) ** 2 for r in runs]))
        alone = math.sqrt(np.mean([(r[form][2] - r[form][0]) ** 2 for r in runs]))
        results = [r[form][3] for r in runs]
        used = np.mean([len(x.used) for x in results]) if results[0] else 12.0
        dropped = np.mean([len(x.dropped) for x in results]) if results[0] else 0.0
        ratio = f"{alone / linked:6.0f}×" if form else "  (scale)"
        print(
            f"{form:4d} {truth:10.3f} {linked:11.3f} {alone:14.3f} {ratio:>7} "
            f"{used:5.1f} {dropped:8.2f}"
        )
        if form:
            all_linked.append(linked)
            all_alone.append(alone)
    print(
        f"\nForms 1–{len(runs[0]) - 1}: linked RMSE {np.mean(all_linked):.3f} logits, "
        f"own scale {np.mean(all_alone):.3f} logits"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
