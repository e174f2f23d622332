"""Finding customers: by name, phone, e-mail, address or order number, by tier and tag."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from app.models import Complaint, ComplaintStage, Customer, CustomerTier, Order, Site
from app.services.access import customer_search

PAGE_SIZE = 50


@dataclass(frozen=True)
class CustomerFilter:
    """What the desk searches by; empty fields do not filter."""

    text: str = ""
    tier: CustomerTier | None = None
    tag: str = ""


@dataclass(frozen=True)
class CustomerRow:
    customer: Customer
    addresses: list[str]
    order_references: list[str]
    open_complaints: int


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    total: int
    page: int
    pages: int


def find_customers(session: Session, wanted: CustomerFilter, *, page: int = 1) -> CustomerPage:
    """One page of the customers matching `wanted` (`%` and `_` match themselves)."""
    query: dict[str, object] = {"q": wanted.text.strip(), "tier": wanted.tier, "tag": wanted.tag}
    stmt = customer_search(query)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    customers = list(session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    ids = [c.id for c in customers]
    addresses: dict[int, list[str]] = defaultdict(list)
    for customer_id, address in session.execute(
        select(Site.customer_id, Site.address).where(Site.customer_id.in_(ids)).order_by(Site.id)
    ):
        addresses[customer_id].append(address)
    references: dict[int, list[str]] = defaultdict(list)
    for customer_id, reference, order_id in session.execute(
        select(Order.customer_id, Order.reference, Order.id)
        .where(Order.customer_id.in_(ids))
        .order_by(Order.id)
    ):
        references[customer_id].append(reference or f"#{order_id}")
    complaints = dict(
        session.execute(
            select(Complaint.customer_id, func.count())
            .where(Complaint.customer_id.in_(ids), Complaint.stage != ComplaintStage.CLOSED)
            .group_by(Complaint.customer_id)
        ).all()
    )
    rows = [
        CustomerRow(c, addresses[c.id], references[c.id], complaints.get(c.id, 0))
        for c in customers
    ]
    return CustomerPage(rows=rows, total=total, page=page, pages=pages)


def known_tags(session: Session) -> list[str]:
    """Every tag some customer carries, each once and in order, for the filter's choices.

    The database unpacks the tag lists, so only the distinct tags travel, not every customer.
    """
    if session.get_bind().dialect.name == "postgresql":
        tag = func.json_array_elements_text(Customer.tags).table_valued("value")
    else:
        tag = func.json_each(Customer.tags).table_valued("value")
    stmt = select(tag.c.value).select_from(Customer).join(tag, true())
    return list(session.scalars(stmt.distinct().order_by(tag.c.value)))
