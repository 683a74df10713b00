"""DKIM signatures (dkimpy): RSA (RFC 6376) or Ed25519 (RFC 8463).

The signature covers From, To, Subject, Date, Message-ID and the one-click unsubscribe
pair: mailbox providers require List-Unsubscribe and List-Unsubscribe-Post to be signed
(RFC 8058). Relaxed canonicalisation survives the header folding relays do. RSA keys
under 1024 bits are refused (Gmail's minimum); any other kind of key is refused with
what to use instead. Not every mailbox provider verifies Ed25519 yet: an RSA key is the
safe choice.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from publipost.errors import PublipostError, Where

KEY_VARIABLE = "PUBLIPOST_DKIM_KEY"
# What receivers check (RFC 8058 §4: the unsubscribe pair must be signed; Gmail and Yahoo's bulk
# sender rules) and what a relay must not be able to change unseen.
SIGNED = (
    b"From",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"Reply-To",
    b"Content-Type",
    b"MIME-Version",
    b"List-Id",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
    b"Feedback-ID",
)
MIN_BITS = 1024
RSA, ED25519 = b"rsa-sha256", b"ed25519-sha256"


@dataclass(frozen=True)
class DkimKey:
    selector: str
    domain: str
    algorithm: bytes  # RSA or ED25519
    key: bytes = field(repr=False)  # PEM (RSA), or the base64 seed dkimpy takes (Ed25519)


def read_key(pem: bytes, selector: str, domain: str, where: Where | None = None) -> DkimKey:
    """The signing key in `pem`, checked: a clear error for an unreadable, short or unusable key."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        load_pem_private_key,
    )

    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise PublipostError(
            f"the DKIM key cannot be read: {exc}", where, "give an unencrypted PEM key (RSA or Ed25519)"
        ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_BITS:
            raise PublipostError(
                f"the DKIM key has {key.key_size} bits; mailbox providers require at least {MIN_BITS}",
                where,
                "generate a 2048-bit key",
            )
        return DkimKey(selector, domain, RSA, pem)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return DkimKey(selector, domain, ED25519, base64.b64encode(seed))
    import warnings

    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448

    with warnings.catch_warnings():  # cryptography 51 warns that DSA is deprecated: we only name it
        warnings.simplefilter("ignore")
        kinds = (
            (ec.EllipticCurvePrivateKey, "an ECDSA"),
            (dsa.DSAPrivateKey, "a DSA"),
            (ed448.Ed448PrivateKey, "an Ed448"),
        )
    kind = next((name for cls, name in kinds if isinstance(key, cls)), "another kind of")
    raise PublipostError(
        f"the DKIM key is {kind} key: DKIM signs with RSA (RFC 6376) or Ed25519 (RFC 8463)",
        where,
        "generate an RSA key: openssl genrsa -out dkim.pem 2048",
    )


def sign(data: bytes, key: DkimKey) -> bytes:
    import dkim

    present = {
        line.split(b":", 1)[0].lower()
        for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        if line and not line[:1].isspace()
    }
    headers = [h for h in SIGNED if h.lower() in present]
    signature: bytes = dkim.sign(
        data,
        key.selector.encode(),
        key.domain.encode(),
        key.key,
        signature_algorithm=key.algorithm,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=headers,
    )
    return signature + data


def generate(kind: str = "rsa") -> bytes:
    """A new signing key as PEM (PKCS#8): RSA 2048 bits (what every receiver verifies), or
    Ed25519 (RFC 8463; publish an RSA key beside it for receivers that do not verify it yet)."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    key = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else rsa.generate_private_key(65537, 2048)
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def dns_record(pem: bytes, selector: str, domain: str) -> tuple[str, str]:
    """(name, value) of the TXT record that publishes the key's public half (RFC 6376 §3.6.1;
    RFC 8463 for k=ed25519): what receivers look the signature's s= and d= up by."""
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_private_key,
    )

    checked = read_key(pem, selector, domain)  # the same checks as signing: a key that signs
    key = load_pem_private_key(pem, password=None)
    public = key.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        value = f"v=DKIM1; k=ed25519; p={base64.b64encode(raw).decode()}"
    else:
        der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        value = f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"
    return f"{checked.selector}._domainkey.{checked.domain}", value
