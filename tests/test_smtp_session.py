"""Our side of an SMTP connection once aiosmtplib has opened it (mailer/session.py): replies
matched to commands however the bytes arrive, and PIPELINING (RFC 2920) against real servers
on 127.0.0.1, its failures included."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiosmtplib
import pytest

from publipost.channels.sending import send_campaign
from publipost.mailer.session import MAX_LINE, Reply, ReplyReader
from publipost.mailer.smtp import Limits, parse_relay
from tests.smtpkit import FaultyHandler, GroupingRelay, SmtpServer
from tests.test_send import _campaign

ONE = Limits(concurrency=1, attempts=2, backoff=0.01, timeout=3, retry_delays=(0.02,))


@pytest.fixture(autouse=True)
def unsubscribe_key(monkeypatch):
    monkeypatch.setenv("PUBLIPOST_UNSUBSCRIBE_SECRET", "test-key-" * 4)


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def _read(chunks: list[bytes], expected: int) -> list[Reply | Exception]:
    """Feed `chunks` to a reader waiting for `expected` replies; what each waiter got."""

    async def main() -> list[Reply | Exception]:
        reader = ReplyReader()
        reader.transport = _Transport()
        loop = asyncio.get_running_loop()
        waiters = [loop.create_future() for _ in range(expected)]
        reader.waiting.extend(waiters)
        for chunk in chunks:
            reader.data_received(chunk)
        reader.eof_received()
        out: list[Reply | Exception] = []
        for waiter in waiters:
            try:
                out.append(await waiter)
            except Exception as exc:
                out.append(exc)
        return out

    return asyncio.run(main())


STREAM = b"250-relay.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n354 Go ahead\r\n550 5.1.1 No such user\n"
REPLIES = [
    Reply(250, "relay.example\nPIPELINING\nSIZE 1000"),
    Reply(354, "Go ahead"),
    Reply(550, "5.1.1 No such user"),
]


def test_replies_are_read_in_order_wherever_the_bytes_are_cut():
    for cut in range(len(STREAM) + 1):  # one packet, or two cut at every byte
        assert _read([STREAM[:cut], STREAM[cut:]], 3) == REPLIES, cut
    assert _read([bytes([b]) for b in STREAM], 3) == REPLIES  # a byte at a time


def test_a_reply_nobody_asked_for_ends_the_connection():
    """Kept, it would answer the next command: a stray 250 taken for the message's acceptance."""

    async def main(data: bytes, asked: int) -> tuple[ReplyReader, bool, list[Reply]]:
        reader = ReplyReader()
        reader.transport = transport = _Transport()
        waiters = [asyncio.get_running_loop().create_future() for _ in range(asked)]
        reader.waiting.extend(waiters)
        reader.data_received(data)
        return reader, transport.closed, [w.result() for w in waiters]

    for data, asked, answered in (
        (b"250 2.0.0 Ok\r\n", 0, []),  # nothing asked
        (b"354 Go ahead\r\n250 2.0.0 Ok\r\n", 1, [Reply(354, "Go ahead")]),  # more than was asked
    ):
        reader, closed, replies = asyncio.run(main(data, asked))
        assert replies == answered and closed and not reader.buffer
        assert isinstance(reader.lost, aiosmtplib.SMTPServerDisconnected)
        assert "the server said, unasked: 250 2.0.0 Ok" in str(reader.lost)


def test_what_is_no_reply_fails_every_command_waiting():
    garbage, first_ok = _read([b"hello? this is not SMTP\r\n"], 2), _read([b"250 OK\r\nnope\r\n"], 2)
    assert all(isinstance(r, aiosmtplib.SMTPResponseException) and r.code == -1 for r in garbage)
    assert first_ok[0] == Reply(250, "OK") and first_ok[1].code == -1
    long_line = _read([b"250 " + b"x" * MAX_LINE + b"\r\n"], 1)[0]
    endless = _read([b"250-" + b"x" * 5000] * 3, 1)[0]  # no line end in sight
    assert (long_line.message, endless.message) == ("Response too long", "Response too long")
    (cut,) = _read([b"250 O"], 1)  # the server left mid-reply
    assert isinstance(cut, aiosmtplib.SMTPServerDisconnected)


def test_the_envelope_goes_in_one_write_where_the_server_offers_pipelining(tmp_path):
    """The relay answers only once it holds MAIL, RCPT and DATA: without pipelining, no message
    would get a reply before the timeout."""
    addresses = [f"r{i}@example.com" for i in range(5)]
    with GroupingRelay() as relay:
        report = send_campaign(
            _campaign(tmp_path, addresses), tmp_path / "out", relay=parse_relay(relay.url), limits=ONE
        )
    assert report.counts["sent"] == 5 and relay.queued == Counter(addresses)
    assert relay.groups == 5 and relay.connections == 2  # the probe, then one connection for all


