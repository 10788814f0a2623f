"""The footer: Textual's, keeping Help and Quit in sight at any width, rebuilt only when the
keys it shows change.

Textual's footer lays the keys out from the focused widget's to the app's and clips what
does not fit, so at 80 columns F1 and Ctrl+Q (the app's, listed last) fell off the right
edge and a key could be cut in the middle.  Here Help and Quit come right before the
palette key, and the pane's keys that do not fit are hidden whole, the last (least
specific) first.

Textual's footer also recomposes (a dozen key widgets, each styled) whenever the screen's
bindings are updated, which is every focus change, even when the keys shown stay the
same: five times before the console's first frame (~11 ms each, a tenth of the start-up).
"""

from __future__ import annotations

from textual import widgets
from textual.app import ComposeResult
from textual.widgets._footer import FooterKey

ESSENTIAL = ("help", "quit")  # actions always shown (in the order Textual lists them)


class Footer(widgets.Footer):
    _shown: tuple | None = None

    def compose(self) -> ComposeResult:
        keys = list(super().compose())
        palette = [k for k in keys if k.has_class("-command-palette")]
        essential = [k for k in keys if isinstance(k, FooterKey)
                     and k.action in ESSENTIAL and k not in palette]
        for k in essential:
            k.add_class("-essential")
        others = [k for k in keys if k not in palette and k not in essential]
        yield from others + essential + palette

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _keys_shown(self) -> tuple:
        """Everything Textual's `Footer.compose` reads: the same value, the same footer."""
        if not self._bindings_ready:
            return ()
        app = self.app
        keys = tuple(
            (binding.key, binding.description, binding.action, enabled, tooltip,
             id(binding.group) if binding.group is not None else None,
             app.get_key_display(binding), binding.tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.key == app.COMMAND_PALETTE_BINDING)
        return (id(self.screen), self.compact, self.show_command_palette,
                self.combine_groups, app.ENABLE_COMMAND_PALETTE, keys)

    async def recompose(self) -> None:
        shown = self._keys_shown()
        if shown == self._shown and self.children:
            return
        self._shown = shown
        await super().recompose()
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Hide the optional keys that do not fit whole, from the last one back."""
        width = self.size.width
        if not width or not self.is_attached:
            return
        items = list(self.children)
        for w in items:
            w.display = True
        sizes = {w: self._width(w) for w in items}
        fixed = [w for w in items if w.has_class("-essential") or w.has_class("-command-palette")]
        optional = [w for w in items if w not in fixed]
        used = sum(sizes[w] for w in items)
        while used > width and optional:
            w = optional.pop()
            w.display = False
            used -= sizes[w]

    @staticmethod
    def _width(w) -> int:
        if isinstance(w, FooterKey):
            text = w.render()
            border = 1 if w.has_class("-command-palette") else 0
            return text.cell_len + w.styles.margin.width + w.styles.padding.width + border
        return w.outer_size.width
