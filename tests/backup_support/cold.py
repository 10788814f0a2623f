"""A cold backup for restore tests, until `kintsugi backup` exists: the database must be
closed; its engine files are copied and a manifest written last, as core.backup.backup
lays a backup out (a cleanly closed copy is consistent at its checkpoint)."""

from __future__ import annotations

import json
import os
import shutil
import time

from crc32c import crc32c

from core.backup import events as ev
from core.backup.manifest import seal
from core.log import binlog_format as fmt
from core.log.control import ControlFile
from core.log.gtid import GtidSet, uuid_text


def executed_of(source: str) -> tuple[GtidSet, str, int]:
    """(executed GTID set, last binlog file, its size) of a closed database's binlog."""
    files = ev.files_of(source)
    _desc, prev = fmt.file_head(files[0])
    done = GtidSet.parse(prev)
    for t in ev.transactions(files, decode=False):
        done.add(t.uuid, t.seq)
    return done, os.path.basename(files[-1]), os.path.getsize(files[-1])


def cold_backup(source: str, dest: str) -> dict:
    """Copy the closed database in `source` to `dest` with a manifest; returns it."""
    started = time.time()
    os.makedirs(dest)
    files = []
    for d, _dirs, names in os.walk(source):
        rel_dir = os.path.relpath(d, source)
        if rel_dir.startswith("#spill"):
            continue
        for n in names:
            if (n.startswith("binlog.") or n.endswith("-lock") or n in ("LOCK", "kintsugi.err")):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, n))
            os.makedirs(os.path.dirname(os.path.join(dest, rel)) or dest, exist_ok=True)
            shutil.copyfile(os.path.join(source, rel), os.path.join(dest, rel))
            with open(os.path.join(dest, rel), "rb") as f:
                data = f.read()
            files.append({"path": rel, "size": len(data), "crc32c": f"{crc32c(data):08x}"})
    control = ControlFile(os.path.join(source, "control")).read()
    done, bfile, bpos = executed_of(source)
    m = {"format": 1, "kind": "kintsugi-backup", "source": os.path.abspath(source),
         "uuid": uuid_text(control.uuid), "started": started, "finished": time.time(),
         "checkpoint_lsn": control.checkpoint_lsn, "lsn": control.checkpoint_lsn,
         "gtid_executed": str(done), "binlog_file": bfile, "binlog_pos": bpos,
         "files": files, "bytes": sum(f["size"] for f in files), "server_version": "test"}
    m = seal(m)
    with open(os.path.join(dest, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(m, f)
    return m
