"""Progress links: each order's signed, expiring link to its progress page.

The token follows the rating links' scheme (`app.services.link_tokens`) under its own purpose,
and is scoped to one order: it opens that order's page and acts on that order's visits only.
Every message that carries the link pushes its expiry forward, so a customer in the middle of
an order always holds a live link, and a link of a finished order dies on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.errors import AppError
from app.models import Order, ProgressLink
from app.services import link_tokens
from app.services.link_tokens import LinkState

PURPOSE = "progress-link"


class ProgressLinkUnusable(AppError):
    """The token is forged, unknown, expired or of another order."""

    status = 404
    code = "progress_link_unusable"

    def __init__(self, state: LinkState) -> None:
        super().__init__(
            "this progress link is %(state)s",
            params={"state": str(state)},
            details={"state": str(state)},
        )
        self.state = state
        self.status = link_tokens.refusal_status(state)


def token_for(settings: Settings, link: ProgressLink) -> str:
    """The link's token: `<nonce>.<mac>`."""
    return link_tokens.token(settings, PURPOSE, link.nonce)


def progress_url(settings: Settings, token: str) -> str:
    """The customer-facing URL of a progress token."""
    return f"{settings.public_base_url}/p/{token}"


def issue_link(session: Session, settings: Settings, order: Order) -> ProgressLink:
    """The order's link, created on first call; each call extends its life by the TTL."""
    link = session.scalar(select(ProgressLink).where(ProgressLink.order_id == order.id))
    now = utcnow()
    expires = now + dt.timedelta(days=settings.progress_link_ttl_days)
    if link is None:
        link = ProgressLink(
            order_id=order.id,
            customer_id=order.customer_id,
            nonce=link_tokens.new_nonce(),
            created_at=now,
            expires_at=expires,
        )
        session.add(link)
    elif link.expires_at < expires:
        link.expires_at = expires
    session.flush()
    return link


@dataclass(frozen=True)
class LinkView:
    """What a token leads to."""

    state: LinkState
    link: ProgressLink | None = None
    order: Order | None = None


def resolve(session: Session, settings: Settings, token: str) -> LinkView:
    """Check a token and find its order; forged and unknown tokens look alike."""
    opened = link_tokens.open_link(session, settings, PURPOSE, ProgressLink, token, utcnow())
    order = session.get(Order, opened.link.order_id) if opened.link else None
    if order is None:
        return LinkView(LinkState.INVALID)
    return LinkView(opened.state, opened.link, order)


def open_order(session: Session, settings: Settings, token: str) -> Order:
    """The order of a usable token, or ProgressLinkUnusable."""
    view = resolve(session, settings, token)
    if view.state != LinkState.OPEN or view.order is None:
        raise ProgressLinkUnusable(view.state)
    return view.order
