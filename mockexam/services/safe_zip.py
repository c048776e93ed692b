"""Reading an uploaded ZIP archive without trusting it: limits checked while reading.

`zipfile` believes the archive: it builds one `ZipInfo` per central-directory
entry before anyone can count them, decompresses a member as far as its
declared size says, and raises `BadZipFile`, `zlib.error`, `EOFError`,
`RuntimeError` or `NotImplementedError` from deep inside a read. An upload is
written by whoever sent it, so here

- the number of entries is read from the end-of-central-directory record
  first (a 50 MB archive can declare ~600,000 entries, hundreds of MB of
  `ZipInfo`s), and the central directory is bounded too;
- every name is checked before anything is read: no absolute paths, no `..`,
  no backslashes or drive letters, no deep nesting, no duplicates; entries
  whose data overlap (one compressed kernel behind many entries) are refused;
- encrypted members and compression methods other than stored/deflate are
  refused by name;
- a member is read through `BoundedMember`, which counts the bytes actually
  decompressed (the declared sizes are checked as well, but only as a first
  filter): the member's own limit, the archive's total, and the
  compression ratio (a bomb unpacks at ~1000:1, real files at most ~20:1);
- every failure inside a read becomes an `ArchiveProblem` naming the member.

The caller turns `ArchiveProblem` into its own named error (for the practice
bank: a `QuestionImportError` line).
"""

from __future__ import annotations

import io
import itertools
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

MiB = 1024 * 1024


class ArchiveProblem(Exception):
    """Something wrong with the archive or one member: `where` (the member or the archive)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ZipLimits:
    """What an archive may hold. Sizes are unpacked bytes, measured while reading."""

    max_members: int
    max_total_bytes: int  # every member read, together
    max_depth: int = 4  # path parts of a member name ("a/b/c/d.png" is 4)
    max_ratio: int = 100  # unpacked : packed, once a member is past `ratio_floor`
    ratio_floor: int = 1 * MiB
    max_name_chars: int = 255
    # The central directory itself: zipfile parses all of it before the entries can be
    # counted (the end record may under-declare them). 5,100 entries of 255-character
    # names fit in 2 MB; 2 MB of minimal entries is ~45,000 ZipInfos (~20 MB), no more.
    max_directory_bytes: int = 2 * MiB


SUPPORTED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
# What a read of a damaged member raises inside zipfile / zlib.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError)
_READ_ERRORS_OS = (OSError, ValueError)


def _read_failure(err: BaseException) -> str:
    """A damaged member's failure in words an admin can act on."""
    text = str(err)
    if isinstance(err, zipfile.BadZipFile) and "CRC" in text:
        return "damaged: its checksum (CRC-32) does not match; make the archive again"
    if isinstance(err, zlib.error):
        return "damaged: its compressed data cannot be unpacked; make the archive again"
    if isinstance(err, EOFError):
        return "truncated: the archive ends inside this file; upload it again"
    if isinstance(err, RuntimeError) and "encrypted" in text:
        return "encrypted: archives with passwords are not accepted"
    if isinstance(err, NotImplementedError):
        return "uses a compression method that is not supported; use a standard ZIP (deflate)"
    return "damaged: it cannot be read from the archive; make the archive again"


