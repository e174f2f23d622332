"""50 simulated phones against the app under gunicorn and PostgreSQL, over loopback HTTP.

    .venv/bin/python bench/sync_load.py [--devices 50] [--seconds 60] [--think 0.2 1.0]

Each phone registers, then loops: queue two notes and a checklist answer, sync (push, then pull
until up to date), think (uniformly 0.2-1 s by default: far more often than a real phone).
Reports requests/s, p50/p95 latency, errors, and lost writes (notes written on a phone but
missing on the server).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import text  # noqa: E402
from sync_common import (  # noqa: E402
    PASSWORD,
    drop_database,
    percentile,
    scratch_database,
    seed_technician,
)

DB_NAME = "fieldservice_bench_sync_load"


class TimedTransport:
    """HttpTransport that records every request's latency and status."""

    def __init__(
        self, base_url: str, log: list[tuple[float, int, str, float]], lock: threading.Lock
    ) -> None:
        from sync.client import HttpTransport

        self.http = HttpTransport(base_url, timeout_s=60)
        self.log = log
        self.lock = lock

    def post(self, path: str, body: dict[str, Any], token: str | None) -> tuple[int, dict]:
        started = time.perf_counter()
        try:
            status, payload = self.http.post(path, body, token)
        except Exception:
            with self.lock:
                self.log.append(((time.perf_counter() - started) * 1000, 0, path, time.time()))
            raise
        with self.lock:
            self.log.append(((time.perf_counter() - started) * 1000, status, path, time.time()))
        return status, payload


def seed(url: str, devices: int) -> list[list[int]]:
    from app.database import db

    db.configure(url)
    visit_ids: list[list[int]] = []
    with db.unit_of_work() as session:
        for n in range(devices):
            technician = seed_technician(session, n, visits=10, notes_per_visit=1)
            visit_ids.append(
                [
                    v
                    for (v,) in session.execute(
                        text("SELECT id FROM visits WHERE technician_id = :t"), {"t": technician.id}
                    )
                ]
            )
        from app.models import ChecklistTemplate, VisitKind

        session.add(
            ChecklistTemplate(
                kind=VisitKind.MEASURE,
                name="Measure",
                items=[{"key": "remarks", "label": "Remarks", "type": "text", "required": False}],
            )
        )
    db.dispose()
    return visit_ids


def phone_loop(
    n: int,
    base_url: str,
    visits: list[int],
    until: float,
    log: list,
    lock,
    sent_notes: dict,
    errors: list,
    think: tuple[float, float],
) -> None:
    from sync.client import LocalStore, SyncClient

    transport = TimedTransport(base_url, log, lock)
    _status, body = transport.post(
        "/api/v1/auth/token", {"email": f"tech{n}@bench.example", "password": PASSWORD}, None
    )
    phone = SyncClient.register(
        LocalStore(),
        transport,
        body["access_token"],
        device_id=f"bench-phone-{n:04d}",
        backoff_s=0.2,
    )
    rng = random.Random(n)
    notes: list[str] = []
    while time.monotonic() < until:
        visit_id = rng.choice(visits)
        for _ in range(2):
            note_id = str(uuid.uuid4())
            phone.record("visit.add_note", visit_id=visit_id, note_id=note_id, body="done")
            notes.append(note_id)
        phone.record(
            "checklist.set_answer",
            visit_id=visit_id,
            item_key="remarks",
            value=f"ok {rng.random():.3f}",
        )
        try:
            report = phone.sync()
            if report.rejected:
                errors.append(f"phone {n}: rejected {report.rejected[:1]}")
        except Exception as exc:
            errors.append(f"phone {n}: {exc}")
        time.sleep(rng.uniform(*think))
    try:
        phone.sync()  # flush the outbox before counting
    except Exception as exc:
        errors.append(f"phone {n} final: {exc}")
    acked = {
        mutation_id for mutation_id, r in phone.store.results().items() if r["outcome"] == "applied"
    }
    sent_notes[n] = (notes, phone.store.outbox_size(), len(acked))


