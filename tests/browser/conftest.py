"""Fixtures for the console in a real headless Chromium: a desktop page, screenshots, data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app import models
from tests.browser.sign_in import sign_in_console
from tests.conftest import wait_for_background_runs
from tests.factories import (
    DepotFactory,
    OrderFactory,
    RatingFactory,
    SiteFactory,
    TechnicianFactory,
    VisitFactory,
    tomorrow_at,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


DESKTOP = {"viewport": {"width": 1366, "height": 860}}


@pytest.fixture
def desktop_page(new_page: Any) -> Any:
    """A Playwright page in headless Chromium at a dispatcher's screen size, in English."""
    page = new_page(locale="en-GB", **DESKTOP)
    # Publishing asks for confirmation; the dispatcher says yes.
    page.on("dialog", lambda dialog: dialog.accept())
    return page


@pytest.fixture
def shoot(desktop_page: Any) -> Any:
    """shoot(name): keep a screenshot of the page under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str, *, full_page: bool = False) -> Path:
        path = ARTIFACTS / f"{name}.png"
        desktop_page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def signed_in(desktop_page: Any, app: Flask, live_server: str, dispatcher: Any) -> Any:
    """The page, its browser signed in to the console as a dispatcher; on no page yet.

    The sign-in is the console's own endpoint, not the form (tests/browser/sign_in.py).
    """
    return sign_in_console(desktop_page, app, live_server, dispatcher.email)


@pytest.fixture
def day_to_plan(session: Session) -> tuple[list[models.Technician], list[models.Visit]]:
    """Tomorrow: two measurers of one depot, three measure visits nobody is planned for."""
    depot = DepotFactory(name="Pudong depot", lat=31.22, lon=121.54)
    techs = [
        TechnicianFactory(
            skills={"measure": 2}, depot_id=depot.id, name=name, home_lat=31.22, home_lon=lon
        )
        for name, lon in (("Wang Wei", 121.50), ("Li Na", 121.45))
    ]
    visits = [
        VisitFactory(
            site=SiteFactory(lat=31.20 + i * 0.02, lon=121.44 + i * 0.03),
            required_skills={"measure": 1},
            window_start=tomorrow_at(9),
            window_end=tomorrow_at(16),
        )
        for i in range(3)
    ]
    return techs, visits


@pytest.fixture
def rated_weeks(session: Session) -> None:
    """Completed, rated visits over the last three weeks by two technicians in two regions."""
    now = dt.datetime.now(dt.UTC)
    techs = [
        TechnicianFactory(name=name, depot_id=DepotFactory(name=depot).id)
        for name, depot in (("Wang Wei", "Pudong depot"), ("Li Na", "Minhang depot"))
    ]
    for week in range(3):
        for number, (tech, csat, nps) in enumerate(
            ((techs[0], 5, 10), (techs[0], 4, 8), (techs[1], 2 + week, 5 + week))
        ):
            done = now - dt.timedelta(weeks=week, hours=number + 2)
            site = SiteFactory()
            order = OrderFactory(customer=site.customer, site=site, product_line="kitchen")
            visit = VisitFactory(
                site=site,
                order=order,
                technician_id=tech.id,
                status=models.VisitStatus.COMPLETED,
                status_changed_at=done,
                created_at=done - dt.timedelta(hours=20),
                sla_due=done + dt.timedelta(hours=1 - number),
            )
            RatingFactory(
                visit_id=visit.id,
                customer_id=visit.customer_id,
                csat=csat,
                nps=nps,
                created_at=done,
            )


@pytest.fixture(autouse=True)
def _settle_runs(session: Session) -> Iterator[None]:
    """Runs started from the console solve in other processes: wait for them to finish."""
    yield
    wait_for_background_runs()