class SafeZip:
    """An uploaded archive whose entries passed the checks; read members with `read`/`open`."""

    def __init__(self, data: bytes, name: str, limits: ZipLimits) -> None:
        self.name = name
        self.limits = limits
        self.unpacked = 0  # bytes decompressed so far, every member together
        self._check_directory(data)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, *_READ_ERRORS, *_READ_ERRORS_OS) as err:
            raise ArchiveProblem(name, "not a readable ZIP archive") from err
        self.members = self._check_members(infos)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _check_directory(self, data: bytes) -> None:
        """Count the entries from the end record before `zipfile` builds them."""
        try:
            # zipfile's own end-record reader (zip64 included); private but stable since 2.x.
            end = zipfile._EndRecData(io.BytesIO(data))
        except (OSError, ValueError, zipfile.BadZipFile) as err:
            raise ArchiveProblem(self.name, "not a readable ZIP archive") from err
        if not end:
            raise ArchiveProblem(self.name, "not a readable ZIP archive")
        entries, size = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
        if entries > self.limits.max_members:
            raise ArchiveProblem(
                self.name,
                f"holds {entries} entries; at most {self.limits.max_members} are accepted",
            )
        if size > self.limits.max_directory_bytes:
            raise ArchiveProblem(self.name, "its table of contents is too large")

    def _check_members(self, infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
        limits = self.limits
        if len(infos) > limits.max_members:  # the end record under-declared them
            raise ArchiveProblem(
                self.name,
                f"holds {len(infos)} entries; at most {limits.max_members} are accepted",
            )
        seen: set[str] = set()
        members: list[zipfile.ZipInfo] = []
        for info in infos:
            raw = info.filename
            shown = raw[:80]
            if not raw:
                raise ArchiveProblem(self.name, "an entry of the archive has no name")
            if len(raw) > limits.max_name_chars:
                raise ArchiveProblem(shown, "the file name is too long")
            if "\\" in raw or raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
                raise ArchiveProblem(shown, "an absolute or Windows path is not accepted")
            if any(ord(ch) < 32 or ch == "\x7f" for ch in raw):
                raise ArchiveProblem(shown, "the file name contains control characters")
            parts = PurePosixPath(raw).parts
            if ".." in parts:
                raise ArchiveProblem(shown, "a path that climbs out of the archive ('..')")
            if len(parts) > limits.max_depth:
                raise ArchiveProblem(
                    shown, f"nested {len(parts) - 1} folders deep; at most {limits.max_depth - 1}"
                )
            key = raw.rstrip("/")
            if key in seen:
                raise ArchiveProblem(shown, "appears twice in the archive")
            seen.add(key)
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ArchiveProblem(shown, "encrypted: archives with passwords are not accepted")
            if info.compress_type not in SUPPORTED_METHODS:
                raise ArchiveProblem(
                    shown,
                    "uses a compression method that is not supported; use a standard ZIP (deflate)",
                )
            members.append(info)
        self._check_overlaps(infos)
        declared = sum(m.file_size for m in members)
        if declared > limits.max_total_bytes:
            raise ArchiveProblem(
                self.name,
                f"unpacks to {_size(declared)}; at most {_size(limits.max_total_bytes)}",
            )
        return members

    def _check_overlaps(self, infos: list[zipfile.ZipInfo]) -> None:
        """Refuse entries whose data overlap (the "better zip bomb": many entries, one kernel).

        Each entry spans at least its local header (30 bytes and the name) and its
        compressed data; the next entry must not start before that span ends.
        Python 3.12 checks this in `zipfile` itself; 3.11 does not.
        """
        ordered = sorted(infos, key=lambda info: info.header_offset)
        for info, following in itertools.pairwise(ordered):
            encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
            try:
                name_bytes = len(info.orig_filename.encode(encoding))
            except UnicodeEncodeError:
                name_bytes = len(info.orig_filename.encode("utf-8"))
            end = info.header_offset + 30 + name_bytes + info.compress_size
            if end > following.header_offset:
                raise ArchiveProblem(
                    following.filename[:80],
                    "overlaps another entry's data (a ZIP bomb?); not accepted",
                )

    def open(self, info: zipfile.ZipInfo, max_bytes: int) -> BoundedMember:
        """A binary stream of one member that stops at the first limit crossed."""
        if info.file_size > max_bytes:
            raise ArchiveProblem(
                info.filename, f"unpacks to {_size(info.file_size)}; at most {_size(max_bytes)}"
            )
        try:
            inner = self._zip.open(info)
        except (*_READ_ERRORS, *_READ_ERRORS_OS) as err:
            raise ArchiveProblem(info.filename, _read_failure(err)) from err
        return BoundedMember(self, info, inner, max_bytes)

    def read(self, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
        """One member's bytes (at most `max_bytes`, or ArchiveProblem)."""
        with self.open(info, max_bytes) as stream:
            return stream.read()


class BoundedMember(io.RawIOBase):
    """A member's decompressed bytes, counted as they come out of the decompressor."""

    def __init__(
        self, archive: SafeZip, info: zipfile.ZipInfo, inner: io.BufferedIOBase, max_bytes: int
    ) -> None:
        super().__init__()
        self.archive = archive
        self.info = info
        self.inner = inner
        self.max_bytes = max_bytes
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        # Ask for at most one byte past the member's limit: the next read can tell.
        want = min(len(buffer), self.max_bytes + 1 - self.count, 64 * 1024)
        if want <= 0:
            want = 1
        try:
            chunk = self.inner.read(want)
        except (*_READ_ERRORS, *_READ_ERRORS_OS) as err:
            raise ArchiveProblem(self.info.filename, _read_failure(err)) from err
        size = len(chunk)
        self.count += size
        self.archive.unpacked += size
        limits = self.archive.limits
        if self.count > self.max_bytes:
            raise ArchiveProblem(
                self.info.filename,
                f"unpacks to more than {_size(self.max_bytes)}; at most {_size(self.max_bytes)}",
            )
        if self.archive.unpacked > limits.max_total_bytes:
            raise ArchiveProblem(
                self.archive.name,
                f"unpacks to more than {_size(limits.max_total_bytes)}; "
                f"at most {_size(limits.max_total_bytes)}",
            )
        if self.count > limits.ratio_floor and self.count > limits.max_ratio * max(
            self.info.compress_size, 1
        ):
            raise ArchiveProblem(
                self.info.filename,
                f"compressed more than {limits.max_ratio}:1 (a ZIP bomb?); not accepted",
            )
        buffer[:size] = chunk
        return size

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            super().close()


def _size(count: int) -> str:
    """1.5 MB, 10 MB, 300 KB: one decimal at most, so "2.1 MB; at most 2 MB" reads right."""
    if count < MiB:
        return f"{math.ceil(count / 1024)} KB"
    # Rounded up: a member one byte over 10 MB is "10.1 MB", not "10 MB; at most 10 MB".
    return f"{math.ceil(count * 10 / MiB) / 10:.1f}".removesuffix(".0") + " MB"
