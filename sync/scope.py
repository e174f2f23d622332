"""A technician's scope, as data: the visits they work on soon and what those visits point to.

Scope = visits assigned to the technician, not cancelled, planned (or windowed) from the start
of yesterday to the end of the day N days ahead (N = `sync_scope_days_ahead`), the customers,
sites and orders those visits reference, the published technician articles that fit those
visits (`app.services.article_matching`), and the checklist templates. It is computed from the
current rows on every pull, so any path that reassigns, cancels or moves a visit (back office,
dispatch publish, a job) changes what phones hold without telling the sync layer.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.models import (
    Article,
    ArticleAudience,
    ArticleStatus,
    ChecklistAnswer,
    Order,
    Visit,
    VisitStatus,
)
from app.services.article_matching import VisitFacts, fits
from app.services.articles import FAULT_CAUSE_ITEM

TEMPLATES_KEY = "t"


def visit_key(visit_id: int) -> str:
    return f"v:{visit_id}"


def scope_window(
    settings: Settings, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """[start of yesterday, end of today + N days) in the service area's time zone."""
    zone = ZoneInfo(settings.time_zone)
    today = (now or utcnow()).astimezone(zone).date()
    start = dt.datetime.combine(today - dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(
        today + dt.timedelta(days=settings.sync_scope_days_ahead + 1), dt.time.min, tzinfo=zone
    )
    return start, end


def scope_keys(
    session: Session, technician_id: int, settings: Settings, now: dt.datetime | None = None
) -> set[str]:
    """The scope keys (`v:`, `c:`, `s:`, `o:`, `a:` ids and `t`) the technician should hold now."""
    start, end = scope_window(settings, now)
    when = func.coalesce(Visit.planned_start, Visit.window_start)
    cause = and_(ChecklistAnswer.visit_id == Visit.id, ChecklistAnswer.item_key == FAULT_CAUSE_ITEM)
    rows = session.execute(
        select(
            Visit.id,
            Visit.customer_id,
            Visit.site_id,
            Visit.order_id,
            Visit.kind,
            Order.product_line,
            ChecklistAnswer.value,
        )
        .outerjoin(Order, Order.id == Visit.order_id)
        .outerjoin(ChecklistAnswer, cause)
        .where(
            Visit.technician_id == technician_id,
            Visit.status != VisitStatus.CANCELLED,
            when >= start,
            when < end,
        )
    )
    keys = {TEMPLATES_KEY}
    facts: set[VisitFacts] = set()
    for visit_id, customer_id, site_id, order_id, kind, product_line, fault_cause in rows:
        keys.update((visit_key(visit_id), f"c:{customer_id}", f"s:{site_id}"))
        if order_id is not None:
            keys.add(f"o:{order_id}")
        found = fault_cause if isinstance(fault_cause, str) else None
        facts.add(VisitFacts(kind, product_line, found))
    keys.update(f"a:{article_id}" for article_id in article_ids(session, facts))
    return keys


def article_ids(session: Session, visits: set[VisitFacts]) -> list[int]:
    """Published technician articles that fit at least one of these visits."""
    if not visits:
        return []
    rows = session.execute(
        select(Article.id, Article.visit_kinds, Article.product_lines, Article.fault_causes).where(
            Article.status == ArticleStatus.PUBLISHED,
            Article.audience.in_((ArticleAudience.TECHNICIAN, ArticleAudience.BOTH)),
        )
    )
    return [row.id for row in rows if any(fits(row, visit) for visit in visits)]
