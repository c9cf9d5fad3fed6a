"""textual-serve's server with the guards it lacks: a token, an Origin check, a session cap.

textual-serve (1.1) serves any visitor, accepts websockets from any page and starts
an app process for each: on a shared network that is a crawler anyone can drive.
`GuardedServer` keeps its page, protocol and app processes and adds:

- a token: the page, the websocket, downloads and static files answer 403 without
  it. It comes in the printed URL's query; the page then sets it as a cookie,
  because textual-serve's script builds the websocket and download URLs itself;
- the websocket refuses an `Origin` other than the server's own, so another page
  the visitor has open cannot drive the app with the visitor's cookie;
- at most `max_sessions` app processes at once: a further visitor gets a plain busy
  page, a further websocket is refused (503).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int
from yarl import URL

log = logging.getLogger("tui-scraper.serve")

TEMPLATES = Path(__file__).parent / "templates"
BUSY_STATUS = 503
# The page is ours alone: nothing it loads may come from elsewhere (and so off this machine).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class CannotListen(Exception):
    """The port could not be bound (in use, not allowed, no such address)."""


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def origin_of(url: str) -> str:
    """`scheme://host[:port]` as a browser sends it in `Origin` (default ports left out)."""
    parsed = URL(url)
    origin = f"{parsed.scheme}://{parsed.raw_host}"
    return (
        origin
        if parsed.explicit_port is None or parsed.is_default_port()
        else (f"{origin}:{parsed.explicit_port}")
    )


def busy_page(max_sessions: int) -> str:
    """The page a visitor gets while every session is taken."""
    sessions = "session is" if max_sessions == 1 else f"{max_sessions} sessions are"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>tui-scraper is busy</title>"
        "</head><body style='font-family: monospace; background: #0c181f; color: #eee; "
        "padding: 2em'><h1>tui-scraper is busy</h1>"
        f"<p>All {sessions} in use. Reload this page when one has closed.</p></body></html>"
    )


class GuardedServer(Server):
    """A textual-serve server that needs the token, checks Origin and caps the sessions.

    `command_for(n)` is the shell command of the n-th session (1, 2, ...), so each
    session can get a store of its own.
    """

    def __init__(
        self,
        command_for: Callable[[int], str],
        *,
        host: str,
        port: int,
        public_url: str,
        max_sessions: int,
        token: str | None = None,
    ) -> None:
        super().__init__(
            command_for(1),
            host=host,
            port=port,
            title="tui-scraper",
            public_url=public_url.rstrip("/"),
            templates_path=TEMPLATES,
        )
        self.command_for = command_for
        self.max_sessions = max_sessions
        self.token = token or secrets.token_urlsafe(24)
        # Cookies are per host, not per port: the port in the name keeps two servers apart.
        self.cookie_name = f"tui_scraper_token_{port}"
        self.allowed_origins = {origin_of(self.public_url)}
        if URL(self.public_url).raw_host in ("127.0.0.1", "localhost", "::1"):
            self.allowed_origins |= {f"http://{name}:{port}" for name in LOOPBACK_NAMES}
        self.sessions_started = 0
        self.live_sockets: set[web.WebSocketResponse] = set()

    @property
    def url(self) -> str:
        """The URL to open: the public URL with the token."""
        return f"{self.public_url}/?token={self.token}"

    @property
    def live_sessions(self) -> int:
        """App processes running now (one per open websocket)."""
        return len(self.live_sockets)

    # -- the aiohttp application

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._require_token)
        return app

    def has_token(self, request: web.Request) -> bool:
        """Whether the request carries the token, in the query or the page's cookie."""
        given = request.query.get("token") or request.cookies.get(self.cookie_name) or ""
        return secrets.compare_digest(given.encode(), self.token.encode())

    @web.middleware
    async def _require_token(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.has_token(request):
            return web.Response(
                status=403,
                text="403 forbidden: open the URL that `tui-scraper serve` printed, token "
                "included.\n",
            )
        response = await handler(request)
        if not response.prepared:  # a websocket or a download has sent its headers already
            # The token is in the page's URL: it must not travel on in a Referer header.
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    async def run_until_signal(self, on_listening: Callable[[], None]) -> None:
        """Serve until SIGINT or SIGTERM; `on_listening` runs once the port is bound.

        Used instead of textual-serve's `serve()`, which announces itself before it
        binds and logs every request's URL (the token with it).
        """
        self.initialize_logging()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        runner = web.AppRunner(await self._make_app(), handle_signals=False, access_log=None)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, self.host, self.port).start()
            except OSError as error:
                raise CannotListen(error.strerror or str(error)) from error
            on_listening()
            await stop.wait()
        finally:
            await runner.cleanup()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    async def on_startup(self, app: web.Application) -> None:
        """Nothing: `run_until_signal`'s caller says where to go once the port is bound."""

    async def on_shutdown(self, app: web.Application) -> None:
        # Closing the websockets makes each app quit cleanly (a running batch is saved).
        for websocket in list(self.live_sockets):
            await websocket.close()

    # -- handlers

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.live_sessions >= self.max_sessions:
            return web.Response(
                status=BUSY_STATUS, text=busy_page(self.max_sessions), content_type="text/html"
            )
        response: web.StreamResponse = await super().handle_index(request)
        response.set_cookie(
            self.cookie_name,
            self.token,
            httponly=True,
            samesite="Strict",
            secure=self.public_url.startswith("https:"),
            path="/",
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's websocket handler, behind the Origin check and the session cap."""
        origin = request.headers.get("Origin")
        # Browsers always send Origin; a client without one has shown the token already.
        if origin is not None and origin.lower() not in self.allowed_origins:
            raise web.HTTPForbidden(text="403 forbidden: this websocket is for the app's page\n")
        if self.live_sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(text=f"busy: {self.max_sessions} sessions in use\n")
        websocket = web.WebSocketResponse(heartbeat=15)
        # Counted before the first await, so two visitors cannot both take the last place.
        self.live_sockets.add(websocket)
        self.sessions_started += 1
        number = self.sessions_started
        command = self.command_for(number)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        app_service: AppService | None = None
        try:
            await websocket.prepare(request)
            app_service = AppService(
                command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await app_service.start(width, height)
            await self._process_messages(websocket, app_service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            try:
                if app_service is not None:
                    await app_service.stop()
            finally:
                # Only now is the app gone: until then its place stays taken.
                self.live_sockets.discard(websocket)
                in_use = f"{self.live_sessions} of {self.max_sessions} in use"
                print(f"tui-scraper serve: session {number} ended; {in_use}", flush=True)
        return websocket
