"""What screens ask of the app: messages posted up, handled by the app's `on_...` methods.

Screens never import the app: they read what they were given (the batch session, the
store) and post one of these for anything that changes the app's batch or needs what
only the app holds. A batch's controls name the batch, so a screen left under the top
of the stack cannot steer a later batch.
"""

from __future__ import annotations

from textual.message import Message

from tui_scraper.settings import Settings
from tui_scraper.targets import ParsedTargets


class StartBatch(Message):
    """Start a batch of these domains with these settings, and show it."""

    def __init__(self, settings: Settings, parsed: ParsedTargets) -> None:
        super().__init__()
        self.settings = settings
        self.parsed = parsed


class StartFormReady(Message):
    """The start form can be read now: the app may start a prefilled batch (`--start`)."""


class ResumeBatch(Message):
    """Finish an unfinished batch of the store here, with its saved settings."""

    def __init__(self, batch_id: str) -> None:
        super().__init__()
        self.batch_id = batch_id


class BatchControl(Message):
    """A control of the batch the app is running; ignored if that batch is not running."""

    def __init__(self, batch_id: str) -> None:
        super().__init__()
        self.batch_id = batch_id


class TogglePause(BatchControl):
    """Pause the batch (no new request starts), or resume it."""


class ChangeConcurrency(BatchControl):
    """Crawl `by` more domains at once (fewer if negative); running domains finish."""

    def __init__(self, batch_id: str, by: int) -> None:
        super().__init__(batch_id)
        self.by = by


class CancelDomain(BatchControl):
    """Cancel one domain of the batch."""

    def __init__(self, batch_id: str, job_id: str) -> None:
        super().__init__(batch_id)
        self.job_id = job_id


class CancelBatch(BatchControl):
    """Cancel the whole batch (already confirmed)."""


class RetryFailed(Message):
    """Queue the batch's failed domains again: on the running batch, or as a rerun."""

    def __init__(self, batch_id: str) -> None:
        super().__init__()
        self.batch_id = batch_id


class OpenDomain(Message):
    """Show one domain of a batch: the app knows the running batch's rows and the store.

    By `job_id` when the asker has it, else by name. `stored` asks for the store's copy
    even when the batch is the one running here (a stored batch's table). `page_url`: the
    page to put the cursor on, once the screen has it.
    """

    def __init__(
        self,
        batch_id: str,
        domain: str,
        job_id: str | None = None,
        *,
        stored: bool = False,
        page_url: str | None = None,
    ) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.domain = domain
        self.job_id = job_id
        self.stored = stored
        self.page_url = page_url


class OpenFindings(Message):
    """Show a batch's findings: live if it is the batch running here, else from the store."""

    def __init__(self, batch_id: str) -> None:
        super().__init__()
        self.batch_id = batch_id
