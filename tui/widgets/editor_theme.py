"""The SQL editor's highlighting, following the app's theme.

The default look is TextArea's "css" theme (VS Code dark colours, in hex), plus the error
mark.  Under a 16-colour theme (`--theme ansi-dark`, Textual's `Theme.ansi`) hex colours
reach the terminal as 256-colour or truecolor codes (`38;5;175` for a keyword), so that
theme gets its own syntax styles made of the 16 ANSI colours only; everything else (text,
gutter, cursor, selection) comes from the CSS, kept to those colours under that theme.
"""

from __future__ import annotations

from rich.style import Style
from textual.app import App
from textual.widgets.text_area import TextAreaTheme

from tui.widgets.completion import ERROR_MARK

DEFAULT = "kintsugi-sql"
ANSI = "kintsugi-ansi"

# TextArea's built-in "css" theme (the console's look since the start) and the error mark
_CSS = TextAreaTheme.get_builtin_theme("css")
DEFAULT_THEME = TextAreaTheme(
    name=DEFAULT,
    syntax_styles={**(_CSS.syntax_styles if _CSS else {}),
                   ERROR_MARK: Style(color="#E5534B", bold=True, underline=True)},
)

ANSI_THEME = TextAreaTheme(
    name=ANSI,
    syntax_styles={
        "keyword": Style(color="bright_magenta"),
        "conditional": Style(color="bright_blue"),
        "keyword.function": Style(color="bright_blue"),
        "keyword.return": Style(color="bright_blue"),
        "keyword.operator": Style(color="bright_blue"),
        "repeat": Style(color="bright_blue"),
        "exception": Style(color="bright_blue"),
        "include": Style(color="bright_blue"),
        "string": Style(color="yellow"),
        "string.documentation": Style(color="yellow"),
        "comment": Style(color="green"),
        "number": Style(color="bright_green"),
        "float": Style(color="bright_green"),
        "type": Style(color="bright_yellow"),
        "type.class": Style(color="cyan"),
        "type.builtin": Style(color="bright_cyan"),
        "class": Style(color="cyan"),
        "function": Style(color="bright_yellow"),
        "function.call": Style(color="bright_yellow"),
        "method": Style(color="cyan"),
        "method.call": Style(color="cyan"),
        "constructor": Style(color="cyan"),
        "boolean": Style(color="cyan"),
        "constant.builtin": Style(color="cyan"),
        "heading": Style(color="bright_blue", bold=True),
        "bold": Style(bold=True),
        "italic": Style(italic=True),
        "strikethrough": Style(strike=True),
        ERROR_MARK: Style(color="bright_red", bold=True, underline=True),
    },
)


def theme_for(app: App) -> str:
    """The editor theme that fits the app's current theme."""
    return ANSI if app.native_ansi_color else DEFAULT
