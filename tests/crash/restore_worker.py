"""Child process of tests/crash/test_restore_crash.py: one `core.restore`, to be SIGKILLed.

Usage: python -m tests.crash.restore_worker BACKUP DEST GROUP_ROWS
Prints DONE when the restore returned (KINTSUGI_CRASH_AT picks the point to die at).
"""

from __future__ import annotations

import sys

import core
from core.backup import restore as impl


def main() -> None:
    backup, dest, group = sys.argv[1], sys.argv[2], int(sys.argv[3])
    impl.restore(backup, dest, group_rows=group)
    print("DONE", flush=True)


if __name__ == "__main__":
    assert core  # the composition root installs what the restore opens with
    main()