def run_group(
    numbers: list[int],
    base_url: str,
    visit_ids: list[list[int]],
    until_wall: float,
    think: tuple[float, float],
) -> tuple[list, dict, list]:
    """One load-generator process: a thread per phone (processes keep the GIL out of the way)."""
    log: list[tuple[float, int, str, float]] = []
    lock = threading.Lock()
    sent: dict[int, Any] = {}
    errors: list[str] = []
    until = time.monotonic() + (until_wall - time.time())
    threads = [
        threading.Thread(
            target=phone_loop,
            args=(n, base_url, visit_ids[n], until, log, lock, sent, errors, think),
        )
        for n in numbers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return log, sent, errors


def server_times(path: Path) -> list[float]:
    """Request durations the app logged itself (time inside the gunicorn worker)."""
    pattern = re.compile(r"-> \d+ in ([\d.]+) ms")
    return [float(m.group(1)) for m in map(pattern.search, path.read_text().splitlines()) if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--think", type=float, nargs=2, default=(0.2, 1.0), metavar=("MIN", "MAX"))
    parser.add_argument("--processes", type=int, default=5, help="load-generator processes")
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds left out of steady state"
    )
    args = parser.parse_args()

    url = scratch_database(DB_NAME)
    visit_ids = seed(url, args.devices)
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "INFO", "APP_ENV": "development"}
    env.pop("REDIS_URL", None)
    server_log = Path(tempfile.gettempdir()) / f"sync_load_{os.getpid()}.log"
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{args.port}",
            "--timeout",
            "120",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=server_log.open("w"),
    )
    base_url = f"http://127.0.0.1:{args.port}"
    try:
        _wait_for(base_url)
        log: list[tuple[float, int, str, float]] = []
        sent: dict[int, Any] = {}
        errors: list[str] = []
        until_wall = time.time() + args.seconds
        started = time.perf_counter()
        groups = [list(range(args.devices))[k :: args.processes] for k in range(args.processes)]
        with ProcessPoolExecutor(args.processes) as pool:
            futures = [
                pool.submit(run_group, g, base_url, visit_ids, until_wall, tuple(args.think))
                for g in groups
            ]
            for future in futures:
                group_log, group_sent, group_errors = future.result()
                log += group_log
                sent.update(group_sent)
                errors += group_errors
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)

    from app.database import db

    db.configure(url)
    with db.engine.connect() as conn:
        stored = {r[0] for r in conn.execute(text("SELECT id FROM visit_notes"))}
        note_rows = conn.execute(text("SELECT count(*) FROM visit_notes")).scalar()
    db.dispose()
    drop_database(DB_NAME)

    all_notes = [note for notes, _, _ in sent.values() for note in notes]
    lost = [note for note in all_notes if note not in stored]
    unpushed = sum(left for _, left, _ in sent.values())
    latencies = [entry[0] for entry in log]
    failures = [entry[1] for entry in log if entry[1] not in (200, 201)]
    # Steady state: leave out the first seconds (50 sign-ins hashing passwords, first syncs).
    steady_from = min(entry[3] for entry in log) + args.warmup
    steady = [entry for entry in log if entry[3] >= steady_from]
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(
        f"devices {args.devices} in {args.processes} processes, think {args.think[0]}-"
        f"{args.think[1]} s, {elapsed:.1f} s, requests {len(log)}"
        f" ({len(log) / elapsed:.1f} req/s)"
    )
    print(f"latency p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms")
    print(
        f"steady state (after {args.warmup} s): {len(steady)} requests,"
        f" p50 {percentile([e[0] for e in steady], 50):.0f} ms,"
        f" p95 {percentile([e[0] for e in steady], 95):.0f} ms"
    )
    for path in ("/mobile/v1/sync/push", "/mobile/v1/sync/pull"):
        times = [e[0] for e in steady if e[2] == path]
        print(
            f"  {path}: {len(times)} requests, p50 {percentile(times, 50):.0f} ms,"
            f" p95 {percentile(times, 95):.0f} ms"
        )
    inside = server_times(server_log)
    print(
        f"inside the app: p50 {percentile(inside, 50):.0f} ms, p95 {percentile(inside, 95):.0f} ms"
        f" ({len(inside)} requests logged)"
    )
    server_log.unlink()
    print(f"error responses {len(failures)} {sorted(set(failures))}, sync errors {len(errors)}")
    for line in errors[:5]:
        print("  ", line)
    print(
        f"notes written offline {len(all_notes)}, stored {note_rows - args.devices * 10},"
        f" lost {len(lost)}, left unpushed {unpushed}"
    )


def _wait_for(base_url: str) -> None:
    import requests

    for _ in range(100):
        try:
            requests.get(base_url + "/api/openapi.json", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


if __name__ == "__main__":
    main()
