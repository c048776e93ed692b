"""CPU per call of the exam's hot database paths, against the driver's floor.

Under load every backend worker's event loop shares its GIL with the threads
that run these calls (mockexam/api.py's save pool, Reflex's `run_in_thread`):
the Python time a call spends in SQLAlchemy and psycopg is time the loop
cannot serve a websocket or a save. A profile of bench/load_bench.py at 2,000
students put half of the workers' GIL time into `start_exam` and `save_sheet`.
So this measures, per call on one thread, the CPU (process time: the
GIL-holding part) and the wall time of:

- `sign in`      services.students.login_student (every tab's sign-in, in the lobby);
- `lobby room`   services.exam_room.get_exam_room before the start (the lobby's read);
- `start exam`   services.exam_room.start_exam (the Start button);
- `save sheet`   services.exam_room.save_sheet with one or two changes (one
                 autosave batch, as POST /api/sheet/<exam> runs it);
- `read room`    services.exam_room.get_exam_room (a reload mid-exam);
- `submit sheet` services.exam_room.submit_sheet.

Baselines, in the same process on the same database: `floor save`, a save
as a transaction sent straight through psycopg (BEGIN, lock the session row,
upsert the answer, move the device's seq, COMMIT: five round trips, no ORM,
no SQL built per call — how `save_sheet` saved until it became one
statement), and `floor, 1 trip`, the one statement `save_sheet` sends on
PostgreSQL now, straight through psycopg on an autocommit connection: what a
save cannot get under with this driver. The ratios save/floor are the
Python overhead left (CPU) and the round trips saved (wall). On PostgreSQL
`PG CPU` is the server's own CPU per call: what its processes serving the
bench's database spent (from /proc), so a path that moves work from Python
into the server shows it.

    .venv/bin/python bench/sheet_path_bench.py [--students 400] [--saves 2000]
        [--backend postgres sqlite]

PostgreSQL: TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
a database of its own is created and dropped. SQLite: a file in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


_TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")
_server_database = [""]  # the bench's PostgreSQL database, once made


def _server_cpu_ms() -> float | None:
    """CPU ms so far of the PostgreSQL server processes serving the bench's database (one
    per connection, named in its process title), or None on SQLite. Only what these
    processes spend is counted; the server's other work (another run's) is not."""
    name = _server_database[0]
    if not name:
        return None
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
            # The title: "postgres: [cluster: ]user database client state".
            if not command.startswith("postgres: ") or name not in command.split()[1:5]:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * _TICK_MS


def _measure(calls: list[Callable[[], Any]]) -> tuple[float, float, float, float | None]:
    """(CPU ms per call, wall p50 ms, wall p95 ms, PostgreSQL's CPU ms per call or None)
    of running `calls` one after another."""
    walls: list[float] = []
    server0 = _server_cpu_ms()
    cpu0 = time.process_time()
    for call in calls:
        t0 = time.perf_counter()
        call()
        walls.append((time.perf_counter() - t0) * 1000.0)
    cpu = (time.process_time() - cpu0) * 1000.0 / max(1, len(calls))
    server1 = _server_cpu_ms()
    server = None if server0 is None else (server1 - server0) / max(1, len(calls))
    walls.sort()
    p95 = walls[min(len(walls) - 1, int(0.95 * len(walls)))]
    return cpu, statistics.median(walls), p95, server


def _floor_one_statement(raw_url: str) -> Callable[[int, int, int, str, int], None]:
    """The save's one statement on PostgreSQL (services.exam_room._SAVE_SQL) through
    psycopg itself on an autocommit connection, with the same parameters."""
    import psycopg

    from mockexam.services.exam_room import _SAVE_SQL

    conn = psycopg.connect(raw_url, autocommit=True)
    sql = re.sub(r"(?<!:):(\w+)", r"%(\1)s", _SAVE_SQL)

    def save(student_id: int, item_id: int, exam_id: int, value: str, seq: int) -> None:
        params = {
            "student_id": student_id,
            "exam_id": exam_id,
            "device": "floor",
            "seq": seq,
            "now": datetime.now(UTC),
            "both_items": [],
            "both_values": [],
            "both_flags": [],
            "value_items": [item_id],
            "value_values": [value],
            "flag_items": [],
            "flag_flags": [],
        }
        conn.execute(sql, params).fetchone()

    return save


def _floor_save(raw_url: str) -> Callable[[int, int, int, str, int], None]:
    """A save as a transaction of three statements through psycopg itself (prepared by
    the server after a few calls): BEGIN, lock, upsert, claim, COMMIT — five round trips."""
    import psycopg

    conn = psycopg.connect(raw_url)

    def save(session_id: int, item_id: int, exam_id: int, value: str, seq: int) -> None:
        with conn.transaction():
            conn.execute(
                "SELECT id, exam_id, submitted_at, deadline FROM examsession"
                " WHERE id = %s FOR UPDATE",
                (session_id,),
            ).fetchone()
            conn.execute(
                "INSERT INTO answer (session_id, exam_id, item_id, value, is_flagged, saved_at)"
                " VALUES (%s, %s, %s, %s, false, now()) ON CONFLICT (session_id, item_id)"
                " DO UPDATE SET value = excluded.value, saved_at = excluded.saved_at",
                (session_id, exam_id, item_id, value),
            )
            conn.execute(
                "INSERT INTO sheetsync (session_id, device, seq, updated_at)"
                " VALUES (%s, 'floor', %s, now()) ON CONFLICT (session_id, device)"
                " DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at"
                " WHERE sheetsync.seq < excluded.seq RETURNING seq",
                (session_id, seq),
            ).fetchone()

    return save


def run(backend: str, students: int, saves: int, seed: int) -> None:
    from sqlalchemy import insert, select

    from mockexam import db as db_module
    from mockexam.config import settings
    from mockexam.db import session_scope, utcnow
    from mockexam.models import ExamItem, ExamSession, Student
    from mockexam.services import exam_room
    from mockexam.services.sessions import AnswerChange
    from tests.factories import make_exam

    rng = random.Random(seed)
    cleanup: list[Callable[[], None]] = []
    if backend == "postgres":
        from bench.pg_database import fresh_database

        url, drop = fresh_database(PG_URL, "mockexam_sheetbench")
        cleanup.append(drop)
        _server_database[0] = url.rsplit("/", 1)[1]
    else:
        folder = tempfile.mkdtemp(prefix="mockexam-sheetbench-")
        cleanup.append(lambda: shutil.rmtree(folder, ignore_errors=True))
        url = f"sqlite:///{folder}/app.db"
    try:
        object.__setattr__(settings, "database_url", url)
        db_module.dispose_engines()
        from alembic import command
        from alembic.config import Config

        config = Config(str(ROOT / "alembic.ini"))
        config.set_main_option("sqlalchemy.url", url)
        command.upgrade(config, "head")
        with session_scope() as s:
            now = utcnow()
            s.execute(
                insert(Student),
                [
                    {
                        "telegram_id": 9_000_000_000 + i,
                        "first_name": f"S{i}",
                        "language_code": "uz",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(students)
                ],
            )
            exam_id = make_exam(s, title="Sheet bench").id
            ids = list(s.execute(select(Student.id).order_by(Student.id)).scalars())
            items = list(
                s.execute(
                    select(ExamItem.id, ExamItem.number, ExamItem.sub_part, ExamItem.options).where(
                        ExamItem.exam_id == exam_id
                    )
                )
            )
        labels = [
            (item_id, f"{n}{sub}", list(opts) or ["12", "3.5", "-7"])
            for item_id, n, sub, opts in items
        ]
        print(f"\n  {backend}: {students} students, one exam of {len(labels)} items")

        figures: dict[str, tuple[float, float, float]] = {}
        from mockexam.services.students import login_student

        figures["sign in"] = _measure(
            [
                (lambda tid=9_000_000_000 + i: login_student(telegram_id=tid, first_name="S"))
                for i in range(students)
            ]
        )
        figures["lobby room"] = _measure(
            [
                (lambda sid=sid: exam_room.get_exam_room(student_id=sid, exam_id=exam_id))
                for sid in ids
            ]
        )
        figures["start exam"] = _measure(
            [(lambda sid=sid: exam_room.start_exam(student_id=sid, exam_id=exam_id)) for sid in ids]
        )
        with session_scope(readonly=True) as s:
            session_of = dict(
                s.execute(
                    select(ExamSession.student_id, ExamSession.id).where(
                        ExamSession.exam_id == exam_id
                    )
                ).all()
            )
        seqs = dict.fromkeys(ids, 0)

        def one_save(sid: int) -> None:
            seqs[sid] += 1
            picks = rng.sample(labels, rng.choice((1, 1, 2)))
            exam_room.save_sheet(
                student_id=sid,
                exam_id=exam_id,
                changes={label: AnswerChange(value=rng.choice(opts)) for _, label, opts in picks},
                device="bench",
                seq=seqs[sid],
            )

        figures["save sheet"] = _measure(
            [(lambda sid=rng.choice(ids): one_save(sid)) for _ in range(saves)]
        )
        if backend == "postgres":
            raw_url = url.replace("postgresql+psycopg://", "postgresql://")
            floor = _floor_save(raw_url)
            floor_seq = [0]

            def one_floor() -> None:
                sid = rng.choice(ids)
                item_id, _, opts = rng.choice(labels)
                floor_seq[0] += 1
                floor(session_of[sid], item_id, exam_id, rng.choice(opts), floor_seq[0])

            figures["floor save"] = _measure([one_floor for _ in range(saves)])
            floor_once = _floor_one_statement(raw_url)

            def one_floor_once() -> None:
                sid = rng.choice(ids)
                item_id, _, opts = rng.choice(labels)
                floor_seq[0] += 1
                floor_once(sid, item_id, exam_id, rng.choice(opts), floor_seq[0])

            figures["floor, 1 trip"] = _measure([one_floor_once for _ in range(saves)])
        figures["read room"] = _measure(
            [
                (
                    lambda sid=rng.choice(ids): exam_room.get_exam_room(
                        student_id=sid, exam_id=exam_id
                    )
                )
                for _ in range(min(saves, 1000))
            ]
        )
        figures["submit sheet"] = _measure(
            [
                (
                    lambda sid=sid: exam_room.submit_sheet(
                        student_id=sid, exam_id=exam_id, changes={}, device="bench", seq=10**6
                    )
                )
                for sid in ids
            ]
        )
        print(f"    {'path':<14}{'CPU ms/call':>12}{'wall p50':>10}{'wall p95':>10}{'PG CPU':>8}")
        for path, (cpu, p50, p95, server) in figures.items():
            pg = "-" if server is None else f"{server:.2f}"
            print(f"    {path:<14}{cpu:>12.2f}{p50:>10.2f}{p95:>10.2f}{pg:>8}")
        if "floor save" in figures:
            for floor_path in ("floor save", "floor, 1 trip"):
                cpu_ratio = figures["save sheet"][0] / figures[floor_path][0]
                wall_ratio = figures["save sheet"][1] / figures[floor_path][1]
                print(
                    f"    save sheet / {floor_path}: CPU {cpu_ratio:.2f}x, wall p50 {wall_ratio:.2f}x"
                )
    finally:
        db_module.dispose_engines()
        for step in reversed(cleanup):
            step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--saves", type=int, default=2000)
    parser.add_argument(
        "--backend", nargs="+", default=["postgres"], choices=["postgres", "sqlite"]
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not 1 <= args.students <= 50_000 or not 1 <= args.saves <= 200_000:
        parser.error("--students 1..50000 and --saves 1..200000")
    for backend in args.backend:
        run(backend, args.students, args.saves, args.seed)


if __name__ == "__main__":
    main()
