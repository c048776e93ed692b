"""Benchmark the Rasch engine: speed and accuracy on simulated exams, against girth.

    .venv/bin/python bench/rasch_bench.py [--reps 10] [--repeat 5] [--no-girth]
                                          [--sizes 1000 10000 100000] [--blas-threads 1]

Simulates 55 items (β ~ N(0, 1)) and θ ~ N(0, 1) at N = 1k, 10k and 100k, complete
and with 10 % of the cells missing at random. `time` is the wall time of a full
`calibrate` (items, person measures, fit statistics): the median of --repeat runs
on one data set. Accuracy: β RMSE (both sides centred) against the asymptotic bound
sqrt(mean_i 1/Σ_p P(1 − P)). One data set's ratio scatters by about ±10 % (only 55
items), so the ratio is pooled over --reps fresh data sets, sqrt(ΣMSE/Σbound²),
with its own ± (one SD over the replications, divided by sqrt(reps)).

girth (pip package, not a project dependency) is installed into this interpreter
on first use; its `rasch_jml` and `rasch_mml` run once per data set (items ×
persons, missing cells as girth's INVALID_RESPONSE). If it cannot be installed or
imported, the table says so and skips it. It runs in its own process (its scipy
loads a second OpenBLAS) with the same OPENBLAS_NUM_THREADS as ours.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# One BLAS thread unless told otherwise, before numpy loads OpenBLAS: the engine's
# products are block-sized, so a second thread buys ~5 % on an idle 2-core machine but
# costs 3-10× when the cores are busy (threads spin waiting for each other).
if "--blas-threads" in sys.argv:
    _threads = sys.argv[sys.argv.index("--blas-threads") + 1]
    if _threads != "0":
        os.environ["OPENBLAS_NUM_THREADS"] = _threads
else:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # after the thread setting

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mockexam.scoring.rasch import calibrate

N_ITEMS = 55
SIZES = (1_000, 10_000, 100_000)
MISSING = (0.0, 0.1)


def simulate(
    n_persons: int, rng: np.random.Generator, missing: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    beta = rng.standard_normal(N_ITEMS)
    theta = rng.standard_normal(n_persons)
    p = 1.0 / (1.0 + np.exp(beta[None, :] - theta[:, None]))
    x = (rng.random((n_persons, N_ITEMS)) < p).astype(float)
    if missing:
        x[rng.random(x.shape) < missing] = np.nan
    return x, theta, beta


def squared_bound(x: np.ndarray, theta: np.ndarray, beta: np.ndarray) -> float:
    p = 1.0 / (1.0 + np.exp(beta[None, :] - theta[:, None]))
    w = np.where(np.isnan(x), 0.0, p * (1.0 - p))
    return float(np.mean(1.0 / w.sum(axis=0)))


def mse(estimate: np.ndarray, beta: np.ndarray) -> float:
    return float(np.mean(((estimate - estimate.mean()) - (beta - beta.mean())) ** 2))


def median_wall(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def ensure_girth(install: bool) -> str:
    """'' if girth imports in a fresh interpreter (installing it if need be), else why not."""
    probe = [sys.executable, "-c", "import girth"]
    if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return ""
    if not install:
        return "girth is not installed (--no-install)"
    print("installing girth into this interpreter for the comparison ...", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "girth"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no output"]
        return f"pip install girth failed: {lines[-1]}"
    failed = subprocess.run(probe, capture_output=True, text=True, check=False)
    if failed.returncode != 0:
        lines = failed.stderr.strip().splitlines() or ["no output"]
        return f"girth does not import (numpy {np.__version__}): {lines[-1]}"
    return ""


def girth_worker(path: str) -> None:
    """Time girth's rasch_jml and rasch_mml on one saved data set; print JSON."""
    import girth  # only in the worker process (see run_girth)

    x = np.load(path)
    data = np.where(np.isnan(x), girth.INVALID_RESPONSE, x).astype(int).T  # items × persons
    out: dict[str, Any] = {}
    for method in ("rasch_jml", "rasch_mml"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                result = getattr(girth, method)(data)
                out[method] = {
                    "seconds": time.perf_counter() - start,
                    "beta": np.asarray(result["Difficulty"], dtype=float).tolist(),
                }
        except Exception as exc:  # girth failing on this input is a result to report
            out[method] = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out))


