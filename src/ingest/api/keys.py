"""Partner API keys: minted once, stored as a hash, checked in constant time.

A key reads ``ingest_<id>_<secret>``: the id (12 hex digits) is public and names the
key in ``ingest partners key list`` and in logs; the secret is 32 random bytes
(URL-safe base64). The registry keeps only the secret's SHA-256, so a copy of the
database lets no one call the API, and nothing can print a key again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from ingest.registry.api import ArticleRegistry, PartnerKey

PREFIX = "ingest_"
_ID_HEX = 12
# Compared against when the id is unknown, so a miss costs what a wrong secret does.
_NO_KEY = hashlib.sha256(b"no such key").hexdigest()


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(registry: ArticleRegistry, partner_id: str, now: datetime) -> tuple[str, str]:
    """A new key for ``partner_id``, registered: ``(key id, key)``. Show the key once."""
    key_id = secrets.token_hex(_ID_HEX // 2)
    secret = secrets.token_urlsafe(32)
    registry.add_partner_key(PartnerKey(key_id, partner_id, secret_sha256(secret), now, None))
    return key_id, f"{PREFIX}{key_id}_{secret}"


def split_key(key: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a key that has the right shape, else None."""
    if not key.startswith(PREFIX):
        return None
    key_id, sep, secret = key[len(PREFIX):].partition("_")
    if len(key_id) != _ID_HEX or not sep or not secret:
        return None
    return key_id, secret


def verify(registry: ArticleRegistry, key: str) -> PartnerKey | None:
    """The stored key ``key`` is, if it exists and is not revoked; None otherwise."""
    parts = split_key(key)
    stored = registry.partner_key(parts[0]) if parts else None
    expected = stored.secret_sha256 if stored else _NO_KEY
    given = secret_sha256(parts[1] if parts else key)
    if not hmac.compare_digest(expected, given) or stored is None:
        return None
    return stored if stored.revoked_at is None else None
