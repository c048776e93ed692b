"""`python -m mockexam …` entry point."""

import os
import sys

from pydantic import ValidationError

if len(sys.argv) > 1 and sys.argv[1] == "worker":
    # One BLAS thread per consumer: under load, spinning OpenBLAS threads slowed the
    # Rasch calibration 3–10× (bench/rasch_bench.py); set before numpy is imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _configuration_error(err: ValidationError) -> int:
    """The settings (environment, .env) are unusable: say which and why, no traceback."""
    print("mockexam cannot start: the configuration is not valid.", file=sys.stderr)
    for problem in err.errors():
        where = ".".join(str(part) for part in problem["loc"]).upper()
        message = str(problem["msg"]).removeprefix("Value error, ")
        print(f"  {where + ': ' if where else ''}{message}", file=sys.stderr)
    print("Fix the environment (or the .env / environment file) and run again.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        from mockexam.cli import main
    except ValidationError as err:
        raise SystemExit(_configuration_error(err)) from None
    raise SystemExit(main())
