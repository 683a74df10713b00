"""What publipost signs with the campaign key (PUBLIPOST_UNSUBSCRIBE_SECRET): the tag of each
Message-ID. The mailer writes it; bounce and complaint imports check it. Both sides import this
module, so the format is defined once.

A Message-ID is `<CODE.RECIPIENT.TAG@domain>`. TAG is 32 hex: a salt (8 hex, a digest of the
campaign's name, so that two campaigns sharing a code never share Message-IDs) and a MAC (24 hex,
96 bits): an HMAC over the code, the recipient, the salt and the store's key of the address the
message went to. A report quoting it proves, for that one address, that publipost sent that
message there: nobody without the key can forge one, and a real one names no other address.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# A quoted Message-ID of publipost's: code, recipient id, tag.
QUOTED_ID = re.compile(r"<([A-Z0-9]{2,12})\.([A-Za-z0-9._-]+)\.([0-9a-f]{32})@[^>\s]+>")


def campaign_salt(campaign: str) -> str:
    """The tag's first 8 hex: the campaign's, computed once per campaign (not per message)."""
    return hashlib.sha256(campaign.encode()).hexdigest()[:8]


def message_tag(secret: bytes, salt: str, code: str, recipient_id: str, address_key: str) -> str:
    return salt + _mac(secret, code, recipient_id, salt, address_key)


def check_tag(secret: bytes, code: str, recipient_id: str, tag: str, address_key: str) -> bool:
    """Whether `tag` proves a message of this campaign code and recipient to this address."""
    if len(tag) != 32 or not secret:
        return False
    return hmac.compare_digest(
        _mac(secret, code, recipient_id, tag[:8], address_key).encode(), tag[8:].encode()
    )


def _mac(secret: bytes, code: str, recipient_id: str, salt: str, address_key: str) -> str:
    message = f"message-id:{code}:{recipient_id}:{salt}:{address_key}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:24]
