"""Order use cases: creating an order and moving it through its stages publish events, and
every stage an order reaches is dated in its history."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.database import utcnow
from app.events import OrderCreated, OrderStageChanged, publish
from app.models import Order, OrderStage, OrderStageChange


def create_order(session: Session, data: dict[str, Any], *, actor_user_id: int | None) -> Order:
    """Create an order (links already checked) and date its first stage."""
    order = Order(**data)
    session.add(order)
    session.flush()
    _record(session, order, None, order.stage, actor_user_id)
    publish(
        session,
        OrderCreated(order_id=order.id, customer_id=order.customer_id, actor_user_id=actor_user_id),
    )
    return order


def set_order_stage(
    session: Session, order: Order, stage: OrderStage, *, actor_user_id: int | None
) -> bool:
    """Move an order to `stage`; returns False when it already was there."""
    previous = order.stage
    if previous == stage:
        return False
    order.stage = stage
    session.flush()
    _record(session, order, previous, stage, actor_user_id)
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


def _record(
    session: Session,
    order: Order,
    previous: OrderStage | None,
    stage: OrderStage,
    actor_user_id: int | None,
) -> None:
    session.add(
        OrderStageChange(
            order_id=order.id,
            from_stage=previous,
            to_stage=stage,
            actor_user_id=actor_user_id,
            at=utcnow(),
        )
    )
    session.flush()
