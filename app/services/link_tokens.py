"""Customer link tokens: a random nonce and an HMAC of it under the secret key, per purpose.

The database keeps only the nonce, so a forged or altered token is refused before any lookup
and a copy of the table cannot mint links. The purpose (rating link, progress link) is part of
the signed text: a token of one kind never opens a page of another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from app.config import Settings

_MAC_BYTES = 16
MAX_NONCE_CHARS = 32


def new_nonce() -> str:
    """A fresh random nonce (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def mac(settings: Settings, purpose: str, nonce: str) -> str:
    """The HMAC of `nonce` for `purpose`, shortened and URL-safe."""
    digest = hmac.new(
        settings.secret_key.encode(), f"{purpose}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")


def token(settings: Settings, purpose: str, nonce: str) -> str:
    """The token `<nonce>.<mac>`."""
    return f"{nonce}.{mac(settings, purpose, nonce)}"


def nonce_of(settings: Settings, purpose: str, raw: str) -> str | None:
    """The nonce of a genuine token for `purpose`; None for anything forged or malformed."""
    nonce, _, given = (raw or "").partition(".")
    if not nonce or len(nonce) > MAX_NONCE_CHARS or not given:
        return None
    # Compare bytes: compare_digest refuses non-ASCII str, and a forged token may carry any.
    expected = mac(settings, purpose, nonce).encode()
    return nonce if hmac.compare_digest(given.encode(), expected) else None
