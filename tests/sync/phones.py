"""Phones for tests: the reference client over the Flask test client, and the server's view of a
technician's scope to compare their stores with."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import db
from sync import records, scope
from sync.client import TransportError


class FlaskTransport:
    """The client's transport, in-process; can drop requests or their answers on demand."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.calls: list[str] = []
        self.fail_next_requests = 0  # the request never reaches the server
        self.lose_next_responses = 0  # the server handles it, the answer is lost
        self.fail_after: int | None = None  # every request after this many raises
        self.pushes: list[dict[str, Any]] = []  # every push body sent, for replaying later

    def post(self, path: str, body: dict[str, Any], token: str | None) -> tuple[int, dict]:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise TransportError("connection lost")
        self.calls.append(path)
        if self.fail_next_requests:
            self.fail_next_requests -= 1
            raise TransportError("no signal")
        if path.endswith("/push"):
            self.pushes.append(json.loads(json.dumps(body)))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post(path, json=body, headers=headers)
        if self.lose_next_responses:
            self.lose_next_responses -= 1
            raise TransportError("answer lost")
        return response.status_code, response.get_json()


def server_scope(
    session: Session, technician_id: int, settings: Settings
) -> dict[tuple[str, str], Any]:
    """What the technician's phone must hold right now, as the store keeps it."""
    session.expire_all()
    keys = scope.scope_keys(session, technician_id, settings)
    out: dict[tuple[str, str], Any] = {}
    for entity, record in records.trees(session, keys):
        wire = records.serialize(entity, record)
        out[(entity, str(wire["id"]))] = json.loads(json.dumps(wire["data"], sort_keys=True))
    db.session.commit()
    return out


def push_raw(device: Any, mutations: list[dict[str, Any]]) -> tuple[int, dict]:
    """Send one push batch exactly as given, bypassing the client's outbox."""
    body = {**device._envelope(), "mutations": mutations}
    return device.transport.post("/mobile/v1/sync/push", body, device.token)


def mutation(mutation_id: int, name: str, *, device_time: str | None = None, **args: Any) -> dict:
    """One wire mutation."""
    return {
        "id": mutation_id,
        "name": name,
        "args": args,
        "base_version": None,
        "device_time": device_time or "2026-11-24T09:00:00+08:00",
    }


def new_id() -> str:
    import uuid

    return str(uuid.uuid4())
