"""Fixtures for the feedback loop: visits ready to complete, uploads, rating tokens."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models
from app.config import Settings
from app.services.ratings import token_for
from tests import factories


@pytest.fixture
def templates(session: Session) -> list[models.ChecklistTemplate]:
    """The measure, install and repair checklists of the demo."""
    return factories.checklist_templates()


@pytest.fixture
def tech_headers(technician: Any, login: Any) -> dict[str, str]:
    return login(technician.user)


@pytest.fixture
def on_site_visit(technician: Any) -> Callable[..., models.Visit]:
    """on_site_visit(kind, **fields): a visit with an order, assigned and on site."""

    def make(kind: models.VisitKind = models.VisitKind.INSTALL, **fields: Any) -> models.Visit:
        site = fields.pop("site", None) or factories.SiteFactory()
        order = fields.pop("order", None) or factories.OrderFactory(
            customer=site.customer, site=site, stage=models.OrderStage.INSTALL
        )
        return factories.VisitFactory(
            kind=kind,
            site=site,
            order=order,
            technician_id=technician.id,
            status=models.VisitStatus.ON_SITE,
            **fields,
        )

    return make


@pytest.fixture
def fulfil(session: Session) -> Callable[..., None]:
    """fulfil(visit, fixed=True): give the visit everything its checklist demands."""

    def give(visit: models.Visit, *, fixed: bool = True) -> None:
        if visit.kind == models.VisitKind.MEASURE:
            for key in ("room_width_cm", "room_depth_cm", "room_height_cm"):
                factories.AnswerFactory(visit_id=visit.id, item_key=key, value=320)
            for _ in range(4):
                factories.PhotoFactory(visit_id=visit.id, kind=models.PhotoKind.WALL)
        elif visit.kind == models.VisitKind.INSTALL:
            factories.AnswerFactory(visit_id=visit.id, item_key="items_installed", value="2 doors")
            factories.PhotoFactory(visit_id=visit.id, kind=models.PhotoKind.BEFORE)
            factories.PhotoFactory(visit_id=visit.id, kind=models.PhotoKind.AFTER)
            factories.SignatureFactory(visit_id=visit.id)
        else:
            factories.AnswerFactory(visit_id=visit.id, item_key="fault_cause", value="wear")
            factories.AnswerFactory(visit_id=visit.id, item_key="parts_used", value="hinge")
            factories.AnswerFactory(visit_id=visit.id, item_key="fixed", value=fixed)

    return give


@pytest.fixture
def complete(client: FlaskClient, tech_headers: dict[str, str]) -> Callable[..., Any]:
    """complete(visit): the technician completes the visit through the API."""

    def run(visit: models.Visit) -> Any:
        return client.post(
            f"/api/v1/visits/{visit.id}/transitions", json={"to": "completed"}, headers=tech_headers
        )

    return run


@pytest.fixture
def completed_install(
    templates: Any, on_site_visit: Any, fulfil: Any, complete: Any, session: Session
) -> models.Visit:
    """An install visit completed through the API (so it has a rating link)."""
    visit = on_site_visit(models.VisitKind.INSTALL)
    fulfil(visit)
    response = complete(visit)
    assert response.status_code == 200, response.json
    session.expire_all()
    return visit


@pytest.fixture
def rating_token(session: Session, settings: Settings) -> Callable[[models.Visit], str]:
    """rating_token(visit): the token of the visit's rating link."""

    def token(visit: models.Visit) -> str:
        link = session.scalar(
            select(models.RatingLink).where(models.RatingLink.visit_id == visit.id)
        )
        assert link is not None, "the visit has no rating link"
        return token_for(settings, link)

    return token


@pytest.fixture
def upload(client: FlaskClient, tech_headers: dict[str, str]) -> Callable[..., Any]:
    """upload(data, chunk=None, sha256=None): push bytes through the resumable upload API."""

    def push(data: bytes, *, chunk: int | None = None, sha256: str | None = None) -> Any:
        digest = sha256 or hashlib.sha256(data).hexdigest()
        started = client.post(
            "/api/v1/uploads", json={"sha256": digest, "size": len(data)}, headers=tech_headers
        )
        if started.status_code not in (200, 201) or started.json["complete"]:
            return started
        offset, step = started.json["offset"], chunk or len(data)
        response = started
        while offset < len(data):
            response = client.put(
                f"/api/v1/uploads/{started.json['id']}",
                data=data[offset : offset + step],
                headers={**tech_headers, "Upload-Offset": str(offset)},
                content_type="application/octet-stream",
            )
            if response.status_code != 200:
                return response
            offset = response.json["offset"]
        return response

    return push


@pytest.fixture
def attach(client: FlaskClient, tech_headers: dict[str, str]) -> Callable[..., Any]:
    """attach(visit, sha256, kind="after"): post a photo's metadata for the visit."""

    def post(visit: models.Visit, sha256: str, kind: str = "after", **fields: Any) -> Any:
        body = {"id": str(uuid.uuid4()), "sha256": sha256, "kind": kind, **fields}
        return client.post(f"/api/v1/visits/{visit.id}/photos", json=body, headers=tech_headers)

    return post


@pytest.fixture
def browser_page(new_page: Any) -> Any:
    """A Playwright page in headless Chromium at a phone's viewport."""
    return new_page(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
