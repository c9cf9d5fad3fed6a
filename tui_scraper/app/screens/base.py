"""The base of the app's screens.

Screens do not know the app class: what they show is given to their constructors, and
what they want done is posted up as a message of `tui_scraper.app.messages`.
"""

from __future__ import annotations

from textual.screen import Screen


class AppScreen(Screen[None]):
    """A screen of the scraper app."""

    def repaint_now(self) -> None:
        """Draw what changed in this frame instead of on Textual's next update tick.

        Textual repaints from a timer once the screen goes idle, a few turns of the event
        loop later; while the crawl keeps the loop busy parsing pages each turn can take
        tens of milliseconds, so a key press would show late. Only key handlers (and the app,
        right after it acted on a key's message) call this.
        """
        if self.is_current and not self.app._batch_count:
            self._on_timer_update()
