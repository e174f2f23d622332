"""The order pipeline: one column per stage, with counts and how long orders have waited in it.

An order entered its stage when its stage history (`order_stage_changes`) last reached it; an
order without such history has been in its stage since it was created.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Customer, Order, OrderStage, OrderStageChange

ACTIVE_STAGES = [s for s in OrderStage if s not in (OrderStage.CLOSED, OrderStage.CANCELLED)]
CARDS_PER_COLUMN = 30
# Ageing buckets in days in the stage: fresh, waiting, stuck.
AGE_BUCKETS = (7, 30)


@dataclass(frozen=True)
class OrderCard:
    order: Order
    customer_name: str
    days_in_stage: int

    @property
    def ageing(self) -> str:
        """fresh, waiting or stuck (see AGE_BUCKETS)."""
        if self.days_in_stage <= AGE_BUCKETS[0]:
            return "fresh"
        return "waiting" if self.days_in_stage <= AGE_BUCKETS[1] else "stuck"


@dataclass(frozen=True)
class PipelineColumn:
    stage: OrderStage
    count: int
    median_days: int | None
    oldest_days: int | None
    buckets: dict[str, int]
    cards: list[OrderCard]


@dataclass(frozen=True)
class Pipeline:
    columns: list[PipelineColumn]
    finished: dict[OrderStage, int]


def pipeline(session: Session, now: dt.datetime, *, product_line: str = "") -> Pipeline:
    """Every active stage with its orders, the longest waiting first."""
    reached = (
        select(
            OrderStageChange.order_id,
            OrderStageChange.to_stage,
            func.max(OrderStageChange.at).label("at"),
        )
        .group_by(OrderStageChange.order_id, OrderStageChange.to_stage)
        .subquery()
    )
    entered = func.coalesce(reached.c.at, Order.created_at)
    stmt = (
        select(Order, Customer.name, entered)
        .join(Customer, Customer.id == Order.customer_id)
        .outerjoin(reached, (reached.c.order_id == Order.id) & (reached.c.to_stage == Order.stage))
        .where(Order.stage.in_(ACTIVE_STAGES))
        .order_by(entered, Order.id)
    )
    if product_line:
        stmt = stmt.where(Order.product_line == product_line)
    by_stage: dict[OrderStage, list[OrderCard]] = {s: [] for s in ACTIVE_STAGES}
    for order, name, since in session.execute(stmt):
        days = max(0, (now - _aware(since)).days)
        by_stage[order.stage].append(OrderCard(order, name, days))
    columns = []
    for stage, cards in by_stage.items():
        ages = sorted(c.days_in_stage for c in cards)
        buckets = {"fresh": 0, "waiting": 0, "stuck": 0}
        for c in cards:
            buckets[c.ageing] += 1
        columns.append(
            PipelineColumn(
                stage=stage,
                count=len(cards),
                median_days=ages[len(ages) // 2] if ages else None,
                oldest_days=ages[-1] if ages else None,
                buckets=buckets,
                cards=cards[:CARDS_PER_COLUMN],
            )
        )
    finished_stmt = (
        select(Order.stage, func.count())
        .where(Order.stage.in_((OrderStage.CLOSED, OrderStage.CANCELLED)))
        .group_by(Order.stage)
    )
    if product_line:
        finished_stmt = finished_stmt.where(Order.product_line == product_line)
    finished = {OrderStage(stage): count for stage, count in session.execute(finished_stmt)}
    return Pipeline(columns=columns, finished=finished)


def _aware(moment: dt.datetime) -> dt.datetime:
    # COALESCE hands back the raw column value: SQLite's is naive (stored in UTC).
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
