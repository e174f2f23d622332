"""Taking a phone call: customer → site → order or product → kind → window → priority, one request.

Everything the caller gives is checked before anything is written, and the whole request is
written in the caller's transaction: a refused request leaves no customer, site or order behind.
The visit's creation starts its SLA clocks (see `app.services.sla`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import dates
from app.database import utcnow
from app.errors import ValidationFailed
from app.i18n.text import N_, Text
from app.models import (
    PRODUCT_LINES,
    Customer,
    CustomerTier,
    Order,
    OrderStage,
    Site,
    Visit,
    VisitKind,
)
from app.services.orders import create_order
from app.services.sla.clocks import Clock, visit_clocks
from app.services.sla.policies import active_policies, policy_for
from app.services.visits import create_visit

PHONE = "phone"
# The windows offered to a caller: mornings, afternoons and whole days, local time.
SLOTS = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17)), (dt.time(9), dt.time(17)))
OFFERED_DAYS = 5
DEFAULT_DURATION_MIN = {VisitKind.MEASURE: 60, VisitKind.INSTALL: 180, VisitKind.REPAIR: 90}
# A new order's stage follows what the call is about: a measure starts the sale, an install
# follows production, a repair is for something already in the home.
NEW_ORDER_STAGE = {
    VisitKind.MEASURE: OrderStage.MEASURE,
    VisitKind.INSTALL: OrderStage.INSTALL,
    VisitKind.REPAIR: OrderStage.INSTALLED,
}


@dataclass(frozen=True)
class NewCustomer:
    name: str
    phone: str | None
    tier: CustomerTier = CustomerTier.STANDARD


@dataclass(frozen=True)
class NewSite:
    address: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class PhoneRequest:
    """What the dispatcher took down: an existing record or a new one at each step."""

    kind: VisitKind
    window_start: dt.datetime
    window_end: dt.datetime
    priority: int
    customer_id: int | None = None
    new_customer: NewCustomer | None = None
    site_id: int | None = None
    new_site: NewSite | None = None
    order_id: int | None = None
    product_line: str | None = None
    duration_min: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Intake:
    """The request as written, with the SLA clocks it started."""

    visit: Visit
    customer: Customer
    site: Site
    order: Order | None
    policy_id: int | None
    clocks: list[Clock]


def proposed_windows(now: dt.datetime, tz: ZoneInfo, days: int = OFFERED_DAYS) -> list[Window]:
    """Windows to offer the caller: each slot of the next working days (Monday to Saturday)."""
    offered: list[Window] = []
    day = now.astimezone(tz).date()
    while len({w.start.date() for w in offered}) < days:
        day += dt.timedelta(days=1)
        if day.weekday() == 6:
            continue
        for start, end in SLOTS:
            offered.append(
                Window(dt.datetime.combine(day, start, tz), dt.datetime.combine(day, end, tz))
            )
    return offered


def take_call(session: Session, request: PhoneRequest, *, actor_user_id: int | None) -> Intake:
    """Write the request: the customer, site and order it needs, then a new visit."""
    _check_request(request)
    # New records attach to known ones as they are built; nothing is flushed until all is checked.
    with session.no_autoflush:
        customer = _customer(session, request)
        site = _site(session, request, customer)
        order = _order(session, request, customer)
    if customer.id is None:
        session.add(customer)
    if site.id is None:
        session.add(site)
    session.flush()
    if order is None and request.product_line:
        order = create_order(
            session,
            {
                "customer_id": customer.id,
                "site_id": site.id,
                "product_line": request.product_line,
                "stage": NEW_ORDER_STAGE[request.kind],
            },
            actor_user_id=actor_user_id,
        )
    visit = create_visit(
        session,
        {
            "kind": request.kind,
            "customer_id": customer.id,
            "site_id": site.id,
            "order_id": order.id if order else None,
            "window_start": request.window_start,
            "window_end": request.window_end,
            "priority": request.priority,
            "duration_min": request.duration_min or DEFAULT_DURATION_MIN[request.kind],
            "description": request.description,
        },
        actor_user_id=actor_user_id,
        source=PHONE,
    )
    policy = policy_for(active_policies(session), visit.kind, visit.priority, customer.tier)
    return Intake(
        visit=visit,
        customer=customer,
        site=site,
        order=order,
        policy_id=policy.id if policy else None,
        clocks=visit_clocks(visit, policy, utcnow()),
    )


def _refuse(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed(
        "the request cannot be taken: %(problem)s",
        params={"problem": Text(problem)},
        fields={field: [problem]},
    )


def _customer(session: Session, request: PhoneRequest) -> Customer:
    if request.customer_id is not None:
        customer = session.get(Customer, request.customer_id)
        if customer is None:
            raise _refuse("customer_id", N_("choose a customer from the search"))
        return customer
    new = request.new_customer
    if new is None or not new.name.strip():
        raise _refuse("customer_name", N_("find the customer or give the new customer's name"))
    if not (new.phone or "").strip():
        raise _refuse("customer_phone", N_("a new customer needs a phone number"))
    known = session.scalar(
        select(Customer).where(Customer.phone == new.phone.strip()).order_by(Customer.id).limit(1)
    )
    if known is not None:
        # A caller already on file is found, not created twice.
        raise ValidationFailed(
            "customer %(customer)s (%(name)s) already has this phone number; choose them instead",
            params={"customer": known.id, "name": known.name},
            fields={"customer_phone": ["belongs to a known customer"]},
            details={"customer_id": known.id},
        )
    return Customer(name=new.name.strip(), phone=new.phone.strip(), tier=new.tier, tags=[])


def _site(session: Session, request: PhoneRequest, customer: Customer) -> Site:
    if request.site_id is not None:
        site = session.get(Site, request.site_id)
        if site is None or customer.id is None or site.customer_id != customer.id:
            raise _refuse("site_id", N_("choose one of the customer's addresses"))
        return site
    new = request.new_site
    if new is None or not new.address.strip():
        raise _refuse("site_address", N_("give the address of the visit"))
    if (new.lat is None) != (new.lon is None):
        raise _refuse("site_lat", N_("give latitude and longitude together"))
    if new.lat is not None and not (-90 <= new.lat <= 90 and -180 <= new.lon <= 180):
        raise _refuse("site_lat", N_("the coordinates are out of range"))
    return Site(customer=customer, address=new.address.strip(), lat=new.lat, lon=new.lon)


def _order(session: Session, request: PhoneRequest, customer: Customer) -> Order | None:
    """The caller's existing order; None when a new one is to be made for the product."""
    if request.order_id is not None:
        order = session.get(Order, request.order_id)
        if order is None or customer.id is None or order.customer_id != customer.id:
            raise _refuse("order_id", N_("choose one of the customer's orders"))
        return order
    if request.product_line:
        if request.product_line not in PRODUCT_LINES:
            raise _refuse("product_line", N_("choose one of the product lines"))
        return None
    if request.kind == VisitKind.INSTALL:
        raise _refuse(
            "order_id", N_("an install belongs to an order: choose it or give the product")
        )
    return None


def _check_request(request: PhoneRequest) -> None:
    for name in ("window_start", "window_end"):
        try:
            dates.check(getattr(request, name))
        except dates.OutsideCalendar:
            raise _refuse(name, N_("the window must lie between the years 1900 and 2200")) from None
    if request.window_end <= request.window_start:
        raise _refuse("window_end", N_("the window must end after it starts"))
    if request.window_end <= utcnow():
        raise _refuse("window_start", N_("the window is already over"))
    if not 1 <= request.priority <= 5:
        raise _refuse("priority", N_("the priority is 1 (highest) to 5"))
    duration = request.duration_min or DEFAULT_DURATION_MIN[request.kind]
    if not 1 <= duration <= 1440:
        raise _refuse("duration_min", N_("the duration is 1 to 1440 minutes"))
    if duration > (request.window_end - request.window_start).total_seconds() / 60:
        raise _refuse("duration_min", N_("the visit does not fit in the window"))
