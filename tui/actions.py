"""The one registry of the console's actions.

Every action is declared once, with its keys, a short label (the footer) and a sentence (the
help screen and the command palette).  Widgets take their `BINDINGS` from here, the footer
shows the bindings Textual finds on the focus chain, the help screen lists the registry by
scope, and the command palette offers every entry.  A pane adds its own actions by
declaring them in its module with its own scope name.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from tui.text import key as key_text


@dataclass(frozen=True)
class Action:
    scope: str  # "app", or the scope of a pane or widget ("sql", "results", ...)
    name: str  # the action method, without "action_" (may carry arguments: "tab('sql')")
    keys: str  # Textual key list, the first shown: "f5,ctrl+j,ctrl+enter"
    label: str  # the footer's word
    help: str  # one sentence for the help screen and the palette
    show: bool = True  # in the footer
    priority: bool = False  # take the key before the focused widget (checked by check_action)
    palette: bool = True  # offered by the command palette

    @property
    def key_list(self) -> list[str]:
        return [k.strip() for k in self.keys.split(",") if k.strip()]

    @property
    def keys_text(self) -> str:
        return " / ".join(key_text(k) for k in self.key_list)

    def binding(self) -> Binding:
        first = self.key_list[0] if self.key_list else ""
        return Binding(self.keys, self.name, self.label, show=self.show,
                       priority=self.priority, key_display=key_text(first) if first else None)


SCOPES: dict[str, str] = {}  # scope -> heading in the help screen, in registration order
REGISTRY: list[Action] = []


def scope(name: str, heading: str) -> None:
    SCOPES.setdefault(name, heading)


def register(*actions: Action) -> list[Action]:
    for a in actions:
        if a not in REGISTRY:
            REGISTRY.append(a)
    return list(actions)


def bindings(scope_name: str) -> list[Binding]:
    return [a.binding() for a in REGISTRY if a.scope == scope_name and a.keys]


def of_scope(scope_name: str) -> list[Action]:
    return [a for a in REGISTRY if a.scope == scope_name]


# -- the app's own --------------------------------------------------------------------------

scope("app", "Everywhere")
APP_ACTIONS = register(
    Action("app", "help", "f1,question_mark", "Help", "Show every key and action"),
    Action("app", "command_palette", "ctrl+p", "Palette",
           "Search and run any action (the command palette)", show=False, palette=False),
    Action("app", "next_tab", "f8,ctrl+pagedown,alt+right", "Next tab",
           "Go to the next tab (F8 arrives through any terminal, tmux, screen and ssh)",
           show=False, priority=True),
    Action("app", "previous_tab", "f7,ctrl+pageup,alt+left", "Previous tab",
           "Go to the previous tab (F7 arrives through any terminal, tmux, screen and ssh)",
           show=False, priority=True),
    Action("app", "toggle_ansi", "ctrl+t", "Theme",
           "Switch between the default theme and the 16-colour ANSI theme", show=False),
    Action("app", "quit", "ctrl+q", "Quit", "Close the database cleanly and leave"),
)
