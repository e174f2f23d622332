"""Rating links and the customer's verdict on a visit.

A link is bound to one visit, expires, and carries an unguessable token: a random nonce and
an HMAC of it under the secret key. The database keeps only the nonce, so a forged or
altered token is refused before any lookup and a copy of the table cannot mint links.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.errors import AppError, ValidationFailed
from app.events import RatingSubmitted, publish
from app.i18n.catalog import render
from app.i18n.text import N_, Text
from app.models import Customer, Rating, RatingLink, Visit
from app.services.outbox import Draft, queue_message

_MAC_BYTES = 16


class LinkState(enum.StrEnum):
    OPEN = "open"
    RATED = "rated"
    EXPIRED = "expired"
    INVALID = "invalid"


class LinkUnusable(AppError):
    """The token is forged, unknown or expired."""

    status = 410
    code = "rating_link_unusable"

    def __init__(self, state: LinkState) -> None:
        super().__init__(f"this rating link is {state}", details={"state": str(state)})
        self.state = state


def _mac(settings: Settings, nonce: str) -> str:
    digest = hmac.new(
        settings.secret_key.encode(), f"rating-link:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")


def token_for(settings: Settings, link: RatingLink) -> str:
    """The link's token: `<nonce>.<mac>`."""
    return f"{link.nonce}.{_mac(settings, link.nonce)}"


def rating_url(settings: Settings, token: str) -> str:
    """The customer-facing URL of a rating token."""
    return f"{settings.public_base_url}/r/{token}"


def _nonce_of(settings: Settings, token: str) -> str | None:
    nonce, _, mac = (token or "").partition(".")
    if not nonce or len(nonce) > 32 or not mac:
        return None
    # Compare bytes: compare_digest refuses non-ASCII str, and a forged token may carry any.
    expected = _mac(settings, nonce).encode()
    return nonce if hmac.compare_digest(mac.encode(), expected) else None


def issue_link(session: Session, settings: Settings, visit: Visit) -> tuple[RatingLink, bool]:
    """The visit's rating link, created on first call; returns (link, created)."""
    link = session.scalar(select(RatingLink).where(RatingLink.visit_id == visit.id))
    if link is not None:
        return link, False
    now = utcnow()
    link = RatingLink(
        visit_id=visit.id,
        customer_id=visit.customer_id,
        nonce=secrets.token_urlsafe(16),
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.rating_link_ttl_days),
    )
    session.add(link)
    session.flush()
    return link, True


def send_link(session: Session, settings: Settings, link: RatingLink) -> bool:
    """Queue the message carrying the link to the customer; False when we cannot reach them."""
    customer = session.get(Customer, link.customer_id)
    if customer is None or not (customer.email or customer.phone):
        return False
    url = rating_url(settings, token_for(settings, link))
    # Written outside any request, in the customer's language (the default until they have one).
    locale = getattr(customer, "language", None) or settings.default_locale
    channel, recipient = ("email", customer.email) if customer.email else ("sms", customer.phone)
    queue_message(
        session,
        settings,
        Draft(
            dedupe_key=f"rating-link:{link.id}",
            topic="rating_link",
            channel=channel,
            recipient=recipient or "",
            subject=render(N_("How was our visit?"), locale),
            body=render(
                Text(
                    N_(
                        "%(name)s, thank you for choosing us. Please tell us how the visit went: "
                        "%(url)s\n(valid until %(until)s)"
                    ),
                    {"name": customer.name, "url": url, "until": f"{link.expires_at:%Y-%m-%d}"},
                ),
                locale,
            ),
            customer_id=customer.id,
        ),
    )
    return True


@dataclass(frozen=True)
class LinkView:
    """What a token leads to."""

    state: LinkState
    link: RatingLink | None = None
    visit: Visit | None = None
    rating: Rating | None = None


def resolve(session: Session, settings: Settings, token: str) -> LinkView:
    """Check a token and find its visit and any verdict already given."""
    nonce = _nonce_of(settings, token)
    if nonce is None:
        return LinkView(LinkState.INVALID)
    link = session.scalar(select(RatingLink).where(RatingLink.nonce == nonce))
    if link is None:
        return LinkView(LinkState.INVALID)
    visit = session.get(Visit, link.visit_id)
    rating = session.scalar(select(Rating).where(Rating.visit_id == link.visit_id))
    if link.expires_at <= utcnow():
        return LinkView(LinkState.EXPIRED, link, visit, rating)
    if link.first_opened_at is None:
        link.first_opened_at = utcnow()
    state = LinkState.RATED if rating is not None else LinkState.OPEN
    return LinkView(state, link, visit, rating)


@dataclass(frozen=True)
class Verdict:
    """What the customer answered."""

    csat: int
    nps: int | None = None
    comment: str | None = None
    language: str = "en"

    def check(self) -> None:
        """Refuse out-of-range answers."""
        errors: dict[str, list[str]] = {}
        if not 1 <= self.csat <= 5:
            errors["csat"] = ["must be 1 to 5"]
        if self.nps is not None and not 0 <= self.nps <= 10:
            errors["nps"] = ["must be 0 to 10"]
        if self.comment is not None and len(self.comment) > 2000:
            errors["comment"] = ["at most 2000 characters"]
        if errors:
            raise ValidationFailed("the rating is incomplete or out of range", fields=errors)


def submit(session: Session, settings: Settings, token: str, verdict: Verdict) -> Rating:
    """Record (or, while the link lives, change) the one verdict on the link's visit."""
    view = resolve(session, settings, token)
    if view.state in (LinkState.INVALID, LinkState.EXPIRED):
        raise LinkUnusable(view.state)
    verdict.check()
    assert view.link is not None
    rating = view.rating
    is_edit = rating is not None
    if rating is None:
        rating = Rating(visit_id=view.link.visit_id, customer_id=view.link.customer_id, edits=0)
        session.add(rating)
    else:
        rating.edits += 1
    rating.csat = verdict.csat
    rating.nps = verdict.nps
    rating.comment = (verdict.comment or "").strip() or None
    rating.language = verdict.language
    session.flush()
    publish(
        session,
        RatingSubmitted(
            rating_id=rating.id,
            visit_id=rating.visit_id,
            customer_id=rating.customer_id,
            csat=rating.csat,
            nps=rating.nps,
            is_edit=is_edit,
        ),
    )
    return rating
