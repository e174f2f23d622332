"""End-to-end dispatch through the app on the seeded demo: one day's run, publish, urgent inserts.

Usage: python bench/dispatch_api.py [--time-limit 10] [--inserts 20]
Builds a fresh SQLite demo database in a temporary folder, so it needs no server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from flask_migrate import upgrade

from app import create_app
from app.config import Settings
from app.database import db
from app.demo import DISPATCHER, seed_demo_data

FIRST_DAY = dt.date(2026, 11, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--inserts", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        app = create_app(Settings(database_url=url, log_level="WARNING"))
        with app.app_context():
            upgrade()
            seed_demo_data(db.session, first_day=FIRST_DAY)
            db.session.commit()
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={
            "email": DISPATCHER[0], "password": DISPATCHER[1]}).json["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        run = run_day(client, headers, args.time_limit)
        publish = client.post(f"/api/v1/dispatch/runs/{run['id']}/publish", headers=headers)
        print(f"publish: HTTP {publish.status_code}, "
              f"{len(publish.json['updated_visit_ids'])} visits scheduled")
        insert_urgent(client, headers, args.inserts)


def run_day(client, headers, time_limit: float) -> dict:
    started = time.perf_counter()
    run = client.post("/api/v1/dispatch/runs", headers=headers, json={
        "first_day": FIRST_DAY.isoformat(), "time_limit_s": time_limit}).json
    while run["status"] in ("queued", "running"):
        time.sleep(0.25)
        run = client.get(f"/api/v1/dispatch/runs/{run['id']}", headers=headers).json
    kpis = run["proposal"]["kpis"]
    print(f"run: {run['status']} in {time.perf_counter() - started:.1f} s wall "
          f"(limit {time_limit} s); assigned {kpis['assigned']:.0f}, unassigned "
          f"{kpis['unassigned']:.0f}, SLA on time {kpis['on_time_pct']:.1f} % "
          f"({kpis['sla_misses']:.0f} of {kpis['sla_visits']:.0f} missed), "
          f"travel {kpis['travel_km']:.0f} km / {kpis['travel_hours']:.1f} h, "
          f"utilisation {kpis['utilisation_pct']:.1f} %")
    return run


def insert_urgent(client, headers, count: int) -> None:
    seconds, placed, codes = [], 0, Counter()
    for i in range(count):
        visit = client.post("/api/v1/visits", headers=headers, json={
            "kind": "repair", "customer_id": 100 + i, "site_id": 100 + i, "priority": 5,
            "window_start": f"{FIRST_DAY}T13:00:00+08:00",
            "window_end": f"{FIRST_DAY}T17:30:00+08:00",
            "required_skills": [{"code": "repair", "min_level": 1}]}).json
        started = time.perf_counter()
        result = client.post("/api/v1/dispatch/insertions", headers=headers,
                             json={"visit_id": visit["id"], "apply": True}).json
        seconds.append(time.perf_counter() - started)
        placed += result["assignment"] is not None
        codes.update(r["code"] for r in result["reasons"][:1])
    seconds.sort()
    print(f"urgent insertion over HTTP ({count} visits, applied one after another): "
          f"placed {placed}, median {statistics.median(seconds) * 1000:.0f} ms, "
          f"p95 {seconds[int(0.95 * (len(seconds) - 1))] * 1000:.0f} ms; "
          f"reasons of the others: {dict(codes) or 'none'}")


if __name__ == "__main__":
    main()
