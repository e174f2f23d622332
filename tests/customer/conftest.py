"""Fixtures for the customer pages: an order with its progress link, visits, photos."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import models
from app.config import Settings
from app.database import db
from app.services import progress_links
from tests import factories


@pytest.fixture
def order(session: Session) -> models.Order:
    """A kitchen order in design: customer with a phone and e-mail, a site, an order number."""
    customer = factories.CustomerFactory(name="张伟", phone="13800138000", email="zw@example.com")
    site = factories.SiteFactory(customer=customer)
    return factories.OrderFactory(
        customer=customer,
        site=site,
        product_line="kitchen",
        reference="KC-2026-0001",
        stage=models.OrderStage.DESIGN,
    )


@pytest.fixture
def progress_token(session: Session, settings: Settings) -> Callable[[models.Order], str]:
    """progress_token(order): a fresh token of the order's progress link."""

    def make(order: models.Order) -> str:
        link = progress_links.issue_link(
            db.session, settings, db.session.get(models.Order, order.id)
        )
        db.session.commit()
        return progress_links.token_for(settings, link)

    return make


@pytest.fixture
def wang(session: Session) -> models.Technician:
    """A technician called 王伟 living in the centre of Shanghai."""
    return factories.TechnicianFactory(name="王伟", home_lat=31.2304, home_lon=121.4737)


@pytest.fixture
def booked_visit(order: models.Order, wang: models.Technician) -> models.Visit:
    """A scheduled measure visit of the order tomorrow 09:00 to 12:00, planned at 10:00."""
    return factories.VisitFactory(
        kind=models.VisitKind.MEASURE,
        site=order.site,
        order=order,
        technician_id=wang.id,
        status=models.VisitStatus.SCHEDULED,
        planned_start=factories.tomorrow_at(10),
        window_start=factories.tomorrow_at(9),
        window_end=factories.tomorrow_at(12),
    )


@pytest.fixture
def on_the_way(order: models.Order, wang: models.Technician, session: Session) -> models.Visit:
    """A visit today whose technician set off five minutes ago, 5 km from home."""
    now = dt.datetime.now(dt.UTC)
    site = factories.SiteFactory(customer=order.customer, lat=31.2754, lon=121.4737)
    visit = factories.VisitFactory(
        kind=models.VisitKind.MEASURE,
        site=site,
        order=order,
        technician_id=wang.id,
        status=models.VisitStatus.EN_ROUTE,
        planned_start=now + dt.timedelta(minutes=1),
        window_start=None,
        window_end=None,
    )
    session.add(
        models.VisitStatusChange(
            visit_id=visit.id,
            from_status=models.VisitStatus.DISPATCHED,
            to_status=models.VisitStatus.EN_ROUTE,
            source="sync",
            at=now - dt.timedelta(minutes=5),
        )
    )
    session.commit()
    return visit


@pytest.fixture
def jpeg() -> Callable[..., bytes]:
    """jpeg(color): a small real JPEG."""

    def make(color: tuple[int, int, int] = (200, 120, 40)) -> bytes:
        return factories.image_bytes("JPEG", (64, 48), color=color)

    return make


@pytest.fixture
def finished_install(
    order: models.Order, wang: models.Technician, session: Session, settings: Settings, jpeg: Any
) -> models.Visit:
    """A completed install of the order with one after-photo (bytes stored) and a rating link."""
    from app.services import photos as photo_service
    from app.services import ratings

    visit = factories.VisitFactory(
        kind=models.VisitKind.INSTALL,
        site=order.site,
        order=order,
        technician_id=wang.id,
        status=models.VisitStatus.COMPLETED,
        status_changed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
    )
    data = jpeg((10, 200, 10))
    import hashlib
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "after.jpg"
        path.write_bytes(data)
        facts = photo_service.inspect_image(path, settings)
        sha = hashlib.sha256(data).hexdigest()
        photo_service.store_blob(db.session, settings, sha, path, facts, user_id=wang.user_id)
    db.session.add(
        models.Photo(
            id="5f0c8b8e-0000-4000-8000-000000000001",
            visit_id=visit.id,
            sha256=sha,
            kind=models.PhotoKind.AFTER,
            uploaded_by_user_id=wang.user_id,
        )
    )
    ratings.issue_link(db.session, settings, db.session.get(models.Visit, visit.id))
    db.session.commit()
    return visit


@pytest.fixture
def phone_browser(new_page: Any) -> Any:
    """phone_browser(locale) -> a Playwright page in headless Chromium at 390 x 844."""
    phone = {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }

    def open_page(locale: str = "zh-CN", **options: Any) -> Any:
        return new_page(locale=locale, **{**phone, **options})

    return open_page