@pytest.mark.parametrize("data_after_refusal", ["554 5.5.1 No valid recipients", "354 Go ahead"])
def test_a_refused_recipient_in_a_pipelined_group_gets_no_message(tmp_path, data_after_refusal):
    """RFC 2920 §3.1: every reply of the group is read; DATA accepted anyway gets a lone dot.
    The connection stays in step: the next recipients go on it."""
    addresses = ["a@example.com", "perm@example.com", "b@example.com"]
    refusal = lambda address: "550 5.1.1 No such user" if address.startswith("perm") else None  # noqa: E731
    with GroupingRelay(rcpt=refusal, data_after_refusal=data_after_refusal) as relay:
        report = send_campaign(
            _campaign(tmp_path, addresses), tmp_path / "out", relay=parse_relay(relay.url), limits=ONE
        )
    assert relay.queued == Counter({"a@example.com": 1, "b@example.com": 1})  # perm@ got nothing
    assert relay.lone_dots == (1 if data_after_refusal.startswith("354") else 0)
    assert report.counts["sent"] == 2 and report.counts["failed"] == 1
    (failure,) = report.failures
    assert failure[2:4] == ("perm@example.com", "failed") and failure[4].startswith("RCPT 550 5.1.1")
    assert relay.connections == 2  # the probe, then one connection, still in step after the refusal


@pytest.mark.parametrize("pipelining", [False, True])
def test_faults_meet_both_paths(tmp_path, pipelining):
    """The fault server's scripts, with and without PIPELINING: 451 to the data retried, 550 and
    554 to RCPT (the second stops its domain, another than the others'), a connection cut at
    RCPT, 251 after the data."""
    addresses = ["temp@example.com", "perm@example.com", "policy@elsewhere.example", "cut@example.com"]
    addresses += ["twoxx@example.com", "ok@example.com"]
    handler = FaultyHandler(pipelining=pipelining)
    limits = Limits(concurrency=2, attempts=4, backoff=0.01, timeout=3, retry_delays=(0.02,), wait=True)
    with SmtpServer(handler) as server:
        report = send_campaign(
            _campaign(tmp_path, addresses), tmp_path / "out", relay=parse_relay(server.url), limits=limits
        )
    delivered = {a: 1 for a in addresses if not a.startswith(("perm", "policy"))}
    assert handler.per_recipient() == Counter(delivered)
    assert handler.attempts["temp@example.com"] == 3  # two 451 replies, then accepted
    statuses = {row[2]: (row[3], row[4]) for row in report.failures}
    assert statuses["perm@example.com"] == ("failed", "RCPT 550 5.1.1 No such user here")
    status, reply = statuses["policy@elsewhere.example"]  # the domain's refusal: nobody suppressed
    assert status == "deferred" and "RCPT 554 5.7.1 Message rejected as spam" in reply
    assert report.counts["sent"] == 4


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_a_connection_over_tls_with_a_login_is_taken_over_and_pipelined(tmp_path, monkeypatch, mode):
    """What real relays ask for: TLS (STARTTLS on 587, or implicit on 465) and a login, done by
    aiosmtplib; the messages then go over the same encrypted connection, pipelined. The server
    refuses MAIL before STARTTLS, and the certificate is checked for real (SSL_CERT_FILE)."""
    import ssl

    from aiosmtpd.smtp import AuthResult

    from tests.imapkit import self_signed

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("PUBLIPOST_SMTP_PASSWORD", "s3cret")
    logins: list[bytes] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append(auth_data.login)
        return AuthResult(success=auth_data.login == b"dana" and auth_data.password == b"s3cret")

    options: dict = {"tls_context": context, "require_starttls": True}
    if mode == "smtps":  # aiosmtpd sees STARTTLS only: the implicit TLS it serves must be told
        options = {"ssl_context": context, "auth_require_tls": False}
    addresses = [f"r{i}@example.com" for i in range(4)]
    handler = FaultyHandler(pipelining=True)
    with SmtpServer(handler, authenticator=authenticator, **options) as server:
        scheme = "smtps" if mode == "smtps" else "smtp"
        url = server.url.replace("smtp://", f"{scheme}://dana@")
        report = send_campaign(
            _campaign(tmp_path, addresses), tmp_path / "out", relay=parse_relay(url), limits=ONE
        )
    assert report.counts["sent"] == 4 and handler.per_recipient() == Counter(addresses)
    assert set(logins) == {b"dana"}
    for message, address in zip(handler.delivered, addresses, strict=True):
        assert message["To"].addresses[0].addr_spec == address
