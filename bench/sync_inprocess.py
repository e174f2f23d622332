"""Sync benchmarks in one process against PostgreSQL: pull latency versus history length,
first sync of a 5,000-record scope, and a push of 1,000 mutations.

    .venv/bin/python bench/sync_inprocess.py [--pulls 200]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text
from sync_common import (
    FlaskTransport,
    drop_database,
    percentile,
    scratch_database,
    seed_technician,
    sign_in,
)

DB_NAME = "fieldservice_bench_sync"

HISTORY_SQL = """
INSERT INTO sync_changes (seq, scope_key, entity, record_id, op, created_at)
SELECT g, 'v:' || (10000000 + g % 100000), 'visit', (10000000 + g % 100000)::text, 'upsert', now()
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) AS g
"""


def build_app(url: str):
    from app import create_app
    from app.config import Settings

    return create_app(Settings(database_url=url, log_level="WARNING"))


def add_history(rows: int, start: int) -> None:
    """Other technicians' changes, written by SQL (fast), before the measured scope exists."""
    from app.database import db

    with db.engine.begin() as conn:
        conn.execute(text(HISTORY_SQL), {"start": start, "stop": start + rows - 1})
        # Positions were written directly: move the position sequence past them.
        conn.execute(
            text("SELECT setval('sync_change_position', :last)"), {"last": start + rows - 1}
        )
        conn.execute(text("ANALYZE sync_changes"))


def make_phone(app, technician_no: int):
    from sync.client import LocalStore, SyncClient

    transport = FlaskTransport(app.test_client())
    token = sign_in(transport, f"tech{technician_no}@bench.example")
    return SyncClient.register(LocalStore(), transport, token, page_limit=500, push_batch=100)


def bench_pull(history_rows: int, pulls: int) -> dict[str, float]:
    """Delta pull latency for a 200-record scope after `history_rows` rows of others' history."""
    from app.database import db
    from app.models import Visit

    url = scratch_database(DB_NAME)
    app = build_app(url)
    add_history(history_rows, 1)
    with db.unit_of_work() as session:
        technician = seed_technician(session, 1, visits=40, notes_per_visit=2)  # 200 records
        visit_ids = [
            v
            for (v,) in session.execute(
                text("SELECT id FROM visits WHERE technician_id = :t"), {"t": technician.id}
            )
        ]
    phone = make_phone(app, 1)
    phone.sync()
    assert len(phone.store.records()) >= 200, len(phone.store.records())
    timings = []
    for n in range(pulls):
        with db.unit_of_work() as session:  # five changes land in the scope between pulls
            for visit_id in visit_ids[(n * 5) % 40 : (n * 5) % 40 + 5]:
                session.get(Visit, visit_id).description = f"change {n}"
        started = time.perf_counter()
        report = phone.pull_all()
        timings.append((time.perf_counter() - started) * 1000)
        assert report.upserts == 5, report
    db.dispose()
    drop_database(DB_NAME)
    return {"p50": percentile(timings, 50), "p95": percentile(timings, 95)}


def bench_first_sync_and_push() -> dict[str, float]:
    from app.database import db
    from app.models import VisitNote

    url = scratch_database(DB_NAME)
    app = build_app(url)
    with db.unit_of_work() as session:
        technician = seed_technician(session, 1, visits=1000, notes_per_visit=2)  # 5,000 records
        visit_ids = [
            v
            for (v,) in session.execute(
                text("SELECT id FROM visits WHERE technician_id = :t"), {"t": technician.id}
            )
        ]
    phone = make_phone(app, 1)
    started = time.perf_counter()
    report = phone.sync()
    first_sync_s = time.perf_counter() - started
    records = len(phone.store.records())
    for n in range(1000):
        phone.record(
            "visit.add_note",
            visit_id=visit_ids[n % len(visit_ids)],
            note_id=str(uuid.uuid4()),
            body=f"offline note {n}",
        )
    started = time.perf_counter()
    pushed = phone.push_all()
    push_s = time.perf_counter() - started
    with db.unit_of_work() as session:
        notes = session.query(VisitNote).count()
    db.dispose()
    drop_database(DB_NAME)
    assert pushed.pushed == 1000, pushed
    assert notes == 2000 + 1000, notes
    return {
        "first_sync_s": first_sync_s,
        "first_sync_records": records,
        "first_sync_pages": report.pulled_pages,
        "push_s": push_s,
        "push_per_s": 1000 / push_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pulls", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    small = bench_pull(10_000, args.pulls)
    print(f"pull, 10k history:  p50 {small['p50']:.1f} ms  p95 {small['p95']:.1f} ms")
    large = bench_pull(1_000_000, args.pulls)
    print(f"pull, 1M history:   p50 {large['p50']:.1f} ms  p95 {large['p95']:.1f} ms")
    ratio_50, ratio_95 = large["p50"] / small["p50"], large["p95"] / small["p95"]
    print(f"ratio 1M/10k: p50 {ratio_50:.2f}  p95 {ratio_95:.2f}")
    other = bench_first_sync_and_push()
    print(
        f"first sync: {other['first_sync_records']} records in {other['first_sync_pages']} pages,"
        f" {other['first_sync_s']:.2f} s"
    )
    print(
        f"push 1,000 mutations (batches of 100): {other['push_s']:.2f} s"
        f" ({other['push_per_s']:.0f} mutations/s)"
    )


if __name__ == "__main__":
    main()
