"""An IMAP server over TLS on 127.0.0.1, for the tests of `bounces import imaps://…`: the
IMAP4rev1 commands a reader of a folder uses (CAPABILITY, LOGIN, SELECT/EXAMINE with UIDVALIDITY,
SEARCH ALL and UID SEARCH ALL, FETCH and UID FETCH of RFC822.SIZE and BODY.PEEK[] with a partial
range, LOGOUT), with a self-signed certificate the client is told to trust through
SSL_CERT_FILE, so that the client's certificate check runs for real. It records whether a
message was ever flagged or changed (a reader must not)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import socketserver
import ssl
import threading
from pathlib import Path


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "imap-cert.pem", folder / "imap-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class ImapServer:
    def __init__(
        self,
        folder: Path,
        messages: list[bytes],
        user: str = "bounces",
        password: str = "s3cret",
        sizes: dict[int, int] | None = None,
    ):
        self.cert, key = self_signed(folder)
        self.messages, self.user, self.password = messages, user, password
        self.sizes = sizes or {}  # message number -> the RFC822.SIZE claimed (a 3 GB message, say)
        self.bodies_fetched: list[int] = []  # message numbers whose body a client fetched
        self.writes: list[str] = []  # STORE, COPY, EXPUNGE… a reader sends none
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                server.session(self.rfile, self.wfile)

        class Tls(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self) -> tuple[socket.socket, object]:
                sock, address = super().get_request()
                return context.wrap_socket(sock, server_side=True), address

        self.tcp = Tls(("127.0.0.1", 0), Handler)
        self.port = self.tcp.server_address[1]
        self.thread = threading.Thread(target=self.tcp.serve_forever, daemon=True)

    def __enter__(self) -> ImapServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.tcp.shutdown()
        self.tcp.server_close()

    def session(self, rfile, wfile) -> None:
        def send(line: str | bytes) -> None:
            wfile.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")
            wfile.flush()

        send("* OK IMAP4rev1 publipost test server ready")
        logged = False
        for raw in rfile:
            tag, _, rest = raw.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "CAPABILITY":
                send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                send(f"{tag} OK CAPABILITY completed")
            elif command == "LOGIN":
                user, password = [a.strip('"') for a in args.split(" ", 1)]
                logged = (user, password) == (self.user, self.password)
                send(f"{tag} OK LOGIN completed" if logged else f"{tag} NO [AUTHENTICATIONFAILED] bad login")
            elif command in ("SELECT", "EXAMINE") and logged:
                if args.strip('"').upper() != "INBOX":
                    send(f"{tag} NO no such mailbox")
                    continue
                send(f"* {len(self.messages)} EXISTS")
                send("* OK [UIDVALIDITY 7] UIDs valid")
                send(
                    f"{tag} OK [{'READ-ONLY' if command == 'EXAMINE' else 'READ-WRITE'}] {command} completed"
                )
            elif command == "UID" and logged:
                # UID n is message n + 100: a client that mixes numbers and UIDs fetches nothing
                command, _, args = args.partition(" ")
                if command.upper() == "SEARCH":
                    send("* SEARCH " + " ".join(str(n + 100) for n in range(1, len(self.messages) + 1)))
                    send(f"{tag} OK UID SEARCH completed")
                elif command.upper() == "FETCH":
                    uid, what = args.split(" ", 1)
                    self.fetch(int(uid) - 100, what, send, uid=int(uid))
                    send(f"{tag} OK UID FETCH completed")
            elif command == "SEARCH" and logged:
                send("* SEARCH " + " ".join(str(n) for n in range(1, len(self.messages) + 1)))
                send(f"{tag} OK SEARCH completed")
            elif command == "FETCH" and logged:
                number, what = args.split(" ", 1)
                self.fetch(int(number), what, send)
                send(f"{tag} OK FETCH completed")
            elif command == "LOGOUT":
                send("* BYE logging out")
                send(f"{tag} OK LOGOUT completed")
                return
            elif re.match(r"STORE|COPY|MOVE|EXPUNGE|APPEND|DELETE", command):
                self.writes.append(command)
                send(f"{tag} NO read-only test server")
            else:
                send(f"{tag} BAD unknown or not allowed: {command}")

    def fetch(self, number: int, what: str, send, uid: int | None = None) -> None:
        data = self.messages[number - 1]
        said = f"UID {uid} " if uid is not None else ""
        if "RFC822.SIZE" in what.upper():
            send(f"* {number} FETCH ({said}RFC822.SIZE {self.sizes.get(number, len(data))})")
            return
        if "PEEK" not in what.upper():
            self.writes.append("FETCH without PEEK (marks the message read)")
        self.bodies_fetched.append(number)
        partial = re.search(r"<(\d+)\.(\d+)>", what)
        name = "BODY[]"
        if partial:
            start, length = int(partial[1]), int(partial[2])
            data, name = data[start : start + length], f"BODY[]<{start}>"
        send(f"* {number} FETCH ({said}{name} {{{len(data)}}}".encode() + b"\r\n" + data + b")\r\n")
