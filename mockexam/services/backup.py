"""Backups and restore (issue 19 §6): one file per backup, with a manifest that proves it.

A backup is one `mockexam-backup-<UTC stamp>.tar.gz` holding the database
(SQLite: a copy made through SQLite's online backup API; PostgreSQL: a
`pg_dump --format=custom`), the uploaded question papers and practice images
(UPLOAD_DIR), and `manifest.json` (written last): when, which database kind,
the schema revision, the app's commit, and for every table its row count and
a checksum, plus a SHA-256 of every other member so a damaged file is found
before anything is changed.

Why the manifest can be trusted while students save: its counts and
checksums are taken from the very snapshot that goes into the file. SQLite's
backup copies the database in one step inside one read transaction (WAL lets
writers go on), and the manifest is computed from the copy. On PostgreSQL a
REPEATABLE READ transaction exports its snapshot (`pg_export_snapshot()`), the
manifest is computed inside it, and `pg_dump --snapshot=…` dumps exactly that.

The file is written under a hidden temporary name and linked to its final
name only when complete, with mode 0600 (it holds personal data). Rotation
deletes only files whose names match the backup pattern.

A restore goes into an *empty* database only (see `DatabaseContents`), unless
forced; it checks the whole file first, restores, compares every table's count
and checksum with the manifest, then migrates to the latest schema.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from sqlalchemy import MetaData, Table, create_engine, inspect, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from mockexam.config import PROJECT_ROOT, settings
from mockexam.db import get_engine, utcnow
from mockexam.errors import MockExamError
from mockexam.localtime import local_iso
from mockexam.services import heartbeat

logger = logging.getLogger(__name__)

Kind = Literal["sqlite", "postgresql"]

FORMAT = "mockexam-backup"
FORMAT_VERSION = 1
NAME_PREFIX = "mockexam-backup-"
NAME_SUFFIX = ".tar.gz"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# mockexam-backup-20261207T223000Z.tar.gz, or …Z-2.tar.gz for a second one in that second.
NAME_PATTERN = re.compile(r"^mockexam-backup-(\d{8}T\d{6}Z)(?:-(\d{1,3}))?\.tar\.gz$")
PARTIAL_PREFIX = ".mockexam-backup-"
PARTIAL_SUFFIX = ".partial"
LOCK_NAME = ".mockexam-backup.lock"
# A crashed backup's leftover temporary file or work folder is removed after this.
STALE_PARTIAL = timedelta(hours=6)

MANIFEST = "manifest.json"
DATABASE_MEMBER: dict[Kind, str] = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
UPLOADS_PREFIX = "uploads/"

# A database counts as empty when none of mockexam's tables holds a row, except
# these: the schema version, the heartbeats (a consumer pointed at a new database
# beats there at once) and the reference rows the migrations seed.
NOT_COUNTED_FOR_EMPTY = frozenset({"alembic_version", "heartbeat", "achievement", "practicetopic"})
# The nightly task runs on every scheduler tick of its minute; one backup is enough.
RECENT_BACKUP = timedelta(hours=1)
PG_URL_PARAMS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "host": "PGHOST",
    "port": "PGPORT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
_PG_ENV = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE")


class BackupError(MockExamError):
    """A backup or restore could not be done; the message says why and what to do."""


class BackupInProgressError(BackupError):
    """Another backup is writing into the same folder right now."""


class BackupFileError(BackupError):
    """The file is not a usable mockexam backup (foreign, damaged or incomplete)."""


class RestoreRefusedError(BackupError):
    """The target is not empty (or is in use, or of another kind): nothing was changed."""


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class TableSummary:
    """One table as it is in a backup: its row count and the checksum of its rows."""

    name: str
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One member of the backup file besides the manifest, with its size and SHA-256."""

    path: str  # inside the archive: database.* or uploads/<relative path>
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a backup holds; `manifest.json` in the file."""

    created_at: datetime
    kind: Kind
    schema_revision: str | None
    app_version: str
    tables: tuple[TableSummary, ...]
    database: FileEntry
    uploads: tuple[FileEntry, ...] = ()
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "format_version": self.format_version,
                "created_at": self.created_at.isoformat(),
                "kind": self.kind,
                "schema_revision": self.schema_revision,
                "app_version": self.app_version,
                "tables": [
                    {"name": t.name, "rows": t.rows, "sha256": t.sha256} for t in self.tables
                ],
                "database": _entry_json(self.database),
                "uploads": [_entry_json(e) for e in self.uploads],
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parse `manifest.json`; BackupFileError for anything that is not ours."""
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupFileError("its manifest is not a mockexam backup manifest")
            version = int(data["format_version"])
            if version > FORMAT_VERSION:
                raise BackupFileError(
                    f"it was written by a newer mockexam (backup format {version}); "
                    "update this installation first"
                )
            kind = data["kind"]
            if kind not in DATABASE_MEMBER:
                raise BackupFileError(f"its database kind {kind!r} is unknown")
            return cls(
                created_at=datetime.fromisoformat(data["created_at"]),
                kind=kind,
                schema_revision=data["schema_revision"],
                app_version=str(data.get("app_version", "")),
                tables=tuple(
                    TableSummary(name=str(t["name"]), rows=int(t["rows"]), sha256=str(t["sha256"]))
                    for t in data["tables"]
                ),
                database=_entry_from(data["database"]),
                uploads=tuple(_entry_from(e) for e in data["uploads"]),
                format_version=version,
            )
        except BackupFileError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise BackupFileError(f"its manifest is unreadable ({err})") from err

    def rows(self, table: str) -> int | None:
        return next((t.rows for t in self.tables if t.name == table), None)


