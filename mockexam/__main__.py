"""`python -m mockexam …` entry point."""

import os
import sys

if len(sys.argv) > 1 and sys.argv[1] == "worker":
    # One BLAS thread per consumer: under load, spinning OpenBLAS threads slowed the
    # Rasch calibration 3–10× (bench/rasch_bench.py); set before numpy is imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from mockexam.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
