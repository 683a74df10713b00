"""The unsubscribe endpoint (RFC 8058), to deploy behind the sender's reverse proxy at the
campaign's `unsubscribe.url`.

GET shows one button, in the campaign's language: mail clients and security scanners follow
links, so a GET never unsubscribes anyone. POST unsubscribes: the mail client's one-click
request (body `List-Unsubscribe=One-Click`, answered 200 at once) or the page's button. The
token is an HMAC of the campaign code and the address key, checked in constant time; a forged,
test or malformed token gets 400 and changes nothing; clicking twice changes nothing more.

The body is read only after its declared length passed MAX_BODY, and streamed with the same cap
(a request without a length). Both encodings RFC 8058 §3.2 allows, urlencoded and
multipart/form-data, go through Starlette's form parser (python-multipart): percent-encoding,
a trailing CRLF, extra fields and any charset are what mail providers send. The token in the
URL decides; the body only says it is a one-click request. Writes go through writer.py: in
worker threads, to the store or else a durable spool, replayed every REPLAY seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from publipost.mailer.message import check_token
from publipost.store.db import Entry
from publipost.unsubscribe.writer import WAIT, Writer

CODE = re.compile(r"[A-Z0-9]{2,12}")
KEY = re.compile(r"[0-9a-f]{64}")
TOKEN = re.compile(r"[0-9a-f]{32}|test-[0-9a-f]{27}")
MAX_BODY = 16_384  # a one-click body is 26 bytes; a multipart one a few hundred
REPLAY = 10.0  # seconds between two attempts to move the spool into the store

WORDS = {
    "en": {
        "title": "Unsubscribe",
        "ask": "Stop receiving these e-mails? One click and you will receive no more.",
        "button": "Unsubscribe",
        "done": "You are unsubscribed. You will receive no more of these e-mails.",
        "already": "You were already unsubscribed. You will receive no more of these e-mails.",
        "invalid": "This unsubscribe link is not valid. Use the link in the e-mail you received, "
        "or reply to that e-mail asking to be unsubscribed.",
        "test": "This link comes from a test e-mail: nobody was unsubscribed.",
    },
    "fr": {
        "title": "Désinscription",
        "ask": "Ne plus recevoir ces e-mails ? Un clic et vous n'en recevrez plus.",
        "button": "Me désinscrire",
        "done": "Vous êtes désinscrit(e). Vous ne recevrez plus ces e-mails.",
        "already": "Vous étiez déjà désinscrit(e). Vous ne recevrez plus ces e-mails.",
        "invalid": "Ce lien de désinscription n'est pas valide. Utilisez le lien de l'e-mail reçu, "
        "ou répondez à cet e-mail en demandant votre désinscription.",
        "test": "Ce lien vient d'un e-mail de test : personne n'a été désinscrit.",
    },
}


@dataclass(frozen=True)
class Asked:
    code: str
    key: str
    token: str
    language: str


def create_app(
    secret: bytes,
    location: str,
    spool: Path | None = None,
    *,
    wait: float = WAIT,
    replay_every: float = REPLAY,
) -> Starlette:
    from publipost.store.config import default_location

    writer = Writer(location, spool or default_location().with_name("unsubscribe-spool.jsonl"), wait)

    async def page(request: Request) -> Response:
        asked = _parse(dict(request.query_params))
        language = asked.language if asked else _language(request.query_params.get("l"))
        verdict = _verdict(secret, asked)
        if verdict != "valid" or asked is None:
            return _html(language, WORDS[language][verdict], status=400)
        if await run_in_threadpool(writer.suppressed, asked.key):
            return _html(language, WORDS[language]["already"])
        button = escape(WORDS[language]["button"])
        form = (
            f'<form method="post"><input type="hidden" name="confirm" value="yes">'
            f'<button type="submit">{button}</button></form>'
        )
        return _html(language, WORDS[language]["ask"], extra=form)

    async def unsubscribe(request: Request) -> Response:
        body = await _capped_body(request)
        if body is None:
            return PlainTextResponse("request too large", status_code=413)
        form = await _form(request, body)
        asked = _parse(dict(request.query_params))
        language = asked.language if asked else _language(request.query_params.get("l"))
        one_click = form.get("List-Unsubscribe") == "One-Click"
        verdict = _verdict(secret, asked)
        if verdict != "valid" or asked is None or not (one_click or form.get("confirm") == "yes"):
            if one_click:
                return PlainTextResponse(verdict if verdict != "valid" else "bad request", status_code=400)
            return _html(language, WORDS[language][verdict if verdict != "valid" else "invalid"], status=400)
        source = f"{asked.code}, {'one-click' if one_click else 'unsubscribe page'}"
        try:
            new = await run_in_threadpool(writer.add, Entry(asked.key, "email", "unsubscribed", source))
        except OSError:  # neither the store nor the spool took it: say so, and ask to come back
            return PlainTextResponse(
                "unsubscribe not recorded: try again", status_code=503, headers={"Retry-After": "60"}
            )
        if one_click:
            return PlainTextResponse("unsubscribed")
        return _html(language, WORDS[language]["already" if new is False else "done"])

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def replaying() -> None:
            while True:
                await run_in_threadpool(writer.replay)
                await asyncio.sleep(replay_every)

        task = asyncio.create_task(replaying())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await run_in_threadpool(writer.replay)
            await run_in_threadpool(writer.close)

    routes = [
        Route("/{path:path}", page, methods=["GET"]),
        Route("/{path:path}", unsubscribe, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.writer = writer
    return app


async def _capped_body(request: Request) -> bytes | None:
    """The body, or None when it is over MAX_BODY: refused on its declared length before a byte
    is read, else counted as it streams in."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > MAX_BODY):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


async def _form(request: Request, body: bytes) -> dict[str, str]:
    """The body's fields, urlencoded or multipart/form-data, each value stripped of the white
    space and line ends some clients add; {} for a body that is neither."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        content_type = "application/x-www-form-urlencoded"  # a bare body, as some clients send it
    scope = dict(request.scope)
    scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"] + [
        (b"content-type", content_type.encode("latin-1"))
    ]
    try:
        async with Request(scope, replay).form(max_files=0, max_fields=20) as form:
            return {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}
    except Exception:  # a malformed multipart body: no fields
        return {}


def _parse(query: dict[str, Any]) -> Asked | None:
    code, key, token = (str(query.get(k, "")) for k in ("c", "a", "t"))
    if not (CODE.fullmatch(code) and KEY.fullmatch(key) and TOKEN.fullmatch(token)):
        return None
    return Asked(code, key, token, _language(query.get("l")))


def _language(value: Any) -> str:
    return "fr" if value == "fr" else "en"


def _verdict(secret: bytes, asked: Asked | None) -> str:
    if asked is None:
        return "invalid"
    return check_token(secret, asked.code, asked.key, asked.token)


def _html(language: str, text: str, *, status: int = 200, extra: str = "") -> HTMLResponse:
    title = escape(WORDS[language]["title"])
    return HTMLResponse(
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
        '<meta name="robots" content="noindex"><style>body{font-family:system-ui,sans-serif;'
        "max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font-size:1.1rem;"
        "padding:.6rem 1.4rem}</style></head>"
        f"<body><h1>{title}</h1><p>{escape(text)}</p>{extra}</body></html>",
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
