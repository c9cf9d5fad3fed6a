"""The demo web's certificates: a CA made at start (trustme), one certificate per host.

Hosts get their certificate when a client first names them (SNI), so a web of
thousands of sites costs nothing up front. Three hosts misbehave as the real web
does: one is signed by a CA nobody trusts, one certificate has expired, and one
is issued for another name.
"""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import trustme

UNTRUSTED_CERT_HOST = "untrusted-cert.test"
EXPIRED_CERT_HOST = "expired-cert.test"
WRONG_NAME_HOST = "wrong-name.test"
# the name the wrong-name host's certificate is issued for
WRONG_NAME_ISSUED_FOR = "someone-else.test"


class DemoCertificates:
    """The demo CA (`ca_path` is its PEM file, for --ca-bundle) and the server's TLS context."""

    def __init__(self, folder: Path) -> None:
        self.ca = trustme.CA(organization_name="tui-scraper demo CA")
        self._untrusted_ca = trustme.CA(organization_name="Nobody trusts this CA")
        self.ca_path = folder / "demo-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self.server_context = self._context_for("localhost")
        self.server_context.sni_callback = self._choose  # type: ignore[assignment]

    def _choose(self, ssl_object: ssl.SSLObject, server_name: str | None, _: object) -> None:
        """Answer each host with its own certificate (SNI), made on first use."""
        name = (server_name or "localhost").lower().rstrip(".")
        ssl_object.context = self._context_for(name)

    def _context_for(self, name: str) -> ssl.SSLContext:
        context = self._contexts.get(name)
        if context is None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._leaf(name).configure_cert(context)
            self._contexts[name] = context
        return context

    def _leaf(self, name: str) -> trustme.LeafCert:
        bare = name.removeprefix("www.")
        names = [bare, f"www.{bare}"]
        if bare == UNTRUSTED_CERT_HOST:
            return self._untrusted_ca.issue_cert(*names)
        if bare == EXPIRED_CERT_HOST:
            now = datetime.datetime.now(datetime.UTC)
            return self.ca.issue_cert(
                *names,
                not_before=now - datetime.timedelta(days=400),
                not_after=now - datetime.timedelta(days=30),
            )
        if bare == WRONG_NAME_HOST:
            return self.ca.issue_cert(WRONG_NAME_ISSUED_FOR)
        return self.ca.issue_cert(*names)
