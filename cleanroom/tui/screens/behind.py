"""`BehindScreen`: a screen that, under a dialog, hands what changed on it to the
dialog once, not again at every later change.

A dialog (quick open, search, a lock) draws the screen below it, dimmed. When a
widget down there changes (the status bar's entry count, after each recorded
list of names), Textual 8.2.8's `Screen._compositor_refresh` tells the dialog to
redraw those cells, and also marks them dirty on the screen below itself and asks
for its repaint. That repaint runs while the dialog is still up (a screen behind a
dialog counts as current), marks the same cells dirty again and tells the dialog
again, so once anything has dirtied the whole screen below (opening the dialog
does) every later change redraws the dialog's whole screen: ~15 full redraws per
quick open, one per key typed, where one row changed.

Here the screen below tells the dialog what changed and nothing more: the dialog
redraws those cells (with the screen below as it is now: the dialog draws it from
this screen's compositor), and this screen's own repaint is owed to no one, since
it is drawn in full again when it is back in front (`Screen._on_screen_resume`
refreshes the whole screen). docs/adr/0221-a-screen-behind-a-dialog-hands-its-changes-up-once.md.
"""

from __future__ import annotations

from textual.screen import Screen


class BehindScreen(Screen[None]):
    def _compositor_refresh(self) -> None:
        app = self.app
        if app.is_inline or self is app.screen or self not in app._background_screens:
            super()._compositor_refresh()
            return
        dirty = self._compositor._dirty_regions
        if dirty:
            app.screen.refresh(*dirty)
            dirty.clear()
            self._dirty_widgets.clear()