def run_girth(path: Path) -> dict[str, Any]:
    """girth in its own process: its scipy brings a second BLAS whose idle threads
    would otherwise slow this process's numpy down."""
    done = subprocess.run(
        [sys.executable, __file__, "--girth-worker", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no output"]
        return {"error": lines[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=10, help="data sets pooled for accuracy")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per data set")
    parser.add_argument("--no-girth", action="store_true", help="skip the girth comparison")
    parser.add_argument("--no-install", action="store_true", help="don't pip install girth")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument(
        "--blas-threads", default="1", help="OPENBLAS_NUM_THREADS for this run; 0 = library default"
    )
    parser.add_argument("--girth-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.girth_worker:
        girth_worker(args.girth_worker)
        return

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}",
        flush=True,
    )
    rows = []
    calibrate(simulate(2_000, np.random.default_rng(0), 0.1)[0])  # warm up
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for missing in MISSING:
                tag = int(missing * 100)
                x, theta, beta = simulate(n, np.random.default_rng([n, tag]), missing)
                seconds, result = median_wall(lambda x=x: calibrate(x), args.repeat)
                mses, bounds = [mse(result.beta, beta)], [squared_bound(x, theta, beta)]
                for rep in range(1, args.reps):
                    xr, tr, br = simulate(n, np.random.default_rng([n, tag, rep]), missing)
                    mses.append(mse(calibrate(xr).beta, br))
                    bounds.append(squared_bound(xr, tr, br))
                path = Path(tmp) / f"x_{n}_{tag}.npy"
                np.save(path, x)
                rows.append((n, missing, seconds, result.iterations, mses, bounds, beta, path))
                print(f"  timed N={n} missing={missing:.0%}: {seconds:.3f} s", flush=True)

        why_not = "skipped (--no-girth)" if args.no_girth else ensure_girth(not args.no_install)
        girth = {} if why_not else {row[7]: run_girth(row[7]) for row in rows}

    header = (
        f"{'N':>7} {'missing':>7} {'time s':>7} {'iters':>5} {'β RMSE':>8} {'bound':>8} "
        f"{'ratio':>6} {'pooled ratio':>15}"
    )
    if girth:
        header += f" | {'jml s':>7} {'jml×':>6} {'jml ratio':>9} | {'mml s':>6} {'mml×':>6}"
        header += f" {'mml ratio':>9}"
    print()
    print(header)
    print("-" * len(header))
    for n, missing, seconds, iterations, mses, bounds, beta, path in rows:
        ratios = np.sqrt(np.array(mses) / np.array(bounds))
        pooled = float(np.sqrt(np.sum(mses) / np.sum(bounds)))
        spread = float(np.std(ratios, ddof=1) / np.sqrt(len(ratios))) if len(ratios) > 1 else 0.0
        line = (
            f"{n:>7} {missing:>7.0%} {seconds:>7.3f} {iterations:>5} "
            f"{mses[0] ** 0.5:>8.5f} {bounds[0] ** 0.5:>8.5f} "
            f"{ratios[0]:>6.3f} {pooled:>7.3f} ± {spread:.3f}"
        )
        for method in ("rasch_jml", "rasch_mml") if girth else ():
            found = girth[path].get(method, girth[path])
            if "error" in found:
                line += f" | failed: {found['error'][:50]}"
                continue
            g_ratio = (mse(np.asarray(found["beta"]), beta) / bounds[0]) ** 0.5
            g_seconds = found["seconds"]
            line += f" | {g_seconds:>7.2f} {g_seconds / seconds:>5.0f}× {g_ratio:>9.3f}"
        print(line)
    print(
        "time: median wall seconds of a full calibrate (items, persons, fit); ratio: β RMSE / "
        f"bound on that data set; pooled: over {args.reps} data sets, ± its SE; "
        "girth ×: girth's time / ours, same data set."
    )
    if why_not:
        print(f"girth: {why_not}")


if __name__ == "__main__":
    main()
