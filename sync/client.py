"""A reference offline client: what a phone does, in Python, against the sync protocol.

It keeps a local SQLite mirror of the technician's scope and an outbox of mutations, and syncs
with a loop that pushes the outbox, then pulls pages until `has_more` is false. Network failures
and 503 answers are retried with exponential backoff; `reset_required` drops the mirror (never
the outbox) and starts a fresh snapshot; `remove` drops a record and, for a visit, its children.

It talks to the server through a `Transport`, so tests drive it in-process and the demo over
HTTP (`HttpTransport`). Stdlib sqlite3 only; no web framework.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

PROTOCOL_VERSION = 1
SCHEMA_VERSION = 1
RETRYABLE_STATUSES = frozenset({502, 503, 504})
# Batch refusals the phone leaves by renumbering its outbox from the server's count.
RENUMBER_CODES = frozenset({"mutation_sequence_gap", "mutation_id_reused"})


class TransportError(Exception):
    """The request may not have reached the server, or its answer was lost: retry it."""


class SyncError(Exception):
    """The server gave a definite refusal (a 4xx other than reset_required)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('code')}: {body.get('message')}")
        self.status = status
        self.body = body
        self.code = body.get("code")


class Transport(Protocol):
    """Sends one JSON POST and returns (status, JSON body); raises TransportError on failure."""

    def post(self, path: str, body: dict[str, Any], token: str | None) -> tuple[int, dict]: ...


class HttpTransport:
    """The transport a real phone would use: HTTPS (here: HTTP) with `requests`."""

    def __init__(self, base_url: str, *, timeout_s: float = 30.0) -> None:
        import requests

        self._requests = requests
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.http = requests.Session()

    def post(self, path: str, body: dict[str, Any], token: str | None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self.http.post(
                self.base_url + path, json=body, headers=headers, timeout=self.timeout_s
            )
        except self._requests.RequestException as exc:
            raise TransportError(str(exc)) from exc
        try:
            payload = response.json()
        except ValueError:
            payload = {"code": "not_json", "message": response.text[:200]}
        return response.status_code, payload


_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    entity TEXT NOT NULL, id TEXT NOT NULL, visit_id INTEGER, version INTEGER,
    data TEXT NOT NULL, PRIMARY KEY (entity, id));
CREATE INDEX IF NOT EXISTS records_visit ON records (visit_id);
CREATE TABLE IF NOT EXISTS outbox (
    mutation_id INTEGER PRIMARY KEY, name TEXT NOT NULL, args TEXT NOT NULL,
    base_version INTEGER, device_time TEXT);
