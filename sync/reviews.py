"""Dispatcher review of offline work that reached a reassigned or cancelled visit."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.database import utcnow
from app.errors import Conflict
from app.models import VisitReview
from app.services.records import get_or_404


def open_reviews(visit_id: int | None = None) -> Select[tuple[VisitReview]]:
    """Unresolved reviews, oldest first (optionally of one visit), for a paginated list."""
    stmt = select(VisitReview).where(VisitReview.resolved_at.is_(None)).order_by(VisitReview.id)
    if visit_id is not None:
        stmt = stmt.where(VisitReview.visit_id == visit_id)
    return stmt


def resolve_review(
    session: Session, review_id: int, *, user_id: int, resolution: str
) -> VisitReview:
    """Close a review with what the dispatcher decided; a closed review stays closed."""
    review = get_or_404(session, VisitReview, review_id)
    if review.resolved_at is not None:
        raise Conflict(
            "review %(id)s is already resolved", params={"id": review_id}, code="review_resolved"
        )
    review.resolved_at = utcnow()
    review.resolved_by_user_id = user_id
    review.resolution = resolution
    session.flush()
    return review
