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
from dataclasses import dataclass, field
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


@dataclass
class PullSetup:
    name: str
    url: str
    phone: object
    visit_ids: list[int]
    timings: list[float] = field(default_factory=list)


def prepare_pull(app, name: str, history_rows: int) -> PullSetup:
    """A database with `history_rows` rows of others' history, then a 200-record scope."""
    from app.database import db

    url = scratch_database(name)
    db.configure(url)
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
    return PullSetup(name, url, phone, visit_ids)


def bench_pull(pulls: int, rounds: int = 10) -> tuple[PullSetup, PullSetup]:
    """Delta pull latency at 10k and 1M rows of history, measured in alternating rounds so
    that noise from a shared machine hits both alike."""
    from app.database import db
    from app.models import Visit

    app = build_app(scratch_database(DB_NAME + "_boot"))
    small = prepare_pull(app, DB_NAME + "_10k", 10_000)
    large = prepare_pull(app, DB_NAME + "_1m", 1_000_000)
    for round_no in range(rounds):
        for setup in (small, large):
            db.configure(setup.url)
            setup.phone.pull_all()  # warm the new connection
            for k in range(pulls // rounds):
                n = round_no * 1000 + k
                with db.unit_of_work() as session:  # five changes land between pulls
                    for visit_id in setup.visit_ids[(n * 5) % 40 : (n * 5) % 40 + 5]:
                        session.get(Visit, visit_id).description = f"change {n}"
                started = time.perf_counter()
                report = setup.phone.pull_all()
                setup.timings.append((time.perf_counter() - started) * 1000)
                assert report.upserts == 5, report
    db.dispose()
    for name in ("_boot", "_10k", "_1m"):
        drop_database(DB_NAME + name)
    return small, large


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
    small, large = bench_pull(args.pulls)
    figures = {}
    for label, setup in (("10k", small), ("1M", large)):
        figures[label] = (percentile(setup.timings, 50), percentile(setup.timings, 95))
        p50, p95 = figures[label]
        print(
            f"pull, {label} history ({len(setup.timings)} pulls):"
            f" p50 {p50:.1f} ms  p95 {p95:.1f} ms"
        )
    ratio_50 = figures["1M"][0] / figures["10k"][0]
    ratio_95 = figures["1M"][1] / figures["10k"][1]
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
