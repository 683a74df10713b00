"""DKIM signatures (dkimpy), when the campaign names a selector and a key.

The signature covers From, To, Subject, Date, Message-ID and the one-click unsubscribe
pair: mailbox providers require List-Unsubscribe and List-Unsubscribe-Post to be signed
(RFC 8058). Relaxed canonicalisation survives the header folding relays do. The key is
read from PUBLIPOST_DKIM_KEY or from the file `email.dkim.key_file` names, never from the
YAML itself; keys under 1024 bits are refused (Gmail's minimum).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from publipost.campaigns.model import Campaign
from publipost.errors import PublipostError

KEY_VARIABLE = "PUBLIPOST_DKIM_KEY"
SIGNED = (b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Unsubscribe", b"List-Unsubscribe-Post")
MIN_BITS = 1024


@dataclass(frozen=True)
class DkimKey:
    selector: str
    domain: str
    pem: bytes = field(repr=False)


def load_key(campaign: Campaign) -> DkimKey | None:
    config = campaign.email.dkim if campaign.email else None
    if config is None:
        return None
    where = campaign.where(("email", "dkim"))
    pem = os.environ.get(KEY_VARIABLE, "").encode()
    if not pem:
        if not config.key_file:
            raise PublipostError(f"email.dkim has no key: set {KEY_VARIABLE} or email.dkim.key_file", where)
        pem = campaign.resolve(config.key_file).read_bytes()
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        bits = load_pem_private_key(pem, password=None).key_size
    except (ValueError, TypeError) as exc:
        raise PublipostError(
            f"the DKIM key cannot be read: {exc}", where, "give an unencrypted PEM RSA key"
        ) from None
    if bits < MIN_BITS:
        raise PublipostError(
            f"the DKIM key has {bits} bits; mailbox providers require at least {MIN_BITS}",
            where,
            "generate a 2048-bit key",
        )
    domain = config.domain or (campaign.sender.email or "").rsplit("@", 1)[-1]
    return DkimKey(config.selector, domain, pem)


def sign(data: bytes, key: DkimKey) -> bytes:
    import dkim

    present = {
        line.split(b":", 1)[0].lower()
        for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        if line and not line[:1].isspace()
    }
    headers = [h for h in SIGNED if h.lower() in present]
    signature = dkim.sign(
        data,
        key.selector.encode(),
        key.domain.encode(),
        key.pem,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=headers,
    )
    return signature + data
