"""The base of the app's screens: typed access to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from tui_scraper.app.app import ScraperApp


class AppScreen(Screen[None]):
    """A screen of the scraper app."""

    @property
    def scraper(self) -> ScraperApp:
        """The app, typed as the scraper app."""
        from tui_scraper.app.app import ScraperApp

        return cast(ScraperApp, self.app)

    def repaint_now(self) -> None:
        """Draw what changed in this frame instead of on Textual's next update tick.

        Textual repaints from a timer once the screen goes idle, a few turns of the event
        loop later; while the crawl keeps the loop busy parsing pages each turn can take
        tens of milliseconds, so a key press would show late. Only key handlers call this.
        """
        if self.is_current and not self.app._batch_count:
            self._on_timer_update()
