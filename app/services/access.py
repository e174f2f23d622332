"""Who may see what: technicians reach only their own visits and what those visits point to.

A record outside a technician's reach answers 404, never 403, so its existence does not leak.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, or_, select, true
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationFailed
from app.i18n.text import Text
from app.models import Customer, Order, Role, Site, Technician, User, Visit
from app.services.records import get_or_404


def technician_id_of(session: Session, user: User) -> int | None:
    """The technician record linked to a user, if any."""
    return session.scalar(select(Technician.id).where(Technician.user_id == user.id))


def visit_scope(session: Session, user: User) -> ColumnElement[bool]:
    """A WHERE clause limiting visits to those `user` may see."""
    if user.role != Role.TECHNICIAN:
        return true()
    technician_id = technician_id_of(session, user)
    if technician_id is None:
        return Visit.id.is_(None)
    return Visit.technician_id == technician_id


def visible_visit(session: Session, user: User, visit_id: int) -> Visit:
    """The visit if `user` may see it, else NotFound."""
    visit = session.scalar(select(Visit).where(Visit.id == visit_id, visit_scope(session, user)))
    if visit is None:
        raise NotFound("visit %(id)s does not exist", params={"id": visit_id})
    return visit


def _reachable_through_visits(
    session: Session, user: User, column: Any, record_id: int, label: str
) -> None:
    if user.role != Role.TECHNICIAN:
        return
    hit = session.scalar(
        select(Visit.id).where(column == record_id, visit_scope(session, user)).limit(1)
    )
    if hit is None:
        raise NotFound(
            "%(kind)s %(id)s does not exist", params={"kind": Text(label), "id": record_id}
        )


def visible_customer(session: Session, user: User, customer_id: int) -> Customer:
    _reachable_through_visits(session, user, Visit.customer_id, customer_id, "customer")
    return get_or_404(session, Customer, customer_id)


def visible_site(session: Session, user: User, site_id: int) -> Site:
    _reachable_through_visits(session, user, Visit.site_id, site_id, "site")
    return get_or_404(session, Site, site_id)


def visible_order(session: Session, user: User, order_id: int) -> Order:
    _reachable_through_visits(session, user, Visit.order_id, order_id, "order")
    return get_or_404(session, Order, order_id)


def customer_search(query: dict[str, Any]) -> Select[tuple[Customer]]:
    """Customers matching a list query (text on name, phone, email, address or order number)."""
    stmt = select(Customer).order_by(Customer.id)
    if query.get("q"):
        # autoescape: `%` and `_` in the search text match themselves, not any text.
        text = query["q"]
        stmt = stmt.where(
            or_(
                Customer.name.icontains(text, autoescape=True),
                Customer.phone.icontains(text, autoescape=True),
                Customer.email.icontains(text, autoescape=True),
                Customer.sites.any(Site.address.icontains(text, autoescape=True)),
                Customer.orders.any(Order.reference.icontains(text, autoescape=True)),
            )
        )
    if query.get("tier"):
        stmt = stmt.where(Customer.tier == query["tier"])
    if query.get("tag"):
        # Tags are a short JSON list; a text match on the serialised list is portable. The tag
        # is serialised as the list stores it (quotes, backslashes and non-ASCII escaped), so
        # it matches one whole tag.
        tag = json.dumps(query["tag"])
        stmt = stmt.where(cast(Customer.tags, String).contains(tag, autoescape=True))
    return stmt


def check_order_links(session: Session, data: dict[str, Any]) -> None:
    """An order's site must belong to the order's customer."""
    customer = get_or_404(session, Customer, data["customer_id"])
    site_id = data.get("site_id")
    if site_id is not None:
        site = get_or_404(session, Site, site_id)
        if site.customer_id != customer.id:
            raise ValidationFailed(
                "site %(site)s belongs to another customer",
                params={"site": site_id},
                fields={"site_id": ["belongs to another customer"]},
            )
