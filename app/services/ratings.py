"""Rating links and the customer's verdict on a visit.

A link is bound to one visit, expires, and carries an unguessable token (the scheme of
`app.services.link_tokens`): a forged or altered token is refused before any lookup.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.errors import AppError, ValidationFailed
from app.events import RatingSubmitted, publish
from app.i18n.text import N_, Text
from app.models import Customer, Rating, RatingLink, Visit
from app.services import link_tokens, notices
from app.services.notices import Notice

PURPOSE = "rating-link"


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


def token_for(settings: Settings, link: RatingLink) -> str:
    """The link's token: `<nonce>.<mac>`."""
    return link_tokens.token(settings, PURPOSE, link.nonce)


def rating_url(settings: Settings, token: str) -> str:
    """The customer-facing URL of a rating token."""
    return f"{settings.public_base_url}/r/{token}"


def issue_link(session: Session, settings: Settings, visit: Visit) -> tuple[RatingLink, bool]:
    """The visit's rating link, created on first call; returns (link, created)."""
    link = session.scalar(select(RatingLink).where(RatingLink.visit_id == visit.id))
    if link is not None:
        return link, False
    now = utcnow()
    link = RatingLink(
        visit_id=visit.id,
        customer_id=visit.customer_id,
        nonce=link_tokens.new_nonce(),
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.rating_link_ttl_days),
    )
    session.add(link)
    session.flush()
    return link, True


def send_link(session: Session, settings: Settings, link: RatingLink) -> bool:
    """Queue the visit-done message carrying the link; False when the customer cannot get it."""
    customer = session.get(Customer, link.customer_id)
    if customer is None:
        return False
    url = rating_url(settings, token_for(settings, link))
    until = f"{link.expires_at:%Y-%m-%d}"
    message = notices.notify(
        session,
        settings,
        customer.id,
        Notice(
            topic="rating_link",
            dedupe_key=f"rating-link:{link.id}",
            subject=Text(N_("How was our visit?")),
            body=Text(
                N_(
                    "%(name)s, thank you for choosing us. Please tell us how the visit went: "
                    "%(url)s\n(valid until %(until)s)"
                ),
                {"name": customer.name, "url": url, "until": until},
            ),
            params={"name": customer.name, "url": url, "until": until},
        ),
    )
    return message is not None


@dataclass(frozen=True)
class LinkView:
    """What a token leads to."""

    state: LinkState
    link: RatingLink | None = None
    visit: Visit | None = None
    rating: Rating | None = None


def resolve(session: Session, settings: Settings, token: str) -> LinkView:
    """Check a token and find its visit and any verdict already given."""
    opened = link_tokens.open_link(session, settings, PURPOSE, RatingLink, token, utcnow())
    link = opened.link
    if link is None:
        return LinkView(LinkState.INVALID)
    visit = session.get(Visit, link.visit_id)
    rating = session.scalar(select(Rating).where(Rating.visit_id == link.visit_id))
    if opened.state == link_tokens.LinkState.EXPIRED:
        return LinkView(LinkState.EXPIRED, link, visit, rating)
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