def _entry_json(entry: FileEntry) -> dict[str, object]:
    return {"path": entry.path, "size": entry.size, "sha256": entry.sha256}


def _entry_from(data: Mapping[str, Any]) -> FileEntry:
    return FileEntry(path=str(data["path"]), size=int(data["size"]), sha256=str(data["sha256"]))


@dataclass(frozen=True)
class BackupResult:
    """A backup that was written, and what rotation deleted."""

    path: Path
    manifest: Manifest
    size: int
    deleted: tuple[Path, ...] = ()

    def describe(self) -> str:
        m = self.manifest
        rows = sum(t.rows for t in m.tables)
        lines = [
            f"Backup written: {self.path} ({_human_size(self.size)}, mode 0600).",
            f"  {m.kind} database at schema {m.schema_revision or 'unknown'}: "
            f"{len(m.tables)} tables, {rows:,} rows; {len(m.uploads)} uploaded file(s).",
        ]
        if self.deleted:
            names = ", ".join(p.name for p in self.deleted)
            lines.append(f"  Rotation deleted {len(self.deleted)} old backup(s): {names}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class TableCheck:
    """One table after a restore against the manifest."""

    name: str
    expected_rows: int | None  # None: not in the manifest
    rows: int | None  # None: not in the restored database
    expected_sha256: str | None
    sha256: str | None

    @property
    def ok(self) -> bool:
        return self.expected_rows == self.rows and self.expected_sha256 == self.sha256


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did and whether the data matches the manifest."""

    manifest: Manifest
    database: str  # the target, without its password
    checks: tuple[TableCheck, ...]
    revision_after: str | None
    uploads_restored: int
    replaced: DatabaseContents | None = None  # what --force replaced
    kept_aside: Path | None = None  # SQLite --force: the old database file, moved aside

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def mismatches(self) -> tuple[TableCheck, ...]:
        return tuple(check for check in self.checks if not check.ok)

    def describe(self) -> str:
        m = self.manifest
        rows = sum(t.rows for t in m.tables)
        lines = [
            f"Restored the backup of {local_iso(m.created_at)} {settings.local_timezone} "
            f"({m.kind}, schema "
            f"{m.schema_revision or 'unknown'}, app {m.app_version or 'unknown'}) into "
            f"{self.database}.",
        ]
        if self.replaced is not None and not self.replaced.empty:
            lines.append(f"  Replaced what was there: {self.replaced.describe()}.")
        if self.kept_aside is not None:
            lines.append(f"  The old database file was kept as {self.kept_aside}.")
        if self.ok:
            lines.append(
                f"  All {len(self.checks)} tables match the manifest "
                f"({rows:,} rows; counts and checksums)."
            )
        else:
            lines.append(f"  {len(self.mismatches)} table(s) DO NOT match the manifest:")
            lines.extend(
                f"    {check.name}: {_rows(check.rows)} rows (manifest: "
                f"{_rows(check.expected_rows)}), checksum "
                f"{'same' if check.sha256 == check.expected_sha256 else 'different'}"
                for check in self.mismatches
            )
        lines.append(f"  Uploaded files restored: {self.uploads_restored}.")
        lines.append(f"  Migrated to the latest schema: {self.revision_after or 'unknown'}.")
        return "\n".join(lines)


def _rows(n: int | None) -> str:
    return "no table" if n is None else f"{n:,}"


@dataclass(frozen=True)
class DatabaseContents:
    """The rows in mockexam's tables of a database (those `NOT_COUNTED_FOR_EMPTY` left out).

    Empty means: none of the tables of mockexam's current models that exist in
    the database holds a row, not counting alembic_version, heartbeat and the
    reference rows the migrations seed (achievement, practicetopic). So a
    database without tables, and one just migrated, are empty; one with a single
    student, admin or exam is not. Files in UPLOAD_DIR do not count (a restore
    only adds files, or writes over one of the same name).
    """

    rows: tuple[tuple[str, int], ...]  # (table, rows) of the non-empty counted tables

    @property
    def empty(self) -> bool:
        return not self.rows

    def describe(self) -> str:
        parts = [f"{n:,} {_plural(table, n)}" for table, n in self.rows]
        if not parts:
            return "nothing"
        return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


_FRIENDLY = {
    "examsession": "exam sessions",
    "examitem": "exam items",
    "answer": "answers",
    "student": "students",
    "exam": "exams",
}


def _plural(table: str, n: int) -> str:
    if table in _FRIENDLY:
        name = _FRIENDLY[table]
        return name[:-1] if n == 1 else name
    return f"{table} row" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class RotationPlan:
    """Which backup files rotation keeps and deletes (names; others are never touched)."""

    keep: tuple[str, ...]
    delete: tuple[str, ...]


# ----------------------------------------------------------------------------- helpers


def database_kind(url: str) -> Kind:
    """'sqlite' or 'postgresql' for a SQLAlchemy URL; BackupError for anything else."""
    backend = make_url(url).get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend  # type: ignore[return-value]
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend!r}.")


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def backup_name(at: datetime, n: int = 1) -> str:
    """The file name of a backup taken at `at` (the n-th in that second gets a suffix)."""
    stamp = at.astimezone(UTC).strftime(STAMP_FORMAT)
    return f"{NAME_PREFIX}{stamp}{'' if n == 1 else f'-{n}'}{NAME_SUFFIX}"


def _stamp_of(name: str) -> tuple[datetime, int] | None:
    match = NAME_PATTERN.match(name)
    if match is None:
        return None
    try:
        at = datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return at, int(match.group(2) or 1)


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def app_version() -> str:
    """The git commit of this checkout (short), or '' when it cannot be told cheaply."""
    if not (PROJECT_ROOT / ".git").exists() or shutil.which("git") is None:
        return ""
    try:
        done = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _scratch_engine(url: str) -> Engine:
    """An engine of its own (no pool, no app pragmas) for reading a copy or a target."""
    return create_engine(url, poolclass=NullPool)


# ------------------------------------------------------------------ counts and checksums


def _normalise(value: Any) -> Any:
    """A JSON-able form of one column value that SQLite and PostgreSQL agree on."""
    if isinstance(value, datetime):
        if value.utcoffset() is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def _reflect(conn: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(bind=conn)
    return sorted(metadata.tables.values(), key=lambda t: t.name)


def table_summaries(conn: Connection) -> tuple[TableSummary, ...]:
    """Every table of the connection's schema: row count and SHA-256 of its rows.

    The rows are read in primary-key order (all columns when there is none), each
    as a JSON array of its values in column-name order, normalised by `_normalise`
    (timestamps as naive UTC with microseconds, JSON sorted by key), so the same
    data gives the same checksum on SQLite and on PostgreSQL. Runs in whatever
    transaction `conn` is in: that is what makes the summaries a snapshot's.
    """
    summaries = []
    for table in _reflect(conn):
        columns = sorted(table.columns, key=lambda c: c.name)
        order = list(table.primary_key.columns) or columns
        digest = hashlib.sha256()
        digest.update(json.dumps([c.name for c in columns]).encode() + b"\n")
        rows = 0
        result = conn.execution_options(yield_per=5000).execute(select(*columns).order_by(*order))
        for row in result:
            line = json.dumps(
                [_normalise(v) for v in row],
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
                default=str,
            )
            digest.update(line.encode() + b"\n")
            rows += 1
        summaries.append(TableSummary(name=table.name, rows=rows, sha256=digest.hexdigest()))
    return tuple(summaries)


def schema_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None without an alembic_version table)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def database_contents(url: str) -> DatabaseContents:
    """What the database at `url` holds, for the 'empty' rule of restore."""
    from mockexam.models import metadata

    if database_kind(url) == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return DatabaseContents(rows=())
    engine = _scratch_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            counted = sorted((set(metadata.tables) & present) - NOT_COUNTED_FOR_EMPTY)
            rows = []
            for name in counted:
                n = conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                if n:
                    rows.append((name, int(n)))
    finally:
        engine.dispose()
    # The tables people think of first, then the rest by name.
    first = ["exam", "student", "examsession", "answer"]
    rows.sort(key=lambda r: (first.index(r[0]) if r[0] in first else len(first), r[0]))
    return DatabaseContents(rows=tuple(rows))


def _upload_files(upload_dir: Path | None, *, skip: Path | None) -> list[tuple[str, Path]]:
    """(relative posix path, file) of every uploaded file; hidden files (temporaries),
    symlinks and anything under `skip` (a backup folder inside UPLOAD_DIR) are left out."""
    if upload_dir is None or not upload_dir.is_dir():
        return []
    base = upload_dir.resolve()
    skip_resolved = skip.resolve() if skip is not None else None
    found = []
    for root, dirs, files in os.walk(base):
        root_path = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and not (root_path / d).is_symlink()
            and (skip_resolved is None or (root_path / d).resolve() != skip_resolved)
        )
        for name in sorted(files):
            path = root_path / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            found.append((path.relative_to(base).as_posix(), path))
    return found


# ------------------------------------------------------------------------------ backup


@contextlib.contextmanager
def _backup_lock(directory: Path) -> Iterator[None]:
    """One backup at a time per folder (the nightly task ticks several times a minute)."""
    with (directory / LOCK_NAME).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise BackupInProgressError(
                f"Another backup is being written into {directory} right now."
            ) from err
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def create_backup(
    *,
    directory: Path | None = None,
    database_url: str | None = None,
    upload_dir: Path | None = None,
    keep_daily: int | None = None,
    keep_weekly: int | None = None,
    now: datetime | None = None,
) -> BackupResult:
    """Back up the database and UPLOAD_DIR into one new file in `directory`, then rotate.

    Defaults: BACKUP_DIR, DATABASE_URL, UPLOAD_DIR and the keep counts from settings.
    Beats `heartbeat.BACKUP` with the file's path on success. BackupError (nothing
    left behind under a backup's name) when anything fails.
    """
    directory = directory or settings.backup_dir
    if directory is None:
        raise BackupError("No backup folder: pass --dir DIR or set BACKUP_DIR.")
    url = database_url or settings.database_url
    upload_dir = settings.upload_dir if upload_dir is None else upload_dir
    kind = database_kind(url)
    directory = Path(directory)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as err:
        raise BackupError(f"Cannot create the backup folder {directory}: {err}") from err
    if not os.access(directory, os.W_OK | os.X_OK):
        raise BackupError(f"The backup folder {directory} is not writable by this user.")
    now = now or utcnow()
    with _backup_lock(directory):
        _remove_stale_partials(directory, now)
        work = Path(tempfile.mkdtemp(prefix=f"{PARTIAL_PREFIX}work-", dir=directory))
        try:
            member = DATABASE_MEMBER[kind]
            snapshot = work / member
            if kind == "sqlite":
                revision, tables = _snapshot_sqlite(url, snapshot)
            else:
                revision, tables = _snapshot_postgres(url, snapshot)
            database = FileEntry(member, snapshot.stat().st_size, _sha256_file(snapshot))
            path, manifest = _write_archive(
                directory,
                now=now,
                kind=kind,
                revision=revision,
                tables=tables,
                database=database,
                snapshot=snapshot,
                uploads=_upload_files(upload_dir, skip=directory),
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        deleted = rotate(
            directory,
            keep_daily=settings.backup_keep_daily if keep_daily is None else keep_daily,
            keep_weekly=settings.backup_keep_weekly if keep_weekly is None else keep_weekly,
        )
    try:
        with Session(get_engine(url)) as db:
            heartbeat.beat(db, heartbeat.BACKUP, detail=str(path), now=utcnow())
            db.commit()
    except SQLAlchemyError as err:  # e.g. a database not yet migrated to 0007
        logger.warning("Backup written, but its heartbeat was not recorded: %s", err)
    size = path.stat().st_size
    logger.info("Backup written: %s (%s bytes, %s tables)", path, size, len(tables))
    return BackupResult(path=path, manifest=manifest, size=size, deleted=tuple(deleted))


def _snapshot_sqlite(url: str, target: Path) -> tuple[str | None, tuple[TableSummary, ...]]:
    """Copy the live SQLite database with the online backup API; summarise the copy."""
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"The SQLite database {source_path} does not exist.")
    try:
        source = sqlite3.connect(source_path, timeout=60)
        try:
            copy = sqlite3.connect(target)
            try:
                # pages=-1: the whole database in one step, inside one read transaction,
                # so the copy is one consistent state while writers carry on (WAL).
                source.backup(copy, pages=-1)
                # A self-contained file: no -wal beside it once it is restored.
                copy.execute("PRAGMA journal_mode=DELETE")
                verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as err:
        raise BackupError(f"SQLite backup of {source_path} failed: {err}") from err
    if verdict != "ok":
        raise BackupError(f"The copy of {source_path} failed SQLite's check: {verdict}")
    engine = _scratch_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            return schema_revision(conn), table_summaries(conn)
    finally:
        engine.dispose()


def _snapshot_postgres(url: str, target: Path) -> tuple[str | None, tuple[TableSummary, ...]]:
    """pg_dump of one exported snapshot, summarised inside the same snapshot."""
    engine = _scratch_engine(url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.execute(text("SET TRANSACTION READ ONLY"))
                snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                server_major = int(conn.execute(text("SHOW server_version_num")).scalar_one())
                server_major //= 10000
                revision = schema_revision(conn)
                tables = table_summaries(conn)
                # The exporting transaction stays open while pg_dump imports its snapshot.
                _run_pg_tool(
                    "pg_dump",
                    server_major,
                    [
                        "--format=custom",
                        "--compress=0",  # the archive is gzipped once, as a whole
                        f"--snapshot={snapshot_id}",
                        "--no-password",
                        f"--file={target}",
                    ],
                    url,
                )
    except SQLAlchemyError as err:
        raise BackupError(f"PostgreSQL backup failed: {_first_line(err)}") from err
    finally:
        engine.dispose()
    return revision, tables


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def libpq_env(url: str) -> dict[str, str]:
    """The libpq environment (PGHOST, PGPASSWORD, …) for a SQLAlchemy PostgreSQL URL.

    `postgresql+psycopg://user:pw@host:5432/db?sslmode=require` becomes PGUSER,
    PGPASSWORD, PGHOST, PGPORT, PGDATABASE, PGSSLMODE: nothing secret on a command
    line. A query parameter libpq has no variable for is refused by name.
    """
    parsed = make_url(url)
    env: dict[str, str] = {}
    if parsed.host:
        env["PGHOST"] = parsed.host
    if parsed.port:
        env["PGPORT"] = str(parsed.port)
    if parsed.username:
        env["PGUSER"] = parsed.username
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    if parsed.database:
        env["PGDATABASE"] = parsed.database
    for key, value in parsed.query.items():
        name = PG_URL_PARAMS.get(key)
        if name is None:
            raise BackupError(
                f"DATABASE_URL has the parameter {key!r}, which pg_dump/pg_restore cannot be "
                f"given; supported: {', '.join(sorted(PG_URL_PARAMS))}."
            )
        env[name] = value if isinstance(value, str) else value[-1]
    return env


def _pg_tool(name: str, server_major: int) -> str:
    """The path of pg_dump/pg_restore of at least the server's major version."""
    candidates = [f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name)]
    found = [c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)]
    if not found:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools "
            f"(Debian: apt-get install postgresql-client-{server_major})."
        )
    for path in found:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
        match = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
        if match and int(match.group(1)) >= server_major:
            return path
    raise BackupError(
        f"{found[0]} is older than the PostgreSQL {server_major} server: install "
        f"postgresql-client-{server_major}."
    )


