"""Fixtures for the console: a signed-in browser-like client, a small crew with visits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import models
from app.models import CustomerTier, OrderStage, VisitKind, VisitStatus
from tests import factories
from tests.conftest import wait_for_background_runs
from tests.factories import (
    CustomerFactory,
    DepotFactory,
    OrderFactory,
    SiteFactory,
    TechnicianFactory,
    VisitFactory,
    measure_visits_tomorrow,
)

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Console:
    """A test client signed in to the console, with the session's CSRF token."""

    client: FlaskClient
    csrf: str

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            path, json=body, headers={"X-CSRF-Token": self.csrf, "Accept": "application/json"}
        )


@pytest.fixture
def sign_in(app: Any, session: Session) -> Callable[[Any], Console]:
    """sign_in(user) -> a fresh client signed in to the console as that user."""

    def _sign_in(user: Any, language: str = "en") -> Console:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        token = CSRF_FIELD.search(client.get("/console/login").text).group(1)
        response = client.post(
            "/console/login",
            data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302, response.text
        board = client.get("/console/board")
        return Console(client, CSRF_META.search(board.text).group(1))

    return _sign_in


@pytest.fixture
def console(sign_in: Callable[[Any], Console], dispatcher: Any) -> Console:
    return sign_in(dispatcher)


@dataclass
class Crew:
    depot: models.Depot
    technicians: list[models.Technician]
    visits: list[models.Visit]


@pytest.fixture
def crew(session: Session) -> Crew:
    """Two measurers of one depot and three measure visits tomorrow (9:00-16:00 windows)."""
    depot = DepotFactory(name="Pudong depot")
    technicians = [
        TechnicianFactory(skills={"measure": 2}, depot_id=depot.id, name=f"Measurer {i}")
        for i in range(2)
    ]
    visits = measure_visits_tomorrow(3)
    return Crew(depot, technicians, visits)


@pytest.fixture(autouse=True)
def _settle_runs(session: Session) -> Iterator[None]:
    """Runs started from the console solve in other processes: wait for them to finish."""
    yield
    wait_for_background_runs()


# --- figures: a small team and its completed visits ------------------------------------


@pytest.fixture
def team(session):
    """Two technicians in two regions."""
    north, south = DepotFactory(name="North"), DepotFactory(name="South")
    return {
        "ana": TechnicianFactory(name="Ana", depot_id=north.id),
        "bo": TechnicianFactory(name="Bo", depot_id=south.id),
    }


@pytest.fixture
def done_visit(session):
    """done_visit(technician, done_at, kind=, product=, created=, sla_due=, tier=): completed."""

    def make(
        technician,
        done_at,
        *,
        kind=VisitKind.MEASURE,
        product="kitchen",
        created=None,
        sla_due=None,
        tier=CustomerTier.STANDARD,
    ):
        site = SiteFactory(customer=CustomerFactory(tier=tier))
        order = OrderFactory(
            customer=site.customer, site=site, product_line=product, stage=OrderStage.INSTALLED
        )
        return VisitFactory(
            kind=kind,
            site=site,
            order=order,
            technician_id=technician.id,
            status=VisitStatus.COMPLETED,
            status_changed_at=done_at,
            created_at=created or done_at - dt.timedelta(hours=10),
            sla_due=sla_due,
        )

    return make
