"""The footer: Textual's, rebuilt only when the keys it shows change.

Textual's footer recomposes (a dozen key widgets, each styled) whenever the screen's
bindings are updated, which is every focus change, even when the keys shown stay the
same: five times before the console's first frame (~11 ms each, a tenth of the start-up).
"""

from __future__ import annotations

from textual.widgets import Footer


class KeysFooter(Footer):
    _shown: tuple | None = None

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