def _run_pg_tool(
    name: str, server_major: int, args: list[str], url: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in _PG_ENV}
    env.update(libpq_env(url))
    tool = _pg_tool(name, server_major)
    done = subprocess.run([tool, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = done.stderr.strip() or f"exit status {done.returncode}"
        raise BackupError(f"{name} failed: {detail}")
    return done


class _HashingReader:
    """A file wrapper that hashes what tarfile reads through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.digest.update(data)
        return data


def _write_archive(
    directory: Path,
    *,
    now: datetime,
    kind: Kind,
    revision: str | None,
    tables: tuple[TableSummary, ...],
    database: FileEntry,
    snapshot: Path,
    uploads: list[tuple[str, Path]],
) -> tuple[Path, Manifest]:
    """Write the archive under a temporary name (0600), then link it to its final name."""
    fd, partial_name = tempfile.mkstemp(prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX, dir=directory)
    partial = Path(partial_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6) as tar:
                tar.add(snapshot, arcname=database.path, recursive=False)
                entries = []
                for relative, path in uploads:
                    entry = _add_upload(tar, relative, path)
                    if entry is not None:
                        entries.append(entry)
                manifest = Manifest(
                    created_at=now,
                    kind=kind,
                    schema_revision=revision,
                    app_version=app_version(),
                    tables=tables,
                    database=database,
                    uploads=tuple(entries),
                )
                raw = manifest.to_json().encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(raw), int(now.timestamp()), 0o600
                tar.addfile(info, _BytesReader(raw))
            out.flush()
            os.fsync(out.fileno())
        final = _link_final(partial, directory, now)
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return final, manifest
    finally:
        partial.unlink(missing_ok=True)


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else self._at + size
        chunk, self._at = self._data[self._at : end], min(end, len(self._data))
        return chunk


def _add_upload(tar: tarfile.TarFile, relative: str, path: Path) -> FileEntry | None:
    """Add one uploaded file, hashing exactly the bytes written (None if it vanished)."""
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        return None  # replaced or deleted since the folder was listed
    with raw:
        stat = os.fstat(raw.fileno())
        info = tarfile.TarInfo(UPLOADS_PREFIX + relative)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
        reader = _HashingReader(raw)
        tar.addfile(info, reader)
    return FileEntry(UPLOADS_PREFIX + relative, stat.st_size, reader.digest.hexdigest())


def _link_final(partial: Path, directory: Path, now: datetime) -> Path:
    """Give the finished file its name without ever replacing an existing backup."""
    for n in range(1, 100):
        final = directory / backup_name(now, n)
        try:
            os.link(partial, final)
        except FileExistsError:
            continue
        return final
    raise BackupError(f"Too many backups named for {now:%Y-%m-%d %H:%M:%S} in {directory}.")


def _remove_stale_partials(directory: Path, now: datetime) -> None:
    """Remove temporaries a crashed backup left (ours only, and only old ones)."""
    for path in directory.glob(f"{PARTIAL_PREFIX}*"):
        try:
            age = now.timestamp() - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if age < STALE_PARTIAL.total_seconds():
            continue
        if path.is_dir() and path.name.startswith(f"{PARTIAL_PREFIX}work-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.name.endswith(PARTIAL_SUFFIX):
            path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------- rotation


def plan_rotation(names: Iterable[str], *, keep_daily: int, keep_weekly: int) -> RotationPlan:
    """Grandfather-father-son: which backups to keep and which to delete.

    Kept: the newest backup of each of the `keep_daily` most recent (UTC) days that
    have a backup, and the newest of each of the `keep_weekly` most recent ISO
    weeks that have one. Days without a backup do not use up the count, so a
    pause in backups never deletes the last good ones. Names that do not match
    the backup pattern are neither kept nor deleted: they are not ours.
    """
    stamped = sorted(
        ((stamp, name) for name in names if (stamp := _stamp_of(name)) is not None),
        reverse=True,
    )
    keep: set[str] = set()
    days: list[date] = []
    weeks: list[tuple[int, int]] = []
    for (at, _n), name in stamped:  # newest first
        day = at.date()
        if day not in days:
            days.append(day)
            if len(days) <= keep_daily:
                keep.add(name)
        week = at.isocalendar()[:2]
        if week not in weeks:
            weeks.append(week)
            if len(weeks) <= keep_weekly:
                keep.add(name)
    ordered = [name for _stamp, name in stamped]
    return RotationPlan(
        keep=tuple(n for n in ordered if n in keep),
        delete=tuple(n for n in ordered if n not in keep),
    )


def rotate(directory: Path, *, keep_daily: int, keep_weekly: int) -> list[Path]:
    """Delete the backups in `directory` that `plan_rotation` does not keep."""
    names = [p.name for p in directory.iterdir() if p.is_file() and not p.is_symlink()]
    plan = plan_rotation(names, keep_daily=keep_daily, keep_weekly=keep_weekly)
    deleted = []
    for name in plan.delete:
        path = directory / name
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        deleted.append(path)
        logger.info("Rotation deleted the old backup %s", path)
    return deleted


# ----------------------------------------------------------------------------- nightly


def scheduled_backup(*, now: datetime | None = None) -> BackupResult | None:
    """The nightly backup: None when BACKUP_DIR is unset, a backup ran within the last
    hour (the task fires on every scheduler tick of its minute) or another is running.

    A failure is logged as an error (and does not beat), never raised into the queue.
    """
    if settings.backup_dir is None:
        logger.debug("BACKUP_DIR is not set: no nightly backup")
        return None
    now = now or utcnow()
    try:
        with Session(get_engine()) as db:
            last = heartbeat.last_beat(db, heartbeat.BACKUP)
        age = last.age_seconds(now)
        if age is not None and age < RECENT_BACKUP.total_seconds():
            logger.info("A backup was made %.0f s ago (%s): skipping this tick", age, last.detail)
            return None
        return create_backup(now=now)
    except BackupInProgressError as err:
        logger.info("Nightly backup skipped: %s", err)
        return None
    except (MockExamError, OSError, SQLAlchemyError, tarfile.TarError) as err:
        logger.error("Nightly backup into %s FAILED: %s", settings.backup_dir, err, exc_info=True)
        return None


# ----------------------------------------------------------------------------- restore


@dataclass
class _Unpacked:
    manifest: Manifest
    database: Path
    uploads: list[tuple[str, Path]] = field(default_factory=list)


def _check_member_name(name: str, kind_members: set[str]) -> str:
    """The member's safe relative path; BackupFileError for anything unexpected."""
    posix = PurePosixPath(name)
    if posix.is_absolute() or ".." in posix.parts or not posix.parts:
        raise BackupFileError(f"it has a member with an unsafe path ({name!r})")
    normal = posix.as_posix()
    if normal == MANIFEST or normal in kind_members:
        return normal
    if normal.startswith(UPLOADS_PREFIX) and len(posix.parts) > 1:
        return normal
    raise BackupFileError(f"it has a member no mockexam backup has ({name!r})")


def unpack_backup(path: Path, work: Path) -> _Unpacked:
    """Extract and verify a backup into `work`; BackupFileError (and nothing else
    touched) for a file that is not a complete, undamaged mockexam backup."""
    path = Path(path)
    if not path.is_file():
        raise BackupFileError(f"{path} is not a file.")
    members = set(DATABASE_MEMBER.values())
    written: dict[str, tuple[Path, int, str]] = {}
    manifest_raw: bytes | None = None
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                name = _check_member_name(member.name, members)
                if not member.isfile():
                    raise BackupFileError(f"its member {name!r} is not a regular file")
                if name in written or (name == MANIFEST and manifest_raw is not None):
                    raise BackupFileError(f"it holds {name!r} twice")
                source = tar.extractfile(member)
                if source is None:
                    raise BackupFileError(f"its member {name!r} cannot be read")
                if name == MANIFEST:
                    manifest_raw = source.read(1 << 24)
                    continue
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                with target.open("wb") as out:
                    for chunk in iter(lambda s=source: s.read(1 << 20), b""):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                written[name] = (target, size, digest.hexdigest())
    except BackupFileError as err:
        raise BackupFileError(f"{path} is not a usable mockexam backup: {err}.") from err
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as err:
        raise BackupFileError(
            f"{path} is not a usable mockexam backup: it is damaged, incomplete or not a "
            f"backup at all ({_first_line(err)})."
        ) from err
    if manifest_raw is None:
        raise BackupFileError(f"{path} is not a usable mockexam backup: it has no manifest.")
    try:
        manifest = Manifest.from_json(manifest_raw)
    except BackupFileError as err:
        raise BackupFileError(f"{path} is not a usable mockexam backup: {err}.") from err
    expected = {e.path: e for e in (manifest.database, *manifest.uploads)}
    if manifest.database.path != DATABASE_MEMBER[manifest.kind]:
        raise BackupFileError(f"{path}: its manifest names the wrong database member.")
    for name, entry in expected.items():
        got = written.get(name)
        if got is None:
            raise BackupFileError(f"{path} is incomplete: {name} is missing.")
        if (got[1], got[2]) != (entry.size, entry.sha256):
            raise BackupFileError(
                f"{path} is damaged: {name} does not match its checksum in the manifest."
            )
    extra = set(written) - set(expected)
    if extra:
        raise BackupFileError(f"{path} holds files its manifest does not list: {sorted(extra)}")
    return _Unpacked(
        manifest=manifest,
        database=written[manifest.database.path][0],
        uploads=[
            (e.path.removeprefix(UPLOADS_PREFIX), written[e.path][0]) for e in manifest.uploads
        ],
    )


def read_manifest(path: Path) -> Manifest:
    """Verify a backup file completely (every checksum) and return its manifest."""
    work = Path(tempfile.mkdtemp(prefix=".mockexam-verify-"))
    try:
        return unpack_backup(path, work).manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def restore(
    path: Path,
    *,
    force: bool = False,
    database_url: str | None = None,
    upload_dir: Path | None = None,
) -> RestoreResult:
    """Restore a backup into the (empty) database and UPLOAD_DIR, then migrate to head.

    Refused, with nothing changed: a damaged or foreign file, a backup of the
    other database kind, a non-empty target without `force`, a SQLite file that
    another process has open. With `force` the target's contents are replaced.
    """
    url = database_url or settings.database_url
    upload_dir = Path(settings.upload_dir if upload_dir is None else upload_dir)
    kind = database_kind(url)
    path = Path(path)
    work_parent = _sqlite_path(url).resolve().parent if kind == "sqlite" else None
    if work_parent is not None:
        work_parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".mockexam-restore-", dir=work_parent))
    try:
        unpacked = unpack_backup(path, work)
        manifest = unpacked.manifest
        if manifest.kind != kind:
            raise RestoreRefusedError(
                f"{path.name} is a {manifest.kind} backup and DATABASE_URL is a {kind} database: "
                "a backup restores only into the same kind of database. Nothing was changed."
            )
        contents = database_contents(url)
        if not contents.empty and not force:
            raise RestoreRefusedError(
                f"The target is not empty: {safe_url(url)} holds {contents.describe()}. "
                "A restore goes into an empty database; --force replaces everything in the "
                "database with the backup's contents (and writes the backup's uploaded files "
                "over those of the same name). Nothing was changed."
            )
        if kind == "sqlite":
            checks, kept_aside = _restore_sqlite(unpacked, url)
        else:
            checks, kept_aside = _restore_postgres(unpacked, url, work), None
        revision = migrate_to_head(url)
        restored = _restore_uploads(unpacked.uploads, upload_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = RestoreResult(
        manifest=manifest,
        database=safe_url(url),
        checks=checks,
        revision_after=revision,
        uploads_restored=restored,
        replaced=contents if force else None,
        kept_aside=kept_aside,
    )
    if result.ok:
        logger.info("Restored %s into %s; every table matches", path, result.database)
    else:
        logger.error(
            "Restored %s, but tables differ from the manifest: %s", path, result.mismatches
        )
    return result


def _compare(manifest: Manifest, summaries: tuple[TableSummary, ...]) -> tuple[TableCheck, ...]:
    expected = {t.name: t for t in manifest.tables}
    found = {t.name: t for t in summaries}
    checks = []
    for name in sorted(set(expected) | set(found)):
        e, f = expected.get(name), found.get(name)
        checks.append(
            TableCheck(
                name=name,
                expected_rows=e.rows if e else None,
                rows=f.rows if f else None,
                expected_sha256=e.sha256 if e else None,
                sha256=f.sha256 if f else None,
            )
        )
    return tuple(checks)


def _refuse_if_in_use(target: Path) -> sqlite3.Connection | None:
    """An exclusive hold on the SQLite file, or RestoreRefusedError if another process has it open."""
    if not target.exists():
        return None
    conn = sqlite3.connect(target, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as err:
        conn.close()
        raise RestoreRefusedError(
            f"The database file {target} is in use ({err}): stop the app, the worker and the "
            "bot first (systemctl stop mockexam-*), then restore. Nothing was changed."
        ) from err
    return conn


def _restore_sqlite(unpacked: _Unpacked, url: str) -> tuple[tuple[TableCheck, ...], Path | None]:
    """Check the unpacked copy, then move it into place (the old file kept aside)."""
    target = _sqlite_path(url).resolve()
    copy = unpacked.database
    engine = _scratch_engine(f"sqlite:///{copy}")
    try:
        with engine.connect() as conn:
            checks = _compare(unpacked.manifest, table_summaries(conn))
    finally:
        engine.dispose()
    copy.chmod(0o600)
    holder = _refuse_if_in_use(target)
    kept_aside = None
    try:
        if holder is not None:
            # Everything of the old database into its main file, then set it aside.
            holder.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            holder.close()
            holder = None
            if target.stat().st_size > 0:
                stamp = utcnow().strftime(STAMP_FORMAT)
                kept_aside = target.with_name(f"{target.name}.before-restore-{stamp}")
                target.replace(kept_aside)
        for suffix in ("-wal", "-shm", "-journal"):
            # A stale WAL beside the new file would be replayed into it.
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        copy.replace(target)
    finally:
        if holder is not None:
            holder.close()
    # Pooled connections of this process to the old file must not be reused.
    from mockexam import db as db_module

    engine = db_module._engines.pop(url, None)
    if engine is not None:
        engine.dispose()
    return checks, kept_aside


def _restore_postgres(unpacked: _Unpacked, url: str, work: Path) -> tuple[TableCheck, ...]:
    """pg_restore in one transaction, then compare the target with the manifest."""
    engine = _scratch_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            server_major = int(conn.execute(text("SHOW server_version_num")).scalar_one())
        server_major //= 10000
        dumped = _dumped_tables(unpacked.database, server_major, url)
        args = ["--no-owner", "--no-acl", "--no-password", "--exit-on-error"]
        args.append("--single-transaction")  # all or nothing
        if present:
            # An empty-but-migrated or a forced target: drop what the dump recreates, in
            # the same transaction (a failure leaves the target as it was).
            args += ["--clean", "--if-exists"]
            extra = sorted(present - dumped)
            if extra:
                # Tables the backup's (older) schema lacks would block the migration after
                # the restore; only a forced restore can get here with rows in them.
                with engine.begin() as conn:
                    for name in extra:
                        conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        args += [f"--dbname={make_url(url).database}", str(unpacked.database)]
        _run_pg_tool("pg_restore", server_major, args, url)
        with engine.connect() as conn:
            return _compare(unpacked.manifest, table_summaries(conn))
    except SQLAlchemyError as err:
        raise BackupError(f"PostgreSQL restore failed: {_first_line(err)}") from err
    finally:
        engine.dispose()


def _dumped_tables(dump: Path, server_major: int, url: str) -> set[str]:
    """The tables a custom-format dump creates (from `pg_restore --list`)."""
    listing = _run_pg_tool("pg_restore", server_major, ["--list", str(dump)], url).stdout
    tables = set()
    for line in listing.splitlines():
        if line.startswith(";"):
            continue
        # "218; 1259 16390 TABLE public answer postgres"
        match = re.search(r"\bTABLE (\S+) (\S+) ", line)
        if match and " TABLE DATA " not in line:
            tables.add(match.group(2))
    return tables


def migrate_to_head(url: str) -> str | None:
    """Alembic upgrade to head on `url`; returns the revision it is at afterwards."""
    from alembic import command
    from alembic.config import Config

    from mockexam import db as db_module

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")
    engine = db_module._engines.pop(url, None)
    if engine is not None:
        engine.dispose()
    scratch = _scratch_engine(url)
    try:
        with scratch.connect() as conn:
            return schema_revision(conn)
    finally:
        scratch.dispose()


def _restore_uploads(files: list[tuple[str, Path]], upload_dir: Path) -> int:
    """Put the backup's uploaded files into UPLOAD_DIR (each written whole, then renamed)."""
    for relative, source in files:
        target = upload_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".restore-", dir=target.parent)
        os.close(fd)
        try:
            shutil.copyfile(source, temp)
            Path(temp).chmod(0o644)
            Path(temp).replace(target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    return len(files)
