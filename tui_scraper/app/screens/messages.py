"""Messages screens post up to the app for what only the app can do."""

from __future__ import annotations

from textual.message import Message


class OpenDomain(Message):
    """Show one domain of a batch: the app knows the running batch's rows and the store.

    `page_url`: the page to put the cursor on, once the screen has it.
    """

    def __init__(
        self,
        batch_id: str,
        domain: str,
        job_id: str | None = None,
        *,
        page_url: str | None = None,
    ) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.domain = domain
        self.job_id = job_id
        self.page_url = page_url
