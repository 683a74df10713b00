"""A DNS server on 127.0.0.1 answering TXT queries from a zone the test writes (dnspython's
message API over UDP): `publipost domain check` asks it through PUBLIPOST_DNS, never the internet."""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class DnsServer:
    def __init__(self, zone: dict[str, list[str]]):
        self.zone = {name.lower().rstrip("."): records for name, records in zone.items()}
        self.asked: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                data, client = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().lower().rstrip(".")
            self.asked.append(name)
            records = self.zone.get(name)
            if records is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:
                quoted = [" ".join(f'"{chunk}"' for chunk in _chunks(r)) for r in records]
                response.answer.append(dns.rrset.from_text(question.name, 300, "IN", "TXT", *quoted))
            self.sock.sendto(response.to_wire(), client)

    def __enter__(self) -> DnsServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.sock.close()


def _chunks(text: str) -> list[str]:
    """TXT strings are at most 255 bytes each (RFC 1035): a long DKIM key is split, as published."""
    return [text[i : i + 255] for i in range(0, len(text), 255)] or [""]
