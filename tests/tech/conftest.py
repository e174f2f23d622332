"""Fixtures for the technician app in a real headless Chromium at a phone's size."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import models
from app.tech.assets import STATIC
from tests import factories
from tests.factories import PASSWORD, tomorrow_at

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


def today_at(hour: int, minute: int = 0) -> Any:
    return tomorrow_at(hour, minute, days=0)


@dataclass
class Phone:
    """A browser context (one phone) and its page."""

    context: Any
    page: Any
    base_url: str

    def shoot(self, name: str, *, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def sign_in(self, user: Any) -> None:
        """Sign in through the form and wait for the first sync to finish."""
        page = self.page
        page.goto(f"{self.base_url}/tech/")
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        self.wait_synced()

    def wait_synced(self, timeout_ms: int = 45_000) -> None:
        """Until a sync finished with nothing left in the outbox and no upload waiting."""
        self.page.wait_for_function(
            """() => {
              const s = document.querySelector('#status');
              return s && s.dataset.lastSynced && s.dataset.syncing === 'false'
                && s.dataset.pending === '0' && s.dataset.uploads === '0';
            }""",
            timeout=timeout_ms,
        )

    def wait_controlled(self) -> None:
        """Until the service worker controls the page (the shell is cached)."""
        self.page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")

    def offline(self, yes: bool = True) -> None:
        self.context.set_offline(yes)


@pytest.fixture
def phone_browser(chromium: Any) -> Any:
    """The test process's Chromium; each phone is a context of its own (a fresh profile)."""
    return chromium


def open_phone(browser: Any, base_url: str, *, shell_cached: bool = False) -> Phone:
    """A fresh browser profile at 390x844, Chinese, in Shanghai time; the caller closes it.

    Only a phone with `shell_cached` lets the app install its service worker: the worker
    caches the shell (some twenty more downloads and a second script running) and matters only
    once the app is opened again without network. Every other flow runs the same without it,
    from the network, as on a phone before the worker's first install finished.
    """
    context = browser.new_context(**PHONE, service_workers="allow" if shell_cached else "block")
    # Generous: the machines running the suite are often busy with other work.
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return Phone(context, page, base_url)


@pytest.fixture
def tech_phone(phone_browser: Any, live_server: str) -> Iterator[Phone]:
    """One phone, its app running from the network (no service worker)."""
    phone = open_phone(phone_browser, live_server)
    try:
        yield phone
    finally:
        phone.context.close()


@pytest.fixture
def installed_phone(phone_browser: Any, live_server: str) -> Iterator[Phone]:
    """One phone whose app installs its service worker: the shell opens without network."""
    phone = open_phone(phone_browser, live_server, shell_cached=True)
    try:
        yield phone
    finally:
        phone.context.close()


# The app's own origin for pages that only import its modules; the browser never resolves it.
MODULES_ORIGIN = "http://tech.test"


def _serve_static(route: Any) -> None:
    """The app's static files from the package, under the paths the server gives them."""
    path = route.request.url.removeprefix(MODULES_ORIGIN).split("?")[0]
    name = path.removeprefix("/tech/static/")
    file = (STATIC / name).resolve()
    if name != path and file.is_relative_to(STATIC.resolve()) and file.is_file():
        kind = "text/javascript" if file.suffix == ".js" else "application/octet-stream"
        route.fulfill(body=file.read_bytes(), content_type=kind)
    elif path == "/tech/":
        route.fulfill(body="<!doctype html><title>modules</title>", content_type="text/html")
    else:
        route.fulfill(status=404, body="")


@pytest.fixture(scope="session")
def app_modules(chromium: Any) -> Iterator[Any]:
    """A page that imports the app's modules (the shipped files) without running the app.

    For the tests that hold the app's pure rules against the server's: no server and no
    database behind it, so one page serves them all. They only call functions of modules.
    """
    context = chromium.new_context()
    context.set_default_timeout(30_000)
    context.route(f"{MODULES_ORIGIN}/**", _serve_static)
    page = context.new_page()
    page.goto(f"{MODULES_ORIGIN}/tech/")
    try:
        yield page
    finally:
        context.close()


@dataclass
class Day:
    technician: models.Technician
    install: models.Visit
    measure: models.Visit
    repair: models.Visit
    tomorrow: models.Visit


@pytest.fixture
def tech_day(session: Session) -> Day:
    """A technician with today's three visits (install, measure, repair) and one tomorrow."""
    with factories.one_commit():
        return _build_day()


def _build_day() -> Day:
    factories.checklist_templates()
    technician = factories.TechnicianFactory(
        with_user=True, name="王师傅", skills={"measure": 2, "install": 2, "repair": 2}
    )

    def visit(kind: models.VisitKind, start: Any, name: str, address: str, **fields: Any) -> Any:
        customer = factories.CustomerFactory(name=name)
        site = factories.SiteFactory(
            customer=customer, address=address, access_notes=fields.pop("access", None)
        )
        order = factories.OrderFactory(
            customer=customer, site=site, product_line="衣柜", stage=models.OrderStage.INSTALL
        )
        return factories.VisitFactory(
            kind=kind,
            site=site,
            order=order,
            technician_id=technician.id,
            status=models.VisitStatus.DISPATCHED,
            planned_start=start,
            window_start=start,
            window_end=start.replace(hour=start.hour + 2),
            sla_due=start.replace(hour=18),
            **fields,
        )

    return Day(
        technician=technician,
        install=visit(
            models.VisitKind.INSTALL,
            today_at(9),
            "张伟",
            "上海市浦东新区世纪大道 100 号 12 楼",
            access="小区东门进 门禁 4411",
            description="主卧衣柜安装",
        ),
        measure=visit(
            models.VisitKind.MEASURE, today_at(11, 30), "李娜", "上海市徐汇区漕溪北路 88 号"
        ),
        repair=visit(models.VisitKind.REPAIR, today_at(14), "陈静", "上海市静安区南京西路 1266 号"),
        tomorrow=visit(
            models.VisitKind.MEASURE, tomorrow_at(10), "刘洋", "上海市黄浦区中山东一路 3 号"
        ),
    )


def jpeg_bytes(size: tuple[int, int] = (3000, 2000), *, noise: bool = False) -> bytes:
    """A real camera-sized JPEG: a smooth gradient, or noise (large, like a detailed photo)."""
    from PIL import Image

    if noise:
        image = Image.effect_noise(size, 80).convert("RGB")
    else:
        image = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()
