"""core.backup.lmdbcopy: a kernel-speed copy of an LMDB file as of a read transaction, while
a writer keeps committing (and reusing free pages): the copy opens at exactly the snapshot."""

from __future__ import annotations

import os
import threading

import lmdb

from core.backup.lmdbcopy import copy_snapshot
from core.backup.manifest import file_crc


def test_copy_is_the_snapshot_while_a_writer_commits(tmp_path):
    src = str(tmp_path / "src.kdb")
    env = lmdb.open(src, subdir=False, map_size=1 << 30, max_dbs=4, sync=False)
    data = env.open_db(b"data")
    with env.begin(write=True, db=data) as txn:
        for i in range(20000):
            txn.put(b"k%06d" % i, os.urandom(200))
    stop = threading.Event()

    def write() -> None:  # rewrites and deletes: free pages get reused under the copy
        n = 0
        while not stop.is_set():
            with env.begin(write=True, db=data) as txn:
                for i in range(n % 20000, n % 20000 + 500):
                    txn.put(b"k%06d" % (i % 20000), os.urandom(200))
                txn.delete(b"k%06d" % (n % 20000))
            n += 500

    t = threading.Thread(target=write)
    t.start()
    copied = 0
    try:
        for round_ in range(8):
            with env.begin(db=data) as txn:
                dst = str(tmp_path / f"copy{round_}.kdb")
                fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    ok = copy_snapshot(env, txn, src, fd)
                finally:
                    os.close(fd)
                want = dict(txn.cursor().iternext())
            if not ok:  # X's meta slot was overwritten before it was read: the caller's
                continue  # fallback (LMDB's own copy) takes over; nothing to compare
            copied += 1
            assert ok == file_crc(dst)  # the CRC32C summed on the way is the file's
            copy = lmdb.open(dst, subdir=False, readonly=True, lock=False, max_dbs=4)
            with copy.begin(db=copy.open_db(b"data", create=False)) as ctxn:
                assert dict(ctxn.cursor().iternext()) == want
            copy.close()
    finally:
        stop.set()
        t.join()
        env.close()
    assert copied >= 4
