"""Backups and restore on SQLite and PostgreSQL: a backup taken while 200 students save
holds every acknowledged answer and matches its manifest after a restore; restore
refuses what it must and changes nothing then; rotation keeps exactly the right files."""

from __future__ import annotations

import io
import logging
import random
import tarfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from mockexam import db as db_module
from mockexam.config import PROJECT_ROOT, settings
from mockexam.db import session_scope, utcnow
from mockexam.services import backup, heartbeat
from mockexam.services.exam_room import save_sheet, start_exam
from mockexam.services.exams import get_items
from mockexam.services.sessions import AnswerChange
from tests.conftest import PG_BASE_URL, require_postgres
from tests.factories import make_exam, make_student

KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
STUDENTS = 200
THREADS = 24
HEAD = ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini"))).get_current_head()


# ------------------------------------------------------------------------------ fixtures


def _forget_engine(url: str) -> None:
    engine = db_module._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of `kind` (PostgreSQL: a database of its own), dropped after."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / f'db-{uuid.uuid4().hex[:8]}.db'}"
        yield url
        _forget_engine(url)
        return
    require_postgres()
    name = f"bk_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_BASE_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        _forget_engine(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate(url: str, revision: str = "head") -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)
    _forget_engine(url)  # no pooled connection left open on it (a restore would refuse)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def source(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database of `kind` that settings point at, and an upload folder."""
    for url in fresh_database(kind, tmp_path / "src"):
        (tmp_path / "src").mkdir(exist_ok=True)
        migrate(url)
        monkeypatch.setattr(settings, "database_url", url)
        monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
        yield url