CREATE TABLE IF NOT EXISTS results (
    mutation_id INTEGER PRIMARY KEY, name TEXT, outcome TEXT NOT NULL, code TEXT,
    message TEXT, details TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class LocalStore:
    """The phone's database: the scope mirror, the outbox, results and sync state."""

    def __init__(self, path: str = ":memory:") -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(_SCHEMA)

    # -- sync state
    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _set(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, None if value is None else str(value)),
        )

    @property
    def cursor(self) -> str | None:
        return self.get("cursor")

    @property
    def last_acked(self) -> int:
        return int(self.get("last_acked", "0") or 0)

    # -- the mirror
    def apply_page(self, page: dict[str, Any]) -> None:
        """Apply one pull answer and its cursor in one local transaction (a crash replays it)."""
        with self._transaction():
            for ref in page["removes"] + page["deletes"]:
                self._drop(ref["entity"], ref["id"])
            for record in page["upserts"]:
                data = record["data"]
                self.db.execute(
                    "INSERT OR REPLACE INTO records (entity, id, visit_id, version, data) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        record["entity"],
                        str(record["id"]),
                        data.get("visit_id") if record["entity"] != "visit" else data["id"],
                        record.get("version"),
                        json.dumps(data, sort_keys=True),
                    ),
                )
            self._set("cursor", page["cursor"])
            self._acked(page["last_acked_mutation_id"])

    def _drop(self, entity: str, record_id: Any) -> None:
        self.db.execute("DELETE FROM records WHERE entity = ? AND id = ?", (entity, str(record_id)))
        if entity == "visit":
            self.db.execute("DELETE FROM records WHERE visit_id = ?", (int(record_id),))

    def reset(self) -> None:
        """Forget the mirror and the cursor (the outbox stays: unpushed work is never dropped)."""
        with self._transaction():
            self.db.execute("DELETE FROM records")
            self._set("cursor", None)

    def records(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every mirrored record by (entity, id)."""
        rows = self.db.execute("SELECT entity, id, data FROM records")
        return {(entity, rid): json.loads(data) for entity, rid, data in rows}

    def record(self, entity: str, record_id: Any) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT data FROM records WHERE entity = ? AND id = ?", (entity, str(record_id))
        ).fetchone()
        return json.loads(row[0]) if row else None

    def articles(self, fault_cause: str | None = None) -> list[dict[str, Any]]:
        """Knowledge-base articles the server sent for this phone's visits, by title.

        With `fault_cause`, only those filed under it (what a repair checklist links to).
        """
        rows = self.db.execute("SELECT data FROM records WHERE entity = 'article'")
        found = [json.loads(data) for (data,) in rows]
        if fault_cause is not None:
            found = [a for a in found if fault_cause in a.get("fault_causes", [])]
        return sorted(found, key=lambda a: (a["title"], a["id"]))

    # -- the outbox
    def enqueue(
        self,
        name: str,
        args: dict[str, Any],
        *,
        base_version: int | None = None,
        device_time: dt.datetime | None = None,
    ) -> int:
        """Queue a mutation under the next sequential id; returns the id."""
        with self._transaction():
            next_id = int(self.get("next_mutation_id", "0") or 0)
            mutation_id = max(next_id, self.last_acked + 1)
            self.db.execute(
                "INSERT INTO outbox VALUES (?, ?, ?, ?, ?)",
                (
                    mutation_id,
                    name,
                    json.dumps(args, sort_keys=True),
                    base_version,
                    (device_time or dt.datetime.now(dt.UTC)).isoformat(),
                ),
            )
            self._set("next_mutation_id", mutation_id + 1)
        return mutation_id

    def renumber(self, last_acked: int) -> None:
        """Number the whole outbox again from `last_acked + 1`, keeping its order and content.

        The way out of `mutation_sequence_gap` / `mutation_id_reused` (e.g. an app reinstalled
        with an old outbox): the server's count is the one that holds.
        """
        with self._transaction():
            rows = self.db.execute(
                "SELECT mutation_id FROM outbox ORDER BY mutation_id"
            ).fetchall()
            # Two passes through negative ids, so no new id collides with an old one.
            for n, (old,) in enumerate(rows, start=1):
                self.db.execute(
                    "UPDATE outbox SET mutation_id = ? WHERE mutation_id = ?", (-n, old)
                )
            self.db.execute("UPDATE outbox SET mutation_id = ? - mutation_id", (last_acked,))
            self._set("last_acked", last_acked)
            self._set("next_mutation_id", last_acked + len(rows) + 1)

    def pending(self, limit: int) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT mutation_id, name, args, base_version, device_time FROM outbox "
            "ORDER BY mutation_id LIMIT ?",
            (limit,),
        )
        return [
            {"id": i, "name": n, "args": json.loads(a), "base_version": b, "device_time": t}
            for i, n, a, b, t in rows
        ]

    def outbox_size(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def acknowledge(self, results: list[dict[str, Any]], last_acked: int) -> None:
        """Keep the answers and drop acknowledged mutations from the outbox."""
        with self._transaction():
            for r in results:
                self.db.execute(
                    "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        r["id"],
                        r.get("name"),
                        r["outcome"],
                        r.get("code"),
                        r.get("message"),
                        json.dumps(r.get("details") or {}),
                    ),
                )
            self._acked(last_acked)

    def _acked(self, last_acked: int) -> None:
        if last_acked > self.last_acked:
            self._set("last_acked", last_acked)
        self.db.execute("DELETE FROM outbox WHERE mutation_id <= ?", (self.last_acked,))

    def results(self) -> dict[int, dict[str, Any]]:
        rows = self.db.execute("SELECT mutation_id, name, outcome, code, message FROM results")
        return {i: {"name": n, "outcome": o, "code": c, "message": m} for i, n, o, c, m in rows}

    def _transaction(self) -> Any:
        return _Tx(self.db)


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


@dataclass
class SyncReport:
    pushed: int = 0
    pulled_pages: int = 0
    upserts: int = 0
    removes: int = 0
    deletes: int = 0
    resets: int = 0
    retries: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SyncClient:
    """The sync loop of one phone."""

    store: LocalStore
    transport: Transport
    device_id: str
    token: str
    page_limit: int = 200
    push_batch: int = 100
    max_attempts: int = 6
    backoff_s: float = 0.2
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def register(
        cls,
        store: LocalStore,
        transport: Transport,
        sign_in_token: str,
        *,
        device_id: str | None = None,
        name: str = "phone",
        platform: str = "reference-client",
        **options: Any,
    ) -> SyncClient:
        """Register this phone with a technician's sign-in token; keeps the device-bound token."""
        device_id = device_id or store.get("device_id") or f"dev-{uuid.uuid4()}"
        status, body = transport.post(
            "/mobile/v1/devices",
            {"device_id": device_id, "name": name, "platform": platform},
            sign_in_token,
        )
        if status != 201:
            raise SyncError(status, body)
        store._set("device_id", device_id)
        store._set("last_acked", max(store.last_acked, body["last_acked_mutation_id"]))
        return cls(store, transport, device_id, body["access_token"], **options)

    # -- what the technician does (each queues a mutation)
    def record(
        self,
        name: str,
        *,
        base_version: int | None = None,
        device_time: dt.datetime | None = None,
        **args: Any,
    ) -> int:
        """Queue a mutation, e.g. record("visit.add_note", visit_id=1, note_id=..., body=...)."""
        return self.store.enqueue(name, args, base_version=base_version, device_time=device_time)

    # -- the loop
    def sync(self) -> SyncReport:
        """Push the whole outbox, then pull until up to date."""
        report = SyncReport()
        self.push_all(report)
        self.pull_all(report)
        return report

    def push_all(self, report: SyncReport | None = None) -> SyncReport:
        report = report or SyncReport()
        renumbered = False
        while batch := self.store.pending(self.push_batch):
            try:
                body = self._call(
                    "/mobile/v1/sync/push", {**self._envelope(), "mutations": batch}, report
                )
            except SyncError as exc:
                if exc.code not in RENUMBER_CODES or renumbered:
                    raise
                self.store.renumber(exc.body["details"]["last_acked_mutation_id"])
                renumbered = True
                continue
            self.store.acknowledge(body["results"], body["last_acked_mutation_id"])
            report.pushed += len(body["results"])
            report.rejected += [r for r in body["results"] if r["outcome"] == "rejected"]
        return report

    def pull_all(self, report: SyncReport | None = None) -> SyncReport:
        report = report or SyncReport()
        while True:
            body = {**self._envelope(), "cursor": self.store.cursor, "limit": self.page_limit}
            try:
                page = self._call("/mobile/v1/sync/pull", body, report)
            except SyncError as exc:
                if exc.code != "reset_required":
                    raise
                self.store.reset()
                report.resets += 1
                continue
            self.store.apply_page(page)
            report.pulled_pages += 1
            report.upserts += len(page["upserts"])
            report.removes += len(page["removes"])
            report.deletes += len(page["deletes"])
            if not page["has_more"]:
                return report

    def _envelope(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "protocol_version": PROTOCOL_VERSION,
            "schema_version": SCHEMA_VERSION,
        }

    def _call(self, path: str, body: dict[str, Any], report: SyncReport) -> dict[str, Any]:
        """POST with retries: network failures and 502/503/504 back off exponentially."""
        for attempt in range(self.max_attempts):
            try:
                status, payload = self.transport.post(path, body, self.token)
            except TransportError:
                status, payload = 0, {}
            if status == 200:
                return payload
            if status and status not in RETRYABLE_STATUSES:
                raise SyncError(status, payload)
            report.retries += 1
            delay = self.backoff_s * 2**attempt
            self.sleep(delay * random.uniform(0.5, 1.0))
        raise TransportError(f"{path} still failing after {self.max_attempts} attempts")
