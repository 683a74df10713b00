"""What the preview shows, loaded from disk and rendered on demand.

Loading is what `validate` and `lint` do (the campaign, its audience, its copy compiled, the
findings with the customer file's longest values). Rendering is per recipient and only when
a page asks: a campaign of 100,000 rows opens as fast as one of ten, and a recipient's letter
pages and e-mail are cached until the next change on disk.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publipost.errors import PublipostError

if TYPE_CHECKING:
    from publipost.campaigns.audience import Recipient
    from publipost.channels.email import Composer
    from publipost.linter.engine import LintResult
    from publipost.prepared import Prepared

CACHED = 64  # recipients' renderings kept (pages are ~100 KB each)
# A customer file bigger than this is shown first from its first rows, while the rest is read:
# accounting for 100,000 rows takes ~25 s, and the marketer wants to look at once.
FIRST_LOOK_BYTES = 1_000_000
FIRST_LOOK_ROWS = 500
FIRST_LOOK_WAIT = 2.0  # seconds the whole read waits for the first look to be viewed
INERT_KEY = b"publipost-preview-inert-key-00000"  # tokens that the unsubscribe check refuses


@dataclass
class Loaded:
    prepared: Prepared
    lint: LintResult
    ids: list[str]  # targeted recipients, in file order
    names: list[str]  # a display name per id, for the picker and the search
    longest: str | None  # the recipient with the longest values: where layouts break
    seconds: float
    first_look: int | None = None  # the rows read so far, while the whole file is read


@dataclass
class Loading:
    """Nothing read yet: the server answers at once and the page reloads when there is more."""


@dataclass
class Failed:
    errors: list[str]  # each with its file:line:col and hint, as the command line prints it


@dataclass
class EmailView:
    subject: str
    preheader: str
    sender: str
    sender_name: str  # as an inbox lists it
    headers: list[tuple[str, str]]
    text: str
    html: str  # with cid: images pointed at the preview's own URLs
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # cid → (type, data)


class Preview:
    """The campaign file's state: `load` again on each change; renders are cached per load."""

    def __init__(self, path: Path, boundary: Path | None = None):
        self.path = path.resolve()
        self.boundary = boundary
        self.version = 0
        self.state: Loaded | Failed | Loading = Loading()
        self._cache: OrderedDict[tuple[int, str, str], Any] = OrderedDict()
        self._lock = threading.Lock()  # one render at a time: reportlab's canvas state is shared
        self.viewed = threading.Event()
        self._composer: Composer | None = None  # set by the server when it has served a recipient's page

    def load(self, announce: Callable[[], None] = lambda: None) -> None:
        """Read everything again; a campaign that does not load becomes the page's error. A big
        customer file is first read in part, shown (`announce`), then read whole."""
        if self._big_file():
            self._load(FIRST_LOOK_ROWS)
            if isinstance(self.state, Failed):
                return
            self._warm()  # drawn now: once the whole file is being read, threads share one core
            self.viewed.clear()
            announce()
            self.viewed.wait(FIRST_LOOK_WAIT)  # let the open page show it before the long read
        self._load(None)

    def _warm(self) -> None:
        """Render the first recipient, the page one opens first."""
        loaded = self.loaded
        recipient = self.recipient(loaded.ids[0]) if loaded and loaded.ids else None
        if recipient is None:
            return
        with contextlib.suppress(Exception):  # a recipient that cannot render shows it on its page
            if "letter" in recipient.channels:
                self.letter_pages(recipient)
                self.envelope(recipient)
            if "email" in recipient.channels:
                self.email(recipient)

    def _load(self, rows: int | None) -> None:
        from publipost.api import lint, prepare
        from publipost.campaigns.audience import ID
        from publipost.channels.recording import bind_codes

        started = time.perf_counter()
        try:  # no lock: the pages of the last load stay available while this one reads
            # the whole file: kept in out/ as validate keeps it, and taken from there while
            # nothing the audience depends on changed (an edit of the copy reloads at once)
            keep = None if rows is not None else Path(self.path).resolve().parent / "out"
            prepared = prepare(self.path, boundary=self.boundary, rows=rows, keep=keep)
            bind_codes(prepared, prepared.out_dir, record=False)  # the codes a print run would bind
            found = lint(prepared)
        except PublipostError as exc:
            # as the command line shows it: paths relative to where the preview was started
            here = f"{Path.cwd()}{os.sep}"
            self.state = Failed([str(error).replace(here, "") for error in (exc, *exc.others)])
        else:
            self.state = Loaded(
                prepared,
                found,
                prepared.audience.targeted[ID].astype(str).tolist(),
                _names(prepared),
                prepared.audience.longest_id(),
                time.perf_counter() - started,
                first_look=rows,
            )
        self.version += 1
        self._cache.clear()

    def _big_file(self) -> bool:
        from publipost.api import load_campaign

        try:
            campaign = load_campaign(self.path, boundary=self.boundary)
            source = campaign.target.source
            return source is not None and campaign.resolve(source).stat().st_size > FIRST_LOOK_BYTES
        except (PublipostError, OSError):
            return False  # the whole load says what is wrong

    @property
    def loaded(self) -> Loaded | None:
        return self.state if isinstance(self.state, Loaded) else None

    def recipient(self, rid: str) -> Recipient | None:
        loaded = self.loaded
        if loaded is None:
            return None
        return next(iter(loaded.prepared.audience.by_ids([rid])), None)

    def search(self, query: str) -> str | None:
        """The first recipient whose id is the query, or whose name contains it (any case, any accent)."""
        from publipost.folding import fold

        loaded, query = self.loaded, query.strip()
        if loaded is None or not query:
            return None
        if query in loaded.ids:
            return query
        wanted = fold(query).casefold()
        return next(
            (i for i, n in zip(loaded.ids, loaded.names, strict=True) if wanted in fold(n).casefold()), None
        )

    # --- renders, cached per load --------------------------------------------------------------

    def letter_pages(self, recipient: Recipient) -> list[bytes]:
        """The recipient's printed pages as PNG images (the real PDF, drawn by PDFium)."""
        return self._cached(recipient.id, "letter", lambda: _pages(self.letter_pdf(recipient)))

    def envelope(self, recipient: Recipient) -> bytes | None:
        from publipost.channels.printing import envelope_pdf

        def draw() -> bytes | None:
            with self._lock:
                pdf = envelope_pdf(self._prepared, recipient)
            return _pages(pdf)[0] if pdf else None

        return self._cached(recipient.id, "envelope", draw)

    def email(self, recipient: Recipient) -> EmailView:
        return self._cached(recipient.id, "email", lambda: self._email(recipient))

    @property
    def _prepared(self) -> Prepared:
        loaded = self.loaded
        if loaded is None:
            raise LookupError("the campaign is not loaded")
        return loaded.prepared

    def letter_pdf(self, recipient: Recipient) -> bytes:
        return self._cached(recipient.id, "pdf", lambda: self._letter_pdf(recipient))

    def _letter_pdf(self, recipient: Recipient) -> bytes:
        from publipost.channels.printing import letter_pdf

        with self._lock:
            return letter_pdf(self._prepared, recipient)

    def _email(self, recipient: Recipient) -> EmailView:
        from publipost.channels.email import Composer

        prepared = self._prepared
        with self._lock:
            if self._composer is None or self._composer.prepared is not prepared:
                self._composer = Composer(prepared, INERT_KEY)  # once per load, not per recipient
            data = self._composer.message(recipient)
            preheader = prepared.of(recipient).merge.email(recipient).preheader or ""
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
        images: dict[str, tuple[str, bytes]] = {}
        for part in message.walk():
            cid = part.get("Content-ID")
            if cid and isinstance(part, EmailMessage):
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    images[cid.strip("<>")] = (part.get_content_type(), payload)
        html = html_part.get_content() if isinstance(html_part, EmailMessage) else ""
        for cid in images:
            html = html.replace(f"cid:{cid}", f"/r/{recipient.id}/cid/{cid}")
        headers = [(k, str(v)) for k, v in message.items() if not k.lower().startswith("content-")]
        return EmailView(
            subject=str(message["Subject"]),
            preheader=preheader,
            sender=str(message["From"]),
            sender_name=parseaddr(str(message["From"]))[0] or str(message["From"]),
            headers=headers,
            text=text_part.get_content() if isinstance(text_part, EmailMessage) else "",
            html=html,
            images=images,
        )

    def _cached(self, rid: str, kind: str, make: Any) -> Any:
        key = (self.version, rid, kind)
        if key not in self._cache:
            self._cache[key] = make()
            while len(self._cache) > CACHED * 3:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]


def _pages(pdf: bytes, dpi: int = 110) -> list[bytes]:
    """Each page of a PDF as a PNG."""
    import io

    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        images = []
        for page in document:
            buffer = io.BytesIO()
            page.render(scale=dpi / 72).to_pil().save(buffer, format="PNG")
            images.append(buffer.getvalue())
        return images
    finally:
        document.close()


def _names(prepared: Prepared) -> list[str]:
    """'First Last' (or the company) per targeted recipient, from the columns at once."""
    targeted = prepared.audience.targeted
    fields = [f for f in ("first_name", "last_name", "company") if f in targeted]
    if not fields:
        return [""] * len(targeted)
    joined = targeted[fields[0]].astype(str)
    for name in fields[1:]:
        joined = joined.str.cat(targeted[name].astype(str), sep=" ")
    return joined.str.strip().str.replace(r"\s+", " ", regex=True).tolist()
