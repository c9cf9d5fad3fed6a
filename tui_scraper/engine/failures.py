"""What went wrong with a request, in a person's words, naming the host.

`describe_failure` turns an exception of one request attempt into an error text
(at most 300 characters, the host never cut) and says what kind of failure it
was: the cue for retries and for the https-to-http fallback.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import aiohttp

from tui_scraper.engine.addresses import PrivateAddressRefused
from tui_scraper.engine.connect import Phase, connect_timeout
from tui_scraper.engine.decode import valid_unicode
from tui_scraper.engine.dns import DNS_TIMEOUT, NO_SUCH_HOST, DnsLookupError
from tui_scraper.settings import Settings

MAX_ERROR_CHARS = 300

# OpenSSL's verify codes, in a person's words
_CERT_REASONS = {
    9: "certificate is not yet valid",
    10: "certificate has expired",
    18: "self-signed certificate",
    19: "self-signed certificate in the chain",
    20: "certificate issuer is not trusted",
    21: "certificate issuer is not trusted",
    62: "certificate is for another name",
}


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed request attempt: its error text and what kind of failure it was."""

    error: str
    # Nothing answered at all (refused, reset, no answer in the connect timeout):
    # the cue for https -> http.
    connect_failed: bool = False
    dns_failed: bool = False
    # The certificate or the TLS handshake failed: never retried, never a cue for http.
    tls_failed: bool = False
    # The status line had arrived (a body cut short): the status stays.
    answered: bool = False
    # Refused before connecting (a private address): never retried.
    refused: bool = False


def error_text(what: str, host: str | None) -> str:
    """`what (host)` in at most MAX_ERROR_CHARS; only `what` is ever shortened."""
    what = valid_unicode(" ".join(what.split()))
    if not host:
        return what[:MAX_ERROR_CHARS]
    tail = f" ({host})"  # host names are at most 253 characters: the tail always fits
    room = MAX_ERROR_CHARS - len(tail)
    if len(what) > room:
        what = what[: max(room - 1, 0)] + "\N{HORIZONTAL ELLIPSIS}"
    return what + tail


def with_retries(error: str, retries: int) -> str:
    """`HTTP 503` -> `HTTP 503 after 2 retries`; the host part, if any, stays last."""
    plural = "retry" if retries == 1 else "retries"
    head, sep, host = error.rpartition(" (")
    if sep and error.endswith(")") and not error.startswith("HTTP "):
        if head.startswith("timeout after"):  # not "timeout after 5s after 2 retries"
            return error_text(f"{head}, {retries + 1} tries", host[:-1])
        return error_text(f"{head} after {retries} {plural}", host[:-1])
    return error_text(f"{error} after {retries} {plural}", None)


def describe_failure(
    error: Exception, host: str | None, phase: str, settings: Settings
) -> Failure | None:
    """The failure an exception of one request attempt means; None if it is no network error."""
    if isinstance(error, aiohttp.ClientPayloadError):
        return Failure(error_text("body incomplete (connection closed early)", host), answered=True)
    refusal = error.os_error if isinstance(error, aiohttp.ClientConnectorError) else error
    if isinstance(refusal, PrivateAddressRefused):
        return Failure(error_text(str(refusal), None), refused=True)
    if isinstance(error, aiohttp.ClientConnectorDNSError | DnsLookupError):
        lookup = error.os_error if isinstance(error, aiohttp.ClientConnectorDNSError) else error
        reason = lookup.reason if isinstance(lookup, DnsLookupError) else NO_SUCH_HOST
        return Failure(error_text(reason, host), dns_failed=True)
    if isinstance(error, TimeoutError):
        if phase == Phase.DNS:
            return Failure(error_text(DNS_TIMEOUT, host), dns_failed=True)
        if phase == Phase.CONNECT or isinstance(error, aiohttp.ConnectionTimeoutError):
            seconds = connect_timeout(settings)
            what = f"no answer within {seconds:g}s (connect timeout)"
            return Failure(error_text(what, host), connect_failed=True)
        return Failure(error_text(f"timeout after {settings.timeout:g}s", host))
    if isinstance(error, aiohttp.ClientHttpProxyError):
        # The proxy answered but would not tunnel (CONNECT refused): like no https there.
        what = f"proxy refused the connection (HTTP {error.status})"
        return Failure(error_text(what, host), connect_failed=True)
    if isinstance(error, aiohttp.ClientProxyConnectionError):
        return Failure(error_text(f"proxy unreachable: {_os_reason(error.os_error)}", host))
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return Failure(
            error_text(f"certificate error: {_cert_reason(error)}", host), tls_failed=True
        )
    if isinstance(error, aiohttp.ClientSSLError):
        what = f"TLS error: {_ssl_reason(error.os_error)}"
        return Failure(error_text(what, host), tls_failed=True)
    if isinstance(error, aiohttp.ClientConnectorError):
        return Failure(error_text(_os_reason(error.os_error), host), connect_failed=True)
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return Failure(error_text("the server closed the connection without answering", host))
    if isinstance(error, OSError):
        return Failure(error_text(_os_reason(error), host))
    if isinstance(error, aiohttp.ClientError | ValueError | UnicodeError):
        return Failure(error_text(str(error).strip() or type(error).__name__, host))
    return None


def _os_reason(error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError):
        return "connection reset"
    if isinstance(error, socket.gaierror):
        return NO_SUCH_HOST
    return error.strerror or str(error).strip() or type(error).__name__


def _cert_reason(error: aiohttp.ClientConnectorCertificateError) -> str:
    cert_error = error.certificate_error
    if isinstance(cert_error, ssl.SSLCertVerificationError):
        reason = _CERT_REASONS.get(cert_error.verify_code)
        if reason is not None:
            return reason
        return cert_error.verify_message or cert_error.reason or "not verified"
    return str(cert_error).strip() or "not verified"


def _ssl_reason(error: OSError) -> str:
    if isinstance(error, ssl.SSLError) and error.reason:
        return error.reason.lower().replace("_", " ")
    return str(error).strip() or type(error).__name__
