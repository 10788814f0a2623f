"""A backup's manifest: writing it last, reading it back, checking files against it, and
the source's backup history.

`manifest.json` is what makes a directory a backup: it is written after every other file
is complete and fsynced (tmp + fsync + rename + fsync of the directory), so a backup cut
short at any moment has none and is not mistaken for a finished one.  It names each file
with its size and CRC32C, which is what `verify` checks; `read` refuses a manifest that is
damaged or not ours with 1877 naming the file and why.

The manifest carries a CRC32C of its own (`crc32c`, over the canonical JSON of every other
field): the GTID set and LSN in it decide which transactions a restore replays, so a
hand-edited or bit-flipped `gtid_executed` would otherwise silently skip transactions.
A manifest without the field is refused too (every manifest this version writes has one).
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Callable
from typing import Any

from crc32c import crc32c

from core.errors import CorruptionError
from core.events import BackupProgress, Event, null_sink

MANIFEST = "manifest.json"
MARKER = ".kintsugi-backup-in-progress"  # a backup is being written here (no manifest yet)
VERIFY = "verify.json"  # the last verification's result
HISTORY = "#backup-history.jsonl"  # in the source's data directory: one line per backup
KIND = "kintsugi-backup"
FORMAT = 1
_FIELDS = {"source": str, "uuid": str, "started": (int, float), "finished": (int, float),
           "checkpoint_lsn": int, "lsn": int, "gtid_executed": str, "binlog_file": str,
           "binlog_pos": int, "files": list, "bytes": int}
CHUNK = 4 << 20
SEAL = "crc32c"  # the manifest's own checksum


def _api() -> Any:
    """core.backup.api, which declares the result classes and calls this package's
    implementation lazily: a static import back would be an import cycle."""
    return importlib.import_module("core.backup.api")


def file_crc(path: str, on_bytes: Callable[[int], None] | None = None) -> tuple[int, int]:
    """(size, CRC32C) of a file, read in chunks."""
    crc = 0
    size = 0
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while True:
            n = f.readinto(buf)
            if not n:
                break
            crc = crc32c(view[:n], crc)
            size += n
            if on_bytes is not None:
                on_bytes(n)
    return size, crc


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, json.dumps(data, indent=1).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    fsync_dir(os.path.dirname(path))


def canonical_crc(data: dict) -> str:
    """CRC32C (8 hex digits) of the canonical JSON of `data` without its own `crc32c`:
    sorted keys, no spaces, so reformatting the file does not change it."""
    body = {k: v for k, v in data.items() if k != SEAL}
    return f"{crc32c(json.dumps(body, sort_keys=True, separators=(',', ':')).encode()):08x}"


def seal(data: dict) -> dict:
    """`data` with its own checksum added (what `write_manifest` writes)."""
    return {**{k: v for k, v in data.items() if k != SEAL}, SEAL: canonical_crc(data)}


def seal_problem(data: dict) -> str | None:
    """Why the manifest `data` fails its own checksum ("is ..." text), or None if it holds."""
    got = data.get(SEAL)
    if got is None:
        return (f"has no checksum of its own (field \"{SEAL}\"): it was not written by this "
                "version, or the field was removed; it cannot be trusted")
    want = canonical_crc(data)
    if got != want:
        return (f"was changed or damaged: its content sums to crc32c {want}, the manifest "
                f"says {got!r}")
    return None


def write_manifest(dest: str, data: dict) -> None:
    """Write the sealed manifest of `dest` atomically (the last file of a backup)."""
    write_json_atomic(os.path.join(dest, MANIFEST), seal(data))


def _bad(dest: str, why: str) -> CorruptionError:
    return CorruptionError(f"backup {dest}: {os.path.join(dest, MANIFEST)} {why}")


def load(dest: str) -> dict:
    """The manifest of `dest`, checked for shape; 1877 naming the file and why if not."""
    path = os.path.join(dest, MANIFEST)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        if os.path.exists(os.path.join(dest, MARKER)):
            raise _bad(dest, "is missing: the backup was interrupted before it finished "
                       "(run it again)") from None
        raise _bad(dest, "is missing: the directory is not a backup (not a KintsugiDB "
                   "backup, or one that never finished)") from None
    except OSError as exc:
        raise _bad(dest, f"cannot be read: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(dest, f"is damaged: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise _bad(dest, "is not a KintsugiDB backup manifest (no \"kind\": "
                   f"\"{KIND}\")")
    if data.get("format") != FORMAT:
        raise _bad(dest, f"has format {data.get('format')!r}; this version reads format "
                   f"{FORMAT}")
    for name, kind in _FIELDS.items():
        if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool):
            raise _bad(dest, f"is damaged: field \"{name}\" is missing or not a "
                       f"{getattr(kind, '__name__', 'number')}")
    for i, entry in enumerate(data["files"]):
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                and isinstance(entry.get("size"), int) and isinstance(entry.get("crc32c"), str)
                and safe_rel(entry["path"])):
            raise _bad(dest, f"is damaged: files[{i}] is not a path, size and crc32c")
    why = seal_problem(data)
    if why is not None:
        raise _bad(dest, why)
    return data


def safe_rel(rel: str) -> bool:
    """A relative path that stays inside the directory it is joined to."""
    return bool(rel) and not os.path.isabs(rel) and ".." not in rel.split("/")


def read(dest: str) -> Any:  # BackupInfo
    dest = os.path.abspath(dest)
    data = load(dest)
    verified, at = "", None
    try:
        with open(os.path.join(dest, VERIFY), encoding="utf-8") as f:
            v = json.load(f)
        verified = "ok" if v.get("ok") else "; ".join(v.get("problems", [])) or "damaged"
        at = float(v.get("at"))
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return _api().BackupInfo(
        path=dest, source=data["source"], started=float(data["started"]),
        finished=float(data["finished"]), lsn=data["lsn"], gtid=data["gtid_executed"],
        binlog_file=data["binlog_file"], binlog_pos=data["binlog_pos"], bytes=data["bytes"],
        files=len(data["files"]), verified=verified, verified_at=at)


def verify(dest: str, *, sink: Callable[[Event], None] = null_sink) -> Any:  # VerifyReport
    """Check every file of the backup in `dest` against its manifest: missing, wrong size,
    wrong CRC32C, and tablespace or redo files the manifest does not name."""
    dest = os.path.abspath(dest)
    try:
        data = load(dest)
    except CorruptionError as exc:
        report = _api().VerifyReport(dest, False, (f"{MANIFEST}: {exc.msg}",))
        if os.path.exists(os.path.join(dest, MANIFEST)):  # not a backup: write nothing there
            _remember(dest, report)
        return report
    problems: list[str] = []
    total = sum(e["size"] for e in data["files"])
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n

    named = set()
    for entry in data["files"]:
        rel = entry["path"]
        named.add(rel)
        full = os.path.join(dest, rel)
        sink(BackupProgress(dest, "verify", done, total, rel))
        if not os.path.isfile(full):
            problems.append(f"{rel}: missing")
            done += entry["size"]
            continue
        size = os.path.getsize(full)
        if size != entry["size"]:
            problems.append(f"{rel}: size {size} bytes, the manifest says {entry['size']}"
                            + (" (truncated)" if size < entry["size"] else ""))
            done += entry["size"]
            continue
        _size, crc = file_crc(full, tick)
        if f"{crc:08x}" != entry["crc32c"]:
            problems.append(f"{rel}: crc32c {crc:08x}, the manifest says {entry['crc32c']} "
                            "(the file was changed or damaged)")
    for root, _dirs, files in os.walk(dest):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), dest).replace(os.sep, "/")
            if rel in named:
                continue
            if name.endswith(".kdb"):
                problems.append(f"{rel}: an extra tablespace file the manifest does not name")
            elif rel.startswith("#redo/redo."):
                problems.append(f"{rel}: an extra redo segment the manifest does not name")
    sink(BackupProgress(dest, "verify", total, total, ""))
    report = _api().VerifyReport(dest, not problems, tuple(problems), len(data["files"]), total)
    _remember(dest, report)
    return report


def _remember(dest: str, report: Any) -> None:
    """Keep the result beside the manifest (best effort: a read-only backup is fine)."""
    if not os.path.isdir(dest):
        return
    try:
        write_json_atomic(os.path.join(dest, VERIFY), {"ok": report.ok,
                                                        "problems": list(report.problems),
                                                        "at": time.time()})
    except OSError:
        pass


def record(source: str, info: Any) -> None:
    """Append the finished backup to the source's history (best effort)."""
    line = json.dumps({"path": info.path, "finished": info.finished, "lsn": info.lsn,
                       "gtid": info.gtid, "bytes": info.bytes}) + "\n"
    try:
        fd = os.open(os.path.join(source, HISTORY),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line.encode())  # a log for listing, not for recovery: no fsync
        finally:
            os.close(fd)
    except OSError:
        pass


def history(source: str) -> list[Any]:  # BackupInfo
    """The backups of `source` its history names that still exist (their manifests read
    back), oldest first."""
    source = os.path.abspath(source)
    try:
        with open(os.path.join(source, HISTORY), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    seen: dict[str, dict] = {}
    for line in lines:
        try:
            entry = json.loads(line)
            path = entry["path"]
        except (ValueError, TypeError, KeyError):
            continue  # a torn last line
        if isinstance(path, str):
            seen.pop(path, None)
            seen[path] = entry
    out = []
    for path, entry in seen.items():
        try:
            info = read(path)
        except CorruptionError as exc:
            # still listed, as what it is: a backup the DBA took and cannot use (moved,
            # deleted, damaged), rather than silently "no backup"
            why = ("its directory is gone (moved or deleted)" if not os.path.isdir(path)
                   else exc.msg)
            info = _api().BackupInfo(path, source, 0.0, float(entry.get("finished") or 0),
                                     int(entry.get("lsn") or 0), str(entry.get("gtid") or ""),
                                     "", 0, int(entry.get("bytes") or 0), 0, why)
        if os.path.realpath(info.source) == os.path.realpath(source):
            out.append(info)
    out.sort(key=lambda b: b.finished)
    return out
