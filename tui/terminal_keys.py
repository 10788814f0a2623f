"""Alt+digit as terminals send it through tmux, screen and ssh: ESC, then the digit.

Textual reads ESC 1 .. ESC 0 as the characters ¡ ™ £ ¢ ∞ § ¶ • ª º (what WezTerm on macOS
sends for Option+digit), so in tmux Alt+1 typed `¡` into the editor instead of switching
tabs.  Every terminal with Meta sending ESC (xterm's default metaSendsEscape, tmux's
`send-keys M-1`, GNU screen, ssh) sends exactly that pair for Alt+digit; without those
entries Textual's parser reports it as `alt+1` (its ordinary ESC-prefix rule).  Terminals
that send the character itself (Option as a compose key) still type ¡ and £.
"""

from __future__ import annotations

from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

META_DIGITS = tuple(f"\x1b{d}" for d in "0123456789")


def read_meta_digits_as_alt() -> None:
    """Make ESC+digit mean Alt+digit for every parser created from now on (idempotent)."""
    for seq in META_DIGITS:
        ANSI_SEQUENCES_KEYS.pop(seq, None)
