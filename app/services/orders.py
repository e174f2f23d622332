"""Order use cases: moving an order through its stages publishes `OrderStageChanged`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.database import utcnow
from app.events import OrderStageChanged, publish
from app.models import Order, OrderStage


def set_order_stage(
    session: Session, order: Order, stage: OrderStage, *, actor_user_id: int | None
) -> bool:
    """Move an order to `stage`; returns False when it already was there."""
    previous = order.stage
    if previous == stage:
        return False
    order.stage = stage
    order.stage_changed_at = utcnow()
    session.flush()
    publish(
        session,
        OrderStageChanged(
            order_id=order.id,
            from_stage=str(previous) if previous else None,
            to_stage=str(stage),
            actor_user_id=actor_user_id,
        ),
    )
    return True
