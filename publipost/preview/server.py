"""The preview's web server: Starlette on uvicorn, on the loopback address, following the files.

Every route renders from the Preview's current load; a watcher (watchfiles) loads again when
a file under the campaign's folder or the customer file's changes, and tells open pages by
server-sent events. The page's data is the customers' data: the server answers only requests
addressed to the loopback names (a DNS-rebinding page cannot read it), unless --host is given,
and only requests that carry this run's token (see Gate): another site's page cannot frame or
load it to learn who is a customer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

import anyio
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from publipost.errors import PublipostError
from publipost.preview import page
from publipost.preview.state import Failed, Preview

LOOPBACK = ("127.0.0.1", "localhost")
DEFAULT_PORT = 8642
IGNORED_PARTS = {"out", ".git", "__pycache__", ".venv", "node_modules"}


class Changes:
    """The load's version, and a wake-up for every open page when it moves."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def announce(self) -> None:
        self.event.set()
        self.event = asyncio.Event()


class Gate:
    """Only this run's pages: a request carries the token (`?token=`, as in the URL the command
    printed, which also sets a cookie) or the cookie (SameSite=Strict: a page of another site
    that frames or loads the preview sends none). Without it, 403: a page elsewhere cannot
    probe `/search?q=…` to learn who is a customer, letter by letter (Jupyter's way).

    Every answer also forbids framing by other origins (CSP frame-ancestors, X-Frame-Options;
    the recipient's e-mail, letter and images may be framed by the preview itself) and loading
    from other origins (Cross-Origin-Resource-Policy)."""

    def __init__(self, app: ASGIApp, token: str, cookie: str):
        self.app, self.token, self.cookie = app, token, cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        given = request.query_params.get("token")
        by_query = given is not None and hmac.compare_digest(given.encode(), self.token.encode())
        kept = request.cookies.get(self.cookie, "")
        allowed = by_query or hmac.compare_digest(kept.encode(), self.token.encode())
        framed_by_us = request.url.path.startswith("/r/") and request.url.path.count("/") > 2

        async def guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                ancestors = "'self'" if framed_by_us and allowed else "'none'"
                policy = headers.get("content-security-policy")
                headers["Content-Security-Policy"] = (
                    f"{policy}; frame-ancestors {ancestors}" if policy else f"frame-ancestors {ancestors}"
                )
                headers["X-Frame-Options"] = "SAMEORIGIN" if ancestors == "'self'" else "DENY"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
                headers["Referrer-Policy"] = "no-referrer"  # the token never leaves in a Referer
                if by_query:
                    headers.append(
                        "Set-Cookie", f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                    )
            await send(message)

        if not allowed:
            refused = HTMLResponse(
                "<!doctype html><meta charset=utf-8><title>publipost preview</title>"
                "<p>This preview opens from the link <code>publipost preview</code> printed "
                "(it ends with <code>?token=…</code>).</p>",
                status_code=403,
                headers={"Cache-Control": "no-store"},
            )
            await refused(scope, receive, guarded)
            return
        await self.app(scope, receive, guarded)


