"""The technician app on a throttled phone network: sign-in + first sync, and rendering a day.

Serves the app from a scratch PostgreSQL database on a loopback port, drives Debian's Chromium
with Playwright at 390x844 and throttles it with Chrome's "Fast 3G" preset through CDP
(Network.emulateNetworkConditions: 562.5 ms latency, 180,000 B/s down, 84,375 B/s up).

    .venv/bin/python bench/tech_app.py --runs 5

Measures, per run, in a fresh browser profile:
  * shell: opening /tech/ cold until the sign-in form is ready (throttled);
  * sign-in: from the tap on "sign in" until today's 40 visits are on screen (throttled): the
    token, the device registration and the first sync of a ~200-record scope;
  * render: the day list of 40 visits drawn again from IndexedDB (unthrottled, 20 times).
Also prints the app's own JS + CSS size. Wall times from the browser's clock; CPU seconds are
the server process's (the browser runs in other processes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sync_common import PASSWORD, SHANGHAI, _hash, drop_database, scratch_database
from werkzeug.serving import make_server

FAST_3G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 180_000,
    "uploadThroughput": 84_375,
}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"]


def seed(session: Session, visits: int) -> str:
    """A technician with `visits` visits today, each with customer, site, order and a note."""
    from app.demo import CHECKLISTS
    from app.models import (
        ChecklistTemplate,
        Customer,
        Order,
        Role,
        Site,
        Technician,
        User,
        Visit,
        VisitKind,
        VisitNote,
        VisitStatus,
    )
    from app.services.accounts import hash_password

    for kind, items in CHECKLISTS.items():
        session.add(ChecklistTemplate(kind=kind, name=f"{kind.value} checklist", items=items))
    email = "tech-bench@bench.example"
    user = User(email=email, name="Bench", role=Role.TECHNICIAN, password_hash=_hash(hash_password))
    technician = Technician(
        name="Bench",
        user=user,
        home_lat=31.23,
        home_lon=121.47,
        time_zone="Asia/Shanghai",
        shift_pattern={},
        days_off=[],
    )
    session.add(technician)
    session.flush()
    day = dt.datetime.now(SHANGHAI).date()
    kinds = list(VisitKind)
    for v in range(visits):
        start = dt.datetime.combine(day, dt.time(8), tzinfo=SHANGHAI) + dt.timedelta(minutes=15 * v)
        customer = Customer(name=f"客户 {v:02d}", phone=f"1380000{v:04d}", tags=[])
        site = Site(
            customer=customer,
            address=f"上海市浦东新区世纪大道 {100 + v} 号",
            lat=31.2 + v / 1000,
            lon=121.5,
            access_notes="门禁 4411",
        )
        order = Order(customer=customer, site=site, product_line="衣柜", reference=f"B-{v:05d}")
        visit = Visit(
            kind=kinds[v % 3],
            customer=customer,
            site=site,
            order=order,
            technician_id=technician.id,
            status=VisitStatus.DISPATCHED,
            planned_start=start,
            window_start=start,
            window_end=start + dt.timedelta(hours=2),
            sla_due=start + dt.timedelta(hours=6),
            priority=3,
            duration_min=60,
        )
        session.add(visit)
        session.flush()
        session.add(VisitNote(id=str(uuid.uuid4()), visit_id=visit.id, body="上次备注"))
    session.commit()
    return email


def serve(app: Any) -> tuple[str, Any]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def one_run(browser: Any, base: str, email: str, visits: int) -> dict[str, float]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", FAST_3G)
    started = time.perf_counter()
    page.goto(f"{base}/tech/")
    page.wait_for_selector("#sign-in")
    shell_s = time.perf_counter() - started
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    pulled: list[int] = []
    trace: list[str] = []
    page.on(
        "requestfinished",
        lambda r: trace.append(
            f"{r.method} {r.url.split('/', 3)[-1]} start {r.timing['startTime']:.0f} "
            f"end +{r.timing['responseEnd']:.0f} ms"
        ),
    )
    page.on(
        "requestfinished",
        lambda r: pulled.append(r.sizes()["responseBodySize"]) if "/sync/pull" in r.url else None,
    )
    cpu = time.process_time()
    page.evaluate("window.__t0 = performance.now()")
    page.click("#sign-in")
    page.wait_for_function(
        f"document.querySelectorAll('#route li.visit').length === {visits}", timeout=60_000
    )
    sign_in_s = page.evaluate("(performance.now() - window.__t0) / 1000")
    if os.environ.get("BENCH_TRACE"):
        t0 = page.evaluate("performance.timeOrigin + window.__t0")
        print(f"  tap at {t0:.0f}; day shown +{sign_in_s * 1000:.0f} ms")
        for line in trace:
            print("  ", line)
    server_cpu = time.process_time() - cpu
    cdp.send(
        "Network.emulateNetworkConditions",
        {**FAST_3G, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    renders = []
    for _ in range(20):
        page.click("#tab-days")
        page.wait_for_selector("#tab-days.active")
        page.click("#tab-today")
        page.wait_for_function(f"document.querySelectorAll('#route li.visit').length === {visits}")
        renders.append(float(page.evaluate("document.body.dataset.renderMs")))
    context.close()
    return {
        "shell_s": shell_s,
        "sign_in_s": sign_in_s,
        "server_cpu_s": server_cpu,
        "pull_kb": sum(pulled) / 1024,
        "render_ms_p50": statistics.median(renders),
        "render_ms_max": max(renders),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--visits", type=int, default=40)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from app import create_app
    from app.config import Settings
    from app.database import db
    from app.tech.assets import own_code_size

    name = f"bench_tech_{uuid.uuid4().hex[:6]}"
    url = scratch_database(name)
    try:
        app = create_app(Settings(database_url=url, log_level="WARNING"))
        with app.app_context(), Session(db.engine) as session:
            email = seed(session, args.visits)
            from app.models import Visit

            records = session.scalar(select(func.count()).select_from(Visit))
        base, server = serve(app)
        print(
            f"machine: {platform.machine()}, {platform.python_version()}, "
            f"load {Path('/proc/loadavg').read_text().split()[:3]}"
        )
        print(f"app's own JS + CSS: {own_code_size():,} bytes")
        print(f"scope: {records} visits x (visit, customer, site, order, note) + 3 templates")
        results = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for run in range(args.runs):
                result = one_run(browser, base, email, args.visits)
                results.append(result)
                print(f"run {run + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in result.items()))
            browser.close()
        server.shutdown()
        for key in results[0]:
            values = [r[key] for r in results]
            print(f"{key}: median {statistics.median(values):.3f}, max {max(values):.3f}")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"bench process CPU: {usage.ru_utime + usage.ru_stime:.2f} s; "
            f"load {Path('/proc/loadavg').read_text().split()[:3]}"
        )
    finally:
        db.dispose()
        drop_database(name)


if __name__ == "__main__":
    main()
