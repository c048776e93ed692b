"""Memory of reading malicious practice-import files, before and after issue 20 item 8.

Each case is read by `read_question_upload` in a fresh child process (so the
resident-set figures are its own): the reader of this checkout ("new") and,
with `--before COMMIT`, the reader of that commit loaded from git ("old").
Printed per case and reader: the outcome (the named error, or how many rows
were parsed before the import's own count check), the bytes zipfile
decompressed, the tracemalloc peak and the growth of the peak RSS (VmHWM, reset
after the input is built) over the RSS before the read.

Cases:
- million-rows: a ZIP of 1,000,000 realistic CSV rows (23 MB unpacked, ~40 KB packed);
- million-short-rows: 1,000,000 rows of 10 bytes, under the 10 MB file limit, so
  only the row count is over;
- bomb-image: a question naming a 2 MB "PNG" of zeros (~2 KB packed);
- json-lists: 9.9 MB of `[],` in a ZIP (~10 KB packed): json.loads would build
  3.3 million lists;
- json-lists-plain: the same 9.9 MB as a .json upload (no ZIP ratio to catch it).

    .venv/bin/python bench/import_limits_bench.py [--before 6ccf364] [--case NAME ...]

Figures (2 vCPUs shared; 2026-12-06; --before 6ccf364, the commit before the fix;
RSS growth from a run without tracemalloc, the tracemalloc peak from one with it):

    case                reader  packed  outcome                              unpacked  tracemalloc  RSS
    million-rows        old      55 KB  1,000,000 rows parsed, then refused   21.9 MB     829.1 MB  926 MB
    million-rows        new      55 KB  bank.csv: unpacks to 22 MB; at most    0.0 MB       0.1 MB    0 MB
    million-short-rows  old      19 KB  1,000,000 rows parsed, then refused    9.5 MB     603.1 MB  652 MB
    million-short-rows  new      19 KB  bank.csv: more than 5000 questions     0.1 MB       2.9 MB    3 MB
    bomb-image          old       2 KB  accepted (a 2 MB image read)           2.0 MB       7.4 MB    4 MB
    bomb-image          new       2 KB  fig.png: compressed more than 100:1    1.0 MB       1.1 MB    1 MB
    json-lists          old      10 KB  3,300,000 "is not an object" errors    9.4 MB     929.3 MB 1050 MB
    json-lists          new      10 KB  bank.json: compressed more than 100:1  1.1 MB      10.2 MB    1 MB
    json-lists-plain    old    9668 KB  3,300,000 "is not an object" errors      -        919.8 MB 1035 MB
    json-lists-plain    new    9668 KB  bank.json: more objects and lists…       -          9.5 MB    9 MB

The new reader's figures are bounded by its limits (10 MB a file, the first
5,001 rows, 1 MB before the ratio check), not by what the archive declares.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ("million-rows", "million-short-rows", "bomb-image", "json-lists", "json-lists-plain")
PNG = b"\x89PNG\r\n\x1a\n"


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def build(case: str) -> tuple[bytes, str]:
    """The upload of `case` and its file name."""
    if case == "json-lists-plain":
        return b"[" + b"[]," * (3_300_000 - 1) + b"[]]", "bank.json"
    return _build_zip(case), "bank.zip"


def _build_zip(case: str) -> bytes:
    if case == "million-rows":
        header = b"topic,difficulty,kind,text,option_a,option_b,answer\n"
        return _zip([("bank.csv", header + b"algebra,1,mcq,Q?,a,b,A\n" * 1_000_000)])
    if case == "million-short-rows":
        return _zip(
            [("bank.csv", b"topic,difficulty,kind,text,answer\n" + b"x,1,m,t,A\n" * 1_000_000)]
        )
    if case == "bomb-image":
        sheet = b"topic,difficulty,kind,text,answer,image\nalgebra,1,free,Area?,2,fig.png\n"
        return _zip([("bank.csv", sheet), ("fig.png", PNG + b"\x00" * (2 * 1024 * 1024 - 9))])
    if case == "json-lists":
        return _zip([("bank.json", b"[" + b"[]," * (3_300_000 - 1) + b"[]]")])
    raise SystemExit(f"unknown case {case}")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def child(case: str, module_path: str | None, *, trace: bool) -> None:
    """Read one case with one reader; print a JSON line of figures.

    tracemalloc roughly doubles the memory it watches, so the RSS figure comes from
    a run without it (`trace=False`) and the tracemalloc peak from a run with it.
    """
    sys.path.insert(0, str(ROOT))
    if module_path:
        spec = importlib.util.spec_from_file_location("old_practice_bank", module_path)
        assert spec and spec.loader
        bank = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = bank  # dataclasses look their module up
        spec.loader.exec_module(bank)
    else:
        from mockexam.services import practice_bank as bank

    data, name = build(case)
    counted = [0]
    original = zipfile.ZipExtFile.read

    def read(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        chunk = original(self, n)
        counted[0] += len(chunk)
        return chunk

    zipfile.ZipExtFile.read = read  # type: ignore[method-assign]
    # Reset the peak RSS (VmHWM) so building the input does not count (Linux: clear_refs 5).
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    if trace:
        tracemalloc.start()
    try:
        bundle = bank.read_question_upload(data, name)
        outcome = f"{len(bundle.rows)} rows parsed"
        if len(bundle.rows) > bank.MAX_IMPORT_QUESTIONS:
            outcome += ", then 'at most 5000'"
    except bank.QuestionImportError as err:
        outcome = bank.error_lines(err)[0][:60] + (
            f" (+{len(err.errors) - 1})" if len(err.errors) > 1 else ""
        )
    except Exception as err:  # the old reader's unhandled errors are the point
        outcome = f"UNHANDLED {type(err).__name__}"
    peak_rss = _status_kb("VmHWM")
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "packed": len(data),
                "outcome": outcome,
                "unpacked": counted[0],
                "tracemalloc": peak,
                "rss_growth_kb": max(0, peak_rss - before),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="a commit whose practice_bank.py is the 'old' reader")
    parser.add_argument("--case", nargs="*", default=list(CASES), choices=CASES)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--module", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.module, trace=args.trace)
        return
    readers: list[tuple[str, str | None]] = [("new", None)]
    if args.before:
        source = subprocess.run(
            ["git", "show", f"{args.before}:mockexam/services/practice_bank.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        ).stdout
        old = Path(tempfile.mkdtemp()) / "old_practice_bank.py"
        old.write_bytes(source)
        readers.insert(0, ("old", str(old)))
    print(
        f"{'case':<20}{'reader':<7}{'packed':>9}  {'outcome':<64}{'unpacked':>11}"
        f"{'tracemalloc':>13}{'RSS growth':>12}"
    )
    for case in args.case:
        for label, module in readers:
            command = [sys.executable, __file__, "--child", case]
            if module:
                command += ["--module", module]
            runs = []
            for extra in ([], ["--trace"]):
                done = subprocess.run(
                    command + extra,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                if done.returncode:
                    print(f"{case:<20}{label:<7} failed: {done.stderr.strip().splitlines()[-1:]}")
                    break
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            if len(runs) != 2:
                continue
            figures = {**runs[0], "tracemalloc": runs[1]["tracemalloc"]}
            print(
                f"{case:<20}{label:<7}{figures['packed'] / 1024:>7.0f}KB  "
                f"{figures['outcome']:<64}{figures['unpacked'] / 1024 / 1024:>9.1f}MB"
                f"{figures['tracemalloc'] / 1024 / 1024:>11.1f}MB"
                f"{figures['rss_growth_kb'] / 1024:>10.0f}MB"
            )


if __name__ == "__main__":
    main()