@pytest.fixture
def target(kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the same kind to restore into."""
    (tmp_path / "dst").mkdir(exist_ok=True)
    yield from fresh_database(kind, tmp_path / "dst")


def scratch_summaries(url: str) -> tuple[backup.TableSummary, ...]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return backup.table_summaries(conn)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    if url.startswith("sqlite") and not Path(url.split("///", 1)[1]).exists():
        return set()
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def write_uploads(folder: Path) -> dict[str, bytes]:
    files = {
        "papers/exam-1-abc.pdf": b"%PDF-1.4 paper one" + bytes(range(256)),
        "practice/q-7.png": b"\x89PNG\r\n\x1a\n" + b"x" * 5000,
    }
    for relative, data in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
    (folder / "papers" / ".upload-tmp.pdf").write_bytes(b"half written")  # a temporary
    return files


def seed(students: int = 5) -> None:
    with session_scope() as db:
        make_exam(db)
        for _ in range(students):
            make_student(db)


# --------------------------------------------------------------- backup while saving


@pytest.mark.slow
def test_backup_while_200_students_save_restores_every_acknowledged_answer(
    source, target, tmp_path
):
    uploads = write_uploads(tmp_path / "uploads")
    with session_scope() as db:
        exam = make_exam(db, duration_minutes=150)
        student_ids = [make_student(db).id for _ in range(STUDENTS)]
        labels = [item.label for item in get_items(db, exam.id)]
    for student_id in student_ids:  # the sheet is shown: the layout is cached, as live
        start_exam(student_id=student_id, exam_id=exam.id)

    # (student, label) → [(value, acknowledged at)], in the order they were saved
    acks: dict[tuple[int, str], list[tuple[str, datetime]]] = defaultdict(list)
    sent: dict[tuple[int, str], list[str]] = defaultdict(list)
    ack_count = 0
    lock = threading.Lock()
    stop = threading.Event()

    def student_loop(worker: int) -> None:
        nonlocal ack_count
        rng = random.Random(worker)
        mine = student_ids[worker::THREADS]
        order = {sid: rng.sample(labels, len(labels)) for sid in mine}
        done = dict.fromkeys(mine, 0)
        seq = dict.fromkeys(mine, 0)
        while not stop.is_set():
            for sid in mine:
                if stop.is_set():
                    return
                if done[sid] and rng.random() < 0.2:
                    label = rng.choice(order[sid][: done[sid]])  # an answer changed
                else:
                    label = order[sid][done[sid] % len(labels)]
                    done[sid] += 1
                free = label[-1].isalpha()
                value = str(rng.randint(-9, 99)) if free else rng.choice("ABCD")
                seq[sid] += 1
                with lock:
                    sent[(sid, label)].append(value)
                result = save_sheet(
                    student_id=sid,
                    exam_id=exam.id,
                    changes={label: AnswerChange(value=value)},
                    device=f"phone-{sid}",
                    seq=seq[sid],
                )
                at = utcnow()
                assert label in result.accepted, result
                with lock:
                    acks[(sid, label)].append((result.stored[label], at))
                    ack_count += 1

    def acknowledged() -> int:
        with lock:
            return ack_count

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 300
        while acknowledged() < n:
            assert time.monotonic() < deadline, f"only {acknowledged()} saves acknowledged"
            time.sleep(0.02)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(student_loop, w) for w in range(THREADS)]
        wait_for(1000)
        began = utcnow()
        result = backup.create_backup(directory=tmp_path / "backups")
        finished = utcnow()
        wait_for(acknowledged() + 300)  # and students keep saving afterwards
        stop.set()
        for future in futures:
            future.result()

    with lock:
        during = sum(began <= at <= finished for rows in acks.values() for _v, at in rows)
    assert during > 0, "no save was acknowledged while the backup ran"
    manifest = result.manifest
    assert manifest.kind == backup.database_kind(source)
    assert manifest.schema_revision == HEAD
    assert result.path.stat().st_mode & 0o777 == 0o600
    with session_scope() as db:
        assert heartbeat.last_beat(db, heartbeat.BACKUP).detail == str(result.path)

    restored = backup.restore(
        result.path, database_url=target, upload_dir=tmp_path / "restored-uploads"
    )
    assert restored.ok, restored.describe()
    assert restored.revision_after == HEAD
    # Each table's row count and checksum, computed afresh on the restored database.
    assert scratch_summaries(target) == manifest.tables
    assert {t.name for t in manifest.tables} >= {"answer", "examsession", "student"}

    engine = create_engine(target, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.student_id, i.number, i.sub_part, a.value FROM answer a "
                "JOIN examsession s ON s.id = a.session_id JOIN examitem i ON i.id = a.item_id"
            )
        ).all()
    engine.dispose()
    stored = {(sid, f"{number}{sub}"): value for sid, number, sub, value in rows}
    assert len(stored) == manifest.rows("answer")
    before = 0
    for key, history in acks.items():
        last_before = max((i for i, (_v, at) in enumerate(history) if at < began), default=None)
        if last_before is None:
            continue
        before += 1
        # The value acknowledged last before the backup began, or a later save of it.
        allowed = {value for value, _at in history[last_before:]} | set(
            sent[key][last_before + 1 :]
        )
        assert key in stored, f"acknowledged answer {key} missing from the backup"
        assert stored[key] in allowed, (key, stored[key], allowed)
    assert before >= 500  # most of the 1,000 saves before it (some changed an answer)
    # Nothing in the backup that nobody saved.
    assert all(stored[key] in {v for v, _ in acks[key]} | set(sent[key]) for key in stored)

    for relative, data in uploads.items():
        assert (tmp_path / "restored-uploads" / relative).read_bytes() == data
    assert not (tmp_path / "restored-uploads" / "papers" / ".upload-tmp.pdf").exists()
    assert {e.path for e in manifest.uploads} == {f"uploads/{r}" for r in uploads}


# --------------------------------------------------------------------- the backup file


def test_backup_file_is_named_private_and_never_left_half_written(source, tmp_path):
    seed()
    folder = tmp_path / "backups"
    at = datetime(2026, 12, 7, 22, 30, 5, tzinfo=UTC)
    first = backup.create_backup(directory=folder, now=at)
    assert first.path.name == "mockexam-backup-20261207T223005Z.tar.gz"
    assert first.path.stat().st_mode & 0o777 == 0o600
    with tarfile.open(first.path) as tar:
        names = tar.getnames()
    assert names[0] == backup.DATABASE_MEMBER[first.manifest.kind]
    assert names[-1] == backup.MANIFEST
    assert backup.read_manifest(first.path) == first.manifest

    # A second one in the same second gets a suffix (and, newest of its day, replaces it).
    second = backup.create_backup(directory=folder, now=at)
    assert second.path.name == "mockexam-backup-20261207T223005Z-2.tar.gz"
    assert second.path.stat().st_mode & 0o777 == 0o600
    assert second.deleted == (first.path,)
    assert sorted(p.name for p in folder.iterdir()) == sorted([second.path.name, backup.LOCK_NAME])

    # A backup that fails leaves nothing under a backup's name (nor a temporary).
    if source.startswith("sqlite"):
        broken = source.replace("/db-", "/missing-")
    else:
        broken = source.rsplit("/", 1)[0] + "/no_such_database_here"
    with pytest.raises(backup.BackupError):
        backup.create_backup(directory=folder, database_url=broken, now=at + timedelta(hours=1))
    assert sorted(p.name for p in folder.iterdir()) == sorted([second.path.name, backup.LOCK_NAME])


def test_a_second_backup_into_the_same_folder_at_once_is_refused(source, tmp_path):
    import fcntl

    folder = tmp_path / "backups"
    folder.mkdir()
    with (folder / backup.LOCK_NAME).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(backup.BackupInProgressError, match="right now"):
            backup.create_backup(directory=folder)
    assert backup.create_backup(directory=folder).path.exists()


def test_libpq_environment_carries_the_password_and_refuses_unknown_parameters():
    env = backup.libpq_env(
        "postgresql+psycopg://exam:s3cr%40t@db.example.uz:6432/mockexam?sslmode=require"
    )
    assert env == {
        "PGHOST": "db.example.uz",
        "PGPORT": "6432",
        "PGUSER": "exam",
        "PGPASSWORD": "s3cr@t",
        "PGDATABASE": "mockexam",
        "PGSSLMODE": "require",
    }
    with pytest.raises(backup.BackupError, match="'prepare_threshold'"):
        backup.libpq_env("postgresql+psycopg://u@h/db?prepare_threshold=0")


# ---------------------------------------------------------------------------- rotation


def test_rotation_keeps_the_newest_per_day_and_per_iso_week_and_nothing_else():
    ours = {
        "K": "mockexam-backup-20261207T143000Z-2.tar.gz",  # Mon, week 50 (newest)
        "A": "mockexam-backup-20261207T143000Z.tar.gz",
        "B": "mockexam-backup-20261207T023000Z.tar.gz",
        "C": "mockexam-backup-20261206T023000Z.tar.gz",  # Sun, week 49
        "D": "mockexam-backup-20261204T023000Z.tar.gz",  # Fri, week 49 (12-05: none)
        "E": "mockexam-backup-20261203T023000Z.tar.gz",
        "F": "mockexam-backup-20261130T023000Z.tar.gz",  # Mon, week 49
        "G": "mockexam-backup-20261129T023000Z.tar.gz",  # Sun, week 48
        "H": "mockexam-backup-20261125T023000Z.tar.gz",  # Wed, week 48
        "I": "mockexam-backup-20261120T023000Z.tar.gz",  # week 47
        "J": "mockexam-backup-20261115T023000Z.tar.gz",  # week 46
    }
    foreign = [
        "notes.txt",
        "mockexam-backup-latest.tar.gz",
        "mockexam-backup-20261301T000000Z.tar.gz",  # month 13: not a stamp of ours
        "mockexam-backup-20261207T023000Z.tar.gz.bak",
        ".mockexam-backup-abc123.partial",
    ]
    names = [*ours.values(), *foreign]
    random.Random(3).shuffle(names)

    plan = backup.plan_rotation(names, keep_daily=3, keep_weekly=3)
    # days: 12-07 (K), 12-06 (C), 12-04 (D); weeks: 50 (K), 49 (C), 48 (G)
    assert plan.keep == tuple(ours[k] for k in "KCDG")
    assert plan.delete == tuple(ours[k] for k in "ABEFHIJ")

    assert backup.plan_rotation(names, keep_daily=1, keep_weekly=0).keep == (ours["K"],)
    everything = backup.plan_rotation(names, keep_daily=30, keep_weekly=0)
    assert set(everything.keep) == {ours[k] for k in "KCDEFGHIJ"}  # newest of each day
    assert set(everything.delete) == {ours["A"], ours["B"]}
    weekly = backup.plan_rotation(names, keep_daily=1, keep_weekly=10)
    assert weekly.keep == tuple(ours[k] for k in "KCGIJ")


def test_rotate_deletes_only_backups_the_plan_drops(tmp_path):
    names = [
        "mockexam-backup-20261207T023000Z.tar.gz",
        "mockexam-backup-20261206T023000Z.tar.gz",
        "mockexam-backup-20261205T023000Z.tar.gz",
        "mockexam-backup-20261204T023000Z.tar.gz",
        "notes.txt",
        "mockexam-backup-20261201T023000Z.tar.gz.bak",
    ]
    for name in names:
        (tmp_path / name).write_text("x")
    deleted = backup.rotate(tmp_path, keep_daily=2, keep_weekly=0)
    assert [p.name for p in deleted] == [names[2], names[3]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [names[0], names[1], names[4], names[5]]
    )


def test_rotation_after_a_backup_uses_the_keep_counts(source, tmp_path):
    seed(1)
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [
        folder / "mockexam-backup-20261201T223000Z.tar.gz",
        folder / "mockexam-backup-20261202T223000Z.tar.gz",
    ]
    for path in old:
        path.write_text("an old backup")
    made = backup.create_backup(
        directory=folder,
        now=datetime(2026, 12, 3, 22, 30, tzinfo=UTC),
        keep_daily=2,
        keep_weekly=0,
    )
    assert made.deleted == (old[0],)
    assert sorted(p.name for p in folder.glob("mockexam-backup-*")) == sorted(
        [old[1].name, made.path.name]
    )


# ----------------------------------------------------------------------------- restore


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(source, target, tmp_path):
    seed(5)
    made = backup.create_backup(directory=tmp_path / "backups")
    migrate(target)
    engine = create_engine(target, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO student (telegram_id, first_name, last_name, language_code, "
                "is_reachable, created_at, updated_at) VALUES (42, 'Only', '', 'uz', true, "
                "'2026-12-01 10:00:00+00', '2026-12-01 10:00:00+00')"
            )
        )
    engine.dispose()
    before = scratch_summaries(target)

    with pytest.raises(backup.RestoreRefusedError) as refused:
        backup.restore(made.path, database_url=target, upload_dir=tmp_path / "up2")
    message = str(refused.value)
    assert "not empty" in message and "1 student" in message
    assert "--force" in message and "Nothing was changed" in message
    assert scratch_summaries(target) == before
    assert not (tmp_path / "up2").exists()

    forced = backup.restore(made.path, database_url=target, force=True, upload_dir=tmp_path / "up2")
    assert forced.ok, forced.describe()
    assert forced.replaced is not None and forced.replaced.rows == (("student", 1),)
    assert "Replaced what was there: 1 student" in forced.describe()
    assert scratch_summaries(target) == made.manifest.tables
    if target.startswith("sqlite"):
        assert forced.kept_aside is not None and forced.kept_aside.exists()


def test_restore_into_a_migrated_empty_database_is_allowed(source, target, tmp_path):
    seed(3)
    made = backup.create_backup(directory=tmp_path / "backups")
    migrate(target)  # seeded reference rows and alembic_version only: still empty
    assert backup.database_contents(target).empty
    restored = backup.restore(made.path, database_url=target, upload_dir=tmp_path / "up2")
    assert restored.ok, restored.describe()
    assert scratch_summaries(target) == made.manifest.tables


def test_restore_of_an_older_schema_upgrades_to_head(kind, tmp_path, monkeypatch):
    dbs = fresh_database(kind, tmp_path)
    old = next(dbs)
    try:
        # Rows written by today's models, then the schema taken back to 0006 (data kept):
        # an older server's database, as a backup of it would hold.
        migrate(old)
        monkeypatch.setattr(settings, "database_url", old)
        monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
        seed(4)
        _forget_engine(old)
        config = Config(str(PROJECT_ROOT / "alembic.ini"))
        config.set_main_option("sqlalchemy.url", old.replace("%", "%%"))
        command.downgrade(config, "0006")
        _forget_engine(old)
        made = backup.create_backup(directory=tmp_path / "backups")
        assert made.manifest.schema_revision == "0006"
        assert "heartbeat" not in {t.name for t in made.manifest.tables}
        for new in fresh_database(kind, tmp_path):
            restored = backup.restore(made.path, database_url=new, upload_dir=tmp_path / "u2")
            assert restored.ok, restored.describe()
            assert restored.revision_after == HEAD
            assert "heartbeat" in table_names(new)
    finally:
        for _ in dbs:
            pass


@pytest.mark.parametrize(
    "damage",
    ["truncated", "random bytes", "tampered database", "no manifest", "foreign archive"],
)
def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(
    source, target, tmp_path, damage
):
    seed(2)
    made = backup.create_backup(directory=tmp_path / "backups")
    data = made.path.read_bytes()
    bad = tmp_path / "bad.tar.gz"
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "random bytes":
        bad.write_bytes(random.Random(1).randbytes(5000))
    else:
        with tarfile.open(made.path) as tar:
            members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
        with tarfile.open(bad, "w:gz") as out:
            for member, content in members:
                if damage == "tampered database" and member.name.startswith("database."):
                    middle = len(content) // 2  # same size, some bytes flipped
                    flipped = bytes(b ^ 0xFF for b in content[middle : middle + 64])
                    content = content[:middle] + flipped + content[middle + 64 :]
                if damage == "no manifest" and member.name == backup.MANIFEST:
                    continue
                if damage == "foreign archive":
                    member.name = f"home/{member.name}"
                out.addfile(member, io.BytesIO(content))
    expected = {
        "truncated": "damaged, incomplete",
        "random bytes": "not a backup at all",
        "tampered database": "does not match its checksum",
        "no manifest": "has no manifest",
        "foreign archive": "no mockexam backup has",
    }[damage]
    with pytest.raises(backup.BackupFileError, match=expected):
        backup.restore(bad, database_url=target, upload_dir=tmp_path / "up2")
    assert table_names(target) == set()
    assert not (tmp_path / "up2").exists()
    with pytest.raises(backup.BackupFileError, match="is not a file"):
        backup.restore(tmp_path / "nothing.tar.gz", database_url=target)


@pytest.mark.postgres
def test_restore_refuses_a_backup_of_the_other_database_kind(tmp_path, monkeypatch):
    for sqlite_url in fresh_database("sqlite", tmp_path):
        migrate(sqlite_url)
        monkeypatch.setattr(settings, "database_url", sqlite_url)
        monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
        seed(1)
        made = backup.create_backup(directory=tmp_path / "backups")
        for pg_url in fresh_database("postgres", tmp_path):
            with pytest.raises(backup.RestoreRefusedError, match="is a sqlite backup") as err:
                backup.restore(made.path, database_url=pg_url)
            assert "postgresql database" in str(err.value)
            assert table_names(pg_url) == set()


def test_restore_refuses_a_sqlite_file_in_use(tmp_path, monkeypatch):
    for url in fresh_database("sqlite", tmp_path):
        migrate(url)
        monkeypatch.setattr(settings, "database_url", url)
        monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
        seed(1)
        made = backup.create_backup(directory=tmp_path / "backups")
        with session_scope(readonly=True) as db:  # the app's pool holds the file open
            db.connection()
            with pytest.raises(backup.RestoreRefusedError, match="in use"):
                backup.restore(made.path, database_url=url, force=True)
        _forget_engine(url)
        assert backup.restore(made.path, database_url=url, force=True).ok


# ------------------------------------------------------------------------ nightly task


def test_nightly_backup_is_scheduled_at_0330_tashkent():
    from mockexam.tasks import nightly_backup
    from mockexam.worker import huey

    def due(moment: datetime) -> set[str]:
        return {task.name for task in huey.read_periodic(moment)}

    assert nightly_backup.task_class.__name__ in due(datetime(2026, 12, 7, 22, 30))
    assert nightly_backup.task_class.__name__ not in due(datetime(2026, 12, 7, 22, 31))


def test_nightly_backup_skips_without_backup_dir_and_beats_when_it_backs_up(
    source, tmp_path, monkeypatch
):
    from mockexam.tasks import nightly_backup

    seed(1)
    monkeypatch.setattr(settings, "backup_dir", None)
    nightly_backup()
    with session_scope() as db:
        assert heartbeat.last_beat(db, heartbeat.BACKUP).at is None
    assert not (tmp_path / "nightly").exists()

    monkeypatch.setattr(settings, "backup_dir", tmp_path / "nightly")
    nightly_backup()
    files = sorted((tmp_path / "nightly").glob("mockexam-backup-*.tar.gz"))
    assert len(files) == 1
    with session_scope() as db:
        beat = heartbeat.last_beat(db, heartbeat.BACKUP)
    assert beat.detail == str(files[0])
    assert beat.age_seconds(utcnow()) < 60

    nightly_backup()  # the next tick of the same minute: a backup is < 1 h old
    assert sorted((tmp_path / "nightly").glob("mockexam-backup-*.tar.gz")) == files
    later = utcnow() + timedelta(hours=1, minutes=1)
    again = backup.scheduled_backup(now=later)  # an hour on, it backs up again
    assert again is not None and again.path != files[0] and again.path.exists()
    with session_scope() as db:
        assert heartbeat.last_beat(db, heartbeat.BACKUP).detail == str(again.path)


def test_a_failed_nightly_backup_logs_an_error_and_does_not_beat(
    source, tmp_path, monkeypatch, caplog
):
    from mockexam.tasks import nightly_backup

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(settings, "backup_dir", blocker / "backups")
    with caplog.at_level(logging.ERROR, logger="mockexam.services.backup"):
        nightly_backup()
    assert any(r.levelno == logging.ERROR and "FAILED" in r.getMessage() for r in caplog.records)
    with session_scope() as db:
        assert heartbeat.last_beat(db, heartbeat.BACKUP).at is None


@pytest.mark.postgres
def test_the_same_rows_give_the_same_checksums_on_sqlite_and_postgresql(tmp_path):
    from sqlalchemy import insert

    from mockexam.models import Admin, AuditLog, Student, metadata

    at = datetime(2026, 12, 7, 3, 30, 0, 123456, tzinfo=UTC)
    rows = {
        Student: [
            {
                "id": 1,
                "telegram_id": 9_000_000_001,
                "first_name": "Дилноза",
                "last_name": "",
                "username": None,
                "language_code": "uz",
                "is_reachable": True,
                "created_at": at,
                "updated_at": at,
                "last_seen_at": None,
            },
        ],
        AuditLog: [
            {
                "id": 1,
                "admin_id": None,
                "action": "edit",
                "entity": "exam",
                "entity_id": 3,
                "details": {"b": [1, 2.5, None], "a": "x"},
                "created_at": at,
            },
        ],
    }
    summaries = []
    for kind in ("sqlite", "postgres"):
        for url in fresh_database(kind, tmp_path):
            engine = create_engine(url, poolclass=NullPool)
            metadata.create_all(
                engine, tables=[Admin.__table__, Student.__table__, AuditLog.__table__]
            )
            with engine.begin() as conn:
                for model, values in rows.items():
                    conn.execute(insert(model.__table__), values)
                summaries.append(backup.table_summaries(conn))
            engine.dispose()
    sqlite_tables, pg_tables = summaries
    assert [(t.name, t.rows) for t in sqlite_tables] == [
        ("admin", 0),
        ("auditlog", 1),
        ("student", 1),
    ]
    assert sqlite_tables == pg_tables


def test_nightly_backup_follows_the_local_zone(monkeypatch):
    """03:30 in LOCAL_TIMEZONE: in Asia/Kolkata (UTC+05:30) that is 22:00 UTC."""
    from mockexam.tasks import _utc_crontab_for_local

    monkeypatch.setattr(settings, "local_timezone", "Asia/Kolkata")  # UTC+05:30
    at = _utc_crontab_for_local(3, 30)
    assert at(datetime(2026, 12, 7, 22, 0)) and not at(datetime(2026, 12, 7, 22, 30))
    monkeypatch.setattr(settings, "local_timezone", "Asia/Tashkent")
    assert _utc_crontab_for_local(3, 30)(datetime(2026, 12, 7, 22, 30))
