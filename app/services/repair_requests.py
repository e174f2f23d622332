"""Self-service repair requests: a customer describes a fault, with photos and the windows that
suit them, and it becomes a repair visit in `new` for the dispatchers.

Customers identify with their phone number and an order number; a wrong pair, an unknown
order and someone else's order all get the same answer (`NotRecognised`). The visit's SLA
clocks run from its creation like any visit's (`app.services.sla`). Photos pass the
technicians' checks (`photos.inspect_image`) and are stored the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.errors import AppError, ValidationFailed
from app.models import Customer, Order, Photo, PhotoKind, RepairRequest, Visit, VisitKind
from app.services import order_notices
from app.services import photos as photo_service
from app.services.visit_windows import Window, find_offered
from app.services.visits import create_visit

MAX_PHOTOS = 6
MAX_DESCRIPTION = 2000
# Chinese says much in few characters: "台面开裂" (the worktop cracked) is a full description.
MIN_DESCRIPTION = 2
MAX_WINDOWS = 3
REPAIR_DURATION_MIN = 60


class NotRecognised(AppError):
    """The phone number and order number do not match an order (told apart from nothing)."""

    status = 404
    code = "order_not_recognised"

    def __init__(self) -> None:
        super().__init__("we could not find an order with this phone number and order number")


def phone_digits(raw: str) -> str:
    """A phone number reduced to its national digits ("+86 138-0013-8000" → "13800138000")."""
    digits = re.sub(r"\D", "", raw or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 11:
            return digits[len(prefix) :]
    return digits


def identify(session: Session, phone: str, order_number: str) -> Order:
    """The order with this number whose customer has this phone, else NotRecognised."""
    wanted = phone_digits(phone)
    reference = (order_number or "").strip()
    if len(wanted) < 6 or not reference or len(reference) > 40:
        raise NotRecognised()
    order = session.scalar(select(Order).where(Order.reference == reference))
    customer = session.get(Customer, order.customer_id) if order is not None else None
    if customer is None or phone_digits(customer.phone or "") != wanted:
        raise NotRecognised()
    return order  # type: ignore[return-value]


@dataclass(frozen=True)
class Product:
    """What a customer can ask a repair for: one of their orders."""

    order_id: int
    product_line: str
    reference: str | None


def products(session: Session, order: Order) -> list[Product]:
    """The customer's orders, the identified one first."""
    orders = session.scalars(
        select(Order).where(Order.customer_id == order.customer_id).order_by(Order.id)
    ).all()
    ranked = sorted(orders, key=lambda o: o.id != order.id)
    return [Product(o.id, o.product_line, o.reference) for o in ranked]


@dataclass(frozen=True)
class RepairDraft:
    """What the customer filled in."""

    order_id: int
    description: str
    window_keys: tuple[str, ...] = ()
    photos: tuple[Path, ...] = field(default_factory=tuple)
    channel: str = "public"


def _check(settings: Settings, draft: RepairDraft, now: dt.datetime) -> list[Window]:
    errors: dict[str, list[str]] = {}
    text = draft.description.strip()
    if not MIN_DESCRIPTION <= len(text) <= MAX_DESCRIPTION:
        errors["description"] = [f"{MIN_DESCRIPTION} to {MAX_DESCRIPTION} characters"]
    windows = [find_offered(settings, now, key) for key in dict.fromkeys(draft.window_keys)]
    if not draft.window_keys or len(windows) > MAX_WINDOWS or None in windows:
        errors["windows"] = [f"pick 1 to {MAX_WINDOWS} of the offered windows"]
    if len(draft.photos) > MAX_PHOTOS:
        errors["photos"] = [f"at most {MAX_PHOTOS} photos"]
    if errors:
        raise ValidationFailed("the repair request is incomplete", fields=errors)
    return [w for w in windows if w is not None]


def submit(
    session: Session, settings: Settings, identified: Order, draft: RepairDraft
) -> RepairRequest:
    """Create the repair visit (status `new`), its photos and the request, and confirm it."""
    now = utcnow()
    windows = _check(settings, draft, now)
    chosen = next((p for p in products(session, identified) if p.order_id == draft.order_id), None)
    if chosen is None:
        raise ValidationFailed("pick one of your products", fields={"product": ["unknown"]})
    # Every photo is checked before anything is written: a bad one refuses the whole request.
    checked = [(path, _inspect(settings, path)) for path in draft.photos]
    order = session.get(Order, chosen.order_id)
    assert order is not None
    site_id = order.site_id or _first_site_id(session, order.customer_id)
    if site_id is None:
        raise ValidationFailed("the order has no address yet", fields={"product": ["no site"]})
    text = draft.description.strip()
    visit = create_visit(
        session,
        {
            "kind": VisitKind.REPAIR,
            "customer_id": order.customer_id,
            "site_id": site_id,
            "order_id": order.id,
            "duration_min": REPAIR_DURATION_MIN,
            "description": f"Customer request: {text}",
        },
        actor_user_id=None,
        source="self_service",
    )
    for path, facts in checked:
        _attach(session, settings, visit, path, facts)
    request = RepairRequest(
        visit_id=visit.id,
        order_id=order.id,
        customer_id=order.customer_id,
        product=order.product_line,
        description=text,
        proposed_windows=[
            {"start": w.start.isoformat(), "end": w.end.isoformat()} for w in windows
        ],
        channel=draft.channel,
        created_at=now,
    )
    session.add(request)
    session.flush()
    order_notices.repair_received(session, settings, visit, request.id)
    return request


def _inspect(settings: Settings, path: Path) -> photo_service.ImageFacts:
    if path.stat().st_size > settings.photo_max_bytes:
        raise ValidationFailed(
            "a photo is larger than %(max)s bytes",
            params={"max": settings.photo_max_bytes},
            fields={"photos": ["too large"]},
        )
    return photo_service.inspect_image(path, settings)


def _attach(
    session: Session,
    settings: Settings,
    visit: Visit,
    path: Path,
    facts: photo_service.ImageFacts,
) -> None:
    sha256 = photo_service.file_sha256(path)
    photo_service.store_blob(session, settings, sha256, path, facts, user_id=None)
    photo_service.attach_photo(
        session,
        photo_service.PhotoMetadata(
            id=str(uuid.uuid4()),
            visit_id=visit.id,
            sha256=sha256,
            kind=PhotoKind.DAMAGE,
            caption="customer",
        ),
        user_id=None,
    )


def _first_site_id(session: Session, customer_id: int) -> int | None:
    customer = session.get(Customer, customer_id)
    return customer.sites[0].id if customer and customer.sites else None


def unacknowledged(session: Session) -> list[RepairRequest]:
    """Self-service requests no dispatcher has looked at yet, oldest first."""
    return list(
        session.scalars(
            select(RepairRequest)
            .where(RepairRequest.acknowledged_at.is_(None))
            .order_by(RepairRequest.created_at, RepairRequest.id)
        )
    )


def photo_counts(session: Session, visit_ids: list[int]) -> dict[int, int]:
    """How many photos each visit has."""
    if not visit_ids:
        return {}
    rows = session.execute(
        select(Photo.visit_id, func.count())
        .where(Photo.visit_id.in_(visit_ids))
        .group_by(Photo.visit_id)
    )
    return dict(rows.all())


def acknowledge(session: Session, request: RepairRequest, *, actor_user_id: int) -> RepairRequest:
    """Mark the request as seen by a dispatcher (idempotent)."""
    if request.acknowledged_at is None:
        request.acknowledged_at = utcnow()
        request.acknowledged_by_user_id = actor_user_id
        session.flush()
    return request
