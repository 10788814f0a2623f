"""A process for the backup tests: `write PATH N [SEGMENT]` holds a database and commits
row i (table t) together with the counter c.n = i, one transaction each, printing `ACK i`;
`backup SRC DEST [force]` backs SRC up (crash points armed through KINTSUGI_CRASH_AT),
printing `COPIED rel` per tablespace copied and `DONE lsn gtid` at the end."""

from __future__ import annotations

import sys
import time

import core
from core.events import BackupProgress


def write(path: str, n: int, segment_size: int) -> None:
    conn = core.connect(path, create=True, autocommit=True, flush_interval=0.02,
                        segment_size=segment_size)
    cur = conn.cursor()
    cur.execute("create table if not exists t (i int primary key, pad varchar(200))")
    cur.execute("create table if not exists c (id int primary key, n int)")
    cur.execute("insert ignore into c values (1, 0)")
    cur.execute("select n from c")
    start = cur.fetchall()[0][0] + 1
    print(f"START {start}", flush=True)
    conn.autocommit = False
    for i in range(start, start + n):
        cur.execute("insert into t values (%s, %s)", (i, "x" * 150))
        cur.execute("update c set n = %s where id = 1", (i,))
        conn.commit()
        print(f"ACK {i}", flush=True)
        if i % 200 == 0:
            time.sleep(0.001)
    print("END", flush=True)
    conn.close()


def backup(src: str, dest: str, force: bool) -> None:
    def sink(ev) -> None:
        if isinstance(ev, BackupProgress) and ev.phase == "tablespaces" and ev.file:
            print(f"COPY {ev.file} {ev.done}", flush=True)
    info = core.backup_database(src, dest, sink=sink, force=force)
    print(f"DONE {info.lsn} {info.gtid}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 20)
    else:
        backup(sys.argv[2], sys.argv[3], len(sys.argv) > 4 and sys.argv[4] == "force")
