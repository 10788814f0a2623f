"""The engine's words for the command line's: one translation for `kintsugi`'s commands
and the console (a command-line tool too).

The engine's messages name its Python arguments ("open with force_recovery >= 1",
"create=True"); a user at the command line typed flags ("--force-recovery 1", "--create").
kintsugi.err keeps InnoDB's spelling; what a person reads on screen is translated here.
A module of its own (no import of the CLI or the screens) so that both can use it without
an import cycle.
"""

from __future__ import annotations

import re

# Engine wording for Python arguments -> the command line's flags.
FLAG_WORDING = [
    (re.compile(r"create=True \(or --create\)"), "--create"),
    (re.compile(r"\bcreate=True\b"), "--create"),
    (re.compile(r"\bforce_recovery\s*>=\s*(\d)"), r"--force-recovery \1"),
    (re.compile(r"\bforce_recovery\s*=\s*(\d)"), r"--force-recovery \1"),
    (re.compile(r"\bforce_recovery\b"), "--force-recovery"),
    (re.compile(r"\bscan_directories\s*=\s*(\[[^\]]*\]|\([^)]*\)|'[^']*'|\"[^\"]*\")"),
     lambda m: f'--scan-directories "{";".join(_quoted(m.group(1)))}"'),
    (re.compile(r"\bscan_directories\b"), "--scan-directories"),
    (re.compile(r"\bdiscard_damaged_log\s*=\s*True\b"), "--discard-damaged-log"),
    (re.compile(r"\bdiscard_damaged_log\b"), "--discard-damaged-log"),
    (re.compile(r"\binspect\(\) \((`kintsugi info [^`]+`)\)"), r"\1"),
]


def _quoted(text: str) -> list[str]:
    """The quoted strings in a Python list's repr: ['a', 'b'] -> [a, b]."""
    return [a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", text)]


_SAME_TWICE = re.compile(r"(--[\w-]+(?: \d)?) \((?:or )?\1\)")


def flags_named(text: str) -> str:
    """An engine message with its Python arguments named as the command line's flags (its
    lines kept: the console shows messages on several lines)."""
    for pattern, repl in FLAG_WORDING:
        text = pattern.sub(repl, text)
    return _SAME_TWICE.sub(r"\1", text)  # "--create (create=True)" said it twice


def cli_wording(text: str) -> str:
    """An engine message in the command line's words: flags, on one line."""
    return " ".join(flags_named(text).split())  # one line, whatever the message held


def damage_hint(directory: str, log: bool = True, level: int = 1, info: bool = True) -> str:
    """What to do with a database that does not open because it is damaged (1877): a path
    that ends in a writable database, not only in a read-only look at it.  Damage in the
    redo log (`log`) can be cut off once the data is saved; other damage is left behind by
    loading the dump into a new directory.  `info`: point at `kintsugi info` (not inside
    its own output)."""
    d = directory
    save = f"Save what is readable with `kintsugi dump {d} --force-recovery {level} > dump.sql`"
    if log:
        return (f"{save}, then `kintsugi recover {d} --force-recovery {level} "
                "--discard-damaged-log` ends the log at the damage (keeping a copy of it) and "
                "opens the database writable"
                + (f"; `kintsugi info {d}` shows where the damage is." if info else "."))
    return (f"{save}, then load it into a new directory with `kintsugi sql NEWDIR --create "
            "< dump.sql`" + (f"; `kintsugi info {d}` shows what it can read." if info else "."))