def make_app(
    preview: Preview, *, watch: bool = True, loopback: bool = True, token: str = "", cookie: str = "preview"
) -> Starlette:
    """`token`: what every request must carry (see Gate); a new random one when not given."""
    changes = Changes()

    async def reload() -> None:
        def first_look() -> None:
            anyio.from_thread.run_sync(changes.announce)

        await anyio.to_thread.run_sync(preview.load, first_look)
        changes.announce()

    async def load_then_watch() -> None:
        await reload()
        if watch:
            await _watch(preview, reload)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(load_then_watch())  # the page answers while the files are read
        try:
            yield
        finally:
            task.cancel()

    async def home(request: Request) -> Response:
        loaded = preview.loaded
        if loaded is None:
            return _not_loaded(preview)
        if not loaded.ids:
            return HTMLResponse(
                page.error_page(preview, ["no recipient is targeted: see the audience (validate)"])
            )
        return RedirectResponse(f"/r/{quote(loaded.ids[0], safe='')}", status_code=303)

    async def recipient_page(request: Request) -> Response:
        loaded = preview.loaded
        if loaded is None:
            return _not_loaded(preview)
        rid = request.path_params["rid"]
        recipient = preview.recipient(rid)
        if recipient is None:
            return _missing(preview, rid)
        html = await anyio.to_thread.run_sync(page.recipient_page, preview, loaded, recipient, Path.cwd())
        preview.viewed.set()
        return HTMLResponse(html)

    async def search(request: Request) -> Response:
        query = request.query_params.get("q", "")
        found = preview.search(query)
        if found is None:
            return _missing(preview, query)
        return RedirectResponse(f"/r/{quote(found, safe='')}", status_code=303)

    async def letter_png(request: Request) -> Response:
        recipient = preview.recipient(request.path_params["rid"])
        number = request.path_params["n"]
        if recipient is None or "letter" not in recipient.channels:
            return Response(status_code=404)
        pages = await anyio.to_thread.run_sync(preview.letter_pages, recipient)
        if not 1 <= number <= len(pages):
            return Response(status_code=404)
        return Response(pages[number - 1], media_type="image/png", headers=_no_store())

    async def letter_pdf(request: Request) -> Response:
        recipient = preview.recipient(request.path_params["rid"])
        if recipient is None or "letter" not in recipient.channels:
            return Response(status_code=404)
        pdf = await anyio.to_thread.run_sync(preview.letter_pdf, recipient)
        return Response(pdf, media_type="application/pdf", headers=_no_store())

    async def envelope_png(request: Request) -> Response:
        recipient = preview.recipient(request.path_params["rid"])
        image = await anyio.to_thread.run_sync(preview.envelope, recipient) if recipient else None
        if image is None:
            return Response(status_code=404)
        return Response(image, media_type="image/png", headers=_no_store())

    async def email_html(request: Request) -> Response:
        recipient = preview.recipient(request.path_params["rid"])
        if recipient is None or "email" not in recipient.channels:
            return Response(status_code=404)
        view = await anyio.to_thread.run_sync(preview.email, recipient)
        # The e-mail runs no script in a mail client: nor here (the frames are sandboxed too).
        headers = {**_no_store(), "Content-Security-Policy": "script-src 'none'"}
        return HTMLResponse(view.html, headers=headers)

    async def email_image(request: Request) -> Response:
        recipient = preview.recipient(request.path_params["rid"])
        if recipient is None or "email" not in recipient.channels:
            return Response(status_code=404)
        view = await anyio.to_thread.run_sync(preview.email, recipient)
        found = view.images.get(request.path_params["cid"])
        if found is None:
            return Response(status_code=404)
        return Response(found[1], media_type=found[0])

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            yield f"retry: 500\ndata: {preview.version}\n\n"
            while True:
                waiting = changes.event
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiting.wait(), timeout=15)
                    yield f"data: {preview.version}\n\n"
                    continue
                yield ": still here\n\n"  # proxies and browsers keep a quiet stream open

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", home),
        Route("/favicon.ico", no_icon),
        Route("/search", search),
        Route("/events", events),
        Route("/r/{rid}", recipient_page),
        Route("/r/{rid}/letter/{n:int}.png", letter_png),
        Route("/r/{rid}/letter.pdf", letter_pdf),
        Route("/r/{rid}/envelope.png", envelope_png),
        Route("/r/{rid}/email.html", email_html),
        Route("/r/{rid}/cid/{cid:path}", email_image),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(LOOPBACK))] if loopback else []
    middleware.append(Middleware(Gate, token=token or secrets.token_urlsafe(24), cookie=cookie))
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def _not_loaded(preview: Preview) -> Response:
    """Still reading (the page reloads itself when done), or the error that stopped the load."""
    state = preview.state
    if isinstance(state, Failed):
        return HTMLResponse(page.error_page(preview, state.errors))
    return HTMLResponse(page.loading_page(preview))


def _missing(preview: Preview, rid: str) -> Response:
    """404, naming the id and, when its row was read, why it is not targeted."""
    loaded = preview.loaded
    reason = loaded.prepared.audience.why_not(rid) if loaded is not None and rid else None
    first = loaded.ids[0] if loaded and loaded.ids else None
    return HTMLResponse(page.missing_page(preview, rid, first, reason), status_code=404)


def _no_store() -> dict[str, str]:
    return {"Cache-Control": "no-store"}


async def _watch(preview: Preview, reload: Callable[[], Awaitable[None]]) -> None:
    """Load again after each burst of changes to the campaign's files (debounced: one load for
    an editor's write-rename-chmod)."""
    from watchfiles import awatch

    while True:
        roots = _roots(preview)
        stop = asyncio.Event()
        async for changes in awatch(*roots, watch_filter=_relevant, debounce=150, step=30, stop_event=stop):
            del changes
            await reload()
            if _roots(preview) != roots:  # the campaign now names a file elsewhere: watch it too
                stop.set()
                break


def _roots(preview: Preview) -> list[Path]:
    roots = {preview.path.parent}
    loaded = preview.loaded
    if loaded is not None:
        source = loaded.prepared.audience.source.path
        if source is not None and not source.resolve().is_relative_to(preview.path.parent):
            roots.add(source.resolve().parent)
    return sorted(roots)


def _relevant(change: object, path: str) -> bool:
    name = Path(path).name
    if name.startswith((".#", "~")) or name.endswith(("~", ".swp", ".swx", ".tmp")):
        return False
    return not IGNORED_PARTS.intersection(Path(path).parts)


def bind(host: str, port: int | None) -> socket.socket:
    """A listening socket: the port asked for (an error if taken), else the default port or,
    when that one is taken, any free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    candidates = [port] if port is not None else [DEFAULT_PORT, 0]
    for candidate in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as exc:
            sock.close()
            if port is not None:
                raise PublipostError(
                    f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc})",
                    hint="another preview may be running there; choose another port, or leave --port out "
                    "to take a free one",
                ) from None
            continue
        sock.listen(64)
        return sock
    raise PublipostError(f"no free port on {host}")


def serve(preview: Preview, sock: socket.socket, *, loopback: bool, ready: Callable[[str], None]) -> None:
    import uvicorn

    host, port = sock.getsockname()[:2]
    token = secrets.token_urlsafe(24)  # this run's: printed once, never written anywhere
    url = f"http://{'localhost' if loopback else host}:{port}/?token={token}"
    config = uvicorn.Config(
        make_app(preview, loopback=loopback, token=token, cookie=f"publipost-preview-{port}"),
        log_level="warning",
        timeout_graceful_shutdown=1,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    ready(url)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        print("preview stopped", file=sys.stderr)
