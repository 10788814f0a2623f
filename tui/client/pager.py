"""Where a result goes: the terminal, or a pager when it is taller or wider than the screen
(mysql's `pager`/`nopager`; `less -SFX` keeps wide rows unwrapped and quits at once on a
short result).  Mode "auto" pages only what does not fit, "always" every result, "never"
none; KINTSUGI_PAGER=0 makes "never" the default, any other value is the pager command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

DEFAULT_COMMAND = "less -SFX"


class Pager:
    def __init__(self, mode: bool | None = None) -> None:
        env = os.environ.get("KINTSUGI_PAGER", "")
        self.command = env if env not in ("", "0", "off", "no") else ""
        if mode is True:
            self.mode = "always"
        elif mode is False or env in ("0", "off", "no"):
            self.mode = "never"
        else:
            self.mode = "auto"

    def set(self, command: str = "") -> str:
        """`pager [CMD]`: page every result from now on; says so as mysql does."""
        if command:
            self.command = command
        self.mode = "always"
        return f"PAGER set to '{self.shown_command()}'"

    def off(self) -> str:
        self.mode = "never"
        return "PAGER set to stdout"

    def shown_command(self) -> str:
        return self.command or os.environ.get("PAGER") or DEFAULT_COMMAND

    def describe(self) -> str:
        if self.mode == "never":
            return "stdout"
        if self.mode == "always":
            return f"every result through '{self.shown_command()}'"
        return f"'{self.shown_command()}' for results larger than the screen"

    def show(self, text: str) -> None:
        """Print `text`, through the pager when the mode says so."""
        if not text:
            return
        if self.mode == "never" or (self.mode == "auto" and self._fits(text)):
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
            return
        sys.stdout.flush()
        try:
            done = subprocess.run(self.shown_command(), shell=True, input=text + "\n",
                                  text=True, check=False)
        except KeyboardInterrupt:  # Ctrl+C in the pager: the user has seen enough
            return
        except OSError:
            done = None
        if done is None or done.returncode in (126, 127):  # no such pager: print it
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    @staticmethod
    def _fits(text: str) -> bool:
        size = shutil.get_terminal_size()
        lines = text.split("\n")
        return len(lines) < size.lines and max(len(line) for line in lines) <= size.columns
