"""Customer link tokens: a random nonce and an HMAC of it under the secret key, per purpose.

The database keeps only the nonce, so a forged or altered token is refused before any lookup
and a copy of the table cannot mint links. The purpose (rating link, progress link) is part of
the signed text: a token of one kind never opens a page of another. `open_link` is the one way
a page opens a token: forged, unknown and other-purpose tokens look alike (404), expired ones
answer 410.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Mapped, Session

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


class LinkState(enum.StrEnum):
    """Where a token leads: a live link, an expired one, or nowhere (forged, unknown, other)."""

    OPEN = "open"
    EXPIRED = "expired"
    INVALID = "invalid"


class SignedLink(Protocol):
    """A table of links: the nonce of each token, its expiry and its first opening."""

    nonce: Mapped[str]
    expires_at: Mapped[dt.datetime]
    first_opened_at: Mapped[dt.datetime | None]


L = TypeVar("L", bound=SignedLink)


@dataclass(frozen=True)
class Opened(Generic[L]):
    """A token checked: its state, and its link unless it leads nowhere."""

    state: LinkState
    link: L | None = None


def open_link(
    session: Session, settings: Settings, purpose: str, model: type[L], raw: str, now: dt.datetime
) -> Opened[L]:
    """Check `raw` for `purpose` and find its row of `model`; the first opening is recorded.

    Forged, malformed, unknown and other-purpose tokens all come back INVALID, alike.
    """
    nonce = nonce_of(settings, purpose, raw)
    if nonce is None:
        return Opened(LinkState.INVALID)
    link = session.scalar(select(model).where(model.nonce == nonce))
    if link is None:
        return Opened(LinkState.INVALID)
    if link.expires_at <= now:
        return Opened(LinkState.EXPIRED, link)
    if link.first_opened_at is None:
        link.first_opened_at = now
    return Opened(LinkState.OPEN, link)


def refusal_status(state: LinkState) -> int:
    """The HTTP status of a link that does not open: 410 once expired, else 404."""
    return 410 if state == LinkState.EXPIRED else 404
