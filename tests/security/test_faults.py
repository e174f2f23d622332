"""Faults: the database dropping the app's connections mid-burst costs no acknowledged write
and answers nothing worse than 503 with Retry-After."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, event, select, text

from app import models
from app.database import db
from tests.factories import CustomerFactory

KILL_OTHER_CONNECTIONS = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _call(base: str, method: str, path: str, headers: dict, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={**headers, "Content-Type": "application/json", "Accept-Language": "en"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def _burst(base: str, headers: dict, worker: int, rounds: int, done: list) -> list[tuple]:
    answers = []
    for n in range(rounds):
        name = f"fault-{worker}-{n}"
        status, head, body = _call(base, "POST", "/api/v1/customers", headers, {"name": name})
        answers.append(("POST", name, status, head, body))
        status, head, body = _call(base, "GET", "/api/v1/customers?page_size=5", headers)
        answers.append(("GET", name, status, head, body))
        done.append(n)
    return answers


def test_killing_the_apps_database_connections_mid_burst_loses_no_acknowledged_write(
    live_server, session, settings, as_dispatcher
):
    session.close()  # the test's own connection stays out of the way of the cuts
    admin = create_engine(settings.database_url)
    stop = threading.Event()
    kills = []
    done: list[int] = []

    def killer() -> None:
        # Cut every connection whenever the clients made a little progress: cuts land in the
        # middle of requests, and however slow the machine, some requests get through.
        with admin.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            seen = 0
            while not stop.is_set():
                if len(done) >= seen + 2:
                    seen = len(done)
                    kills.append(conn.execute(KILL_OTHER_CONNECTIONS).scalar())
                time.sleep(0.01)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = [
                a
                for batch in pool.map(
                    lambda w: _burst(live_server, as_dispatcher, w, 12, done), range(4)
                )
                for a in batch
            ]
    finally:
        stop.set()
        thread.join(timeout=10)
        admin.dispose()

    assert sum(kills) > 0  # connections were really cut
    statuses = {status for _m, _n, status, _h, _b in answers}
    assert statuses <= {200, 201, 503}, statuses
    for _method, _name, status, head, body in answers:
        if status == 503:
            assert int(head["Retry-After"]) > 0
            assert body["code"] == "temporarily_unavailable"
            assert set(body) >= {"status", "code", "message", "errors"}
    acknowledged = {name for m, name, status, _h, _b in answers if m == "POST" and status == 201}
    assert acknowledged
    session.expire_all()
    stored = set(session.scalars(select(models.Customer.name)))
    assert acknowledged <= stored


@pytest.fixture
def cut_connection(settings):
    """cut_connection(sql_fragment): kill the app's connection as it first runs such SQL."""
    admin = create_engine(settings.database_url)
    armed: list[str] = []

    def kill_before(conn, _cursor, statement, *_args):
        if armed and armed[0] in statement:
            armed.clear()
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin.connect() as killer:
                killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(db.engine, "before_cursor_execute", kill_before)
    try:
        yield armed.append
    finally:
        event.remove(db.engine, "before_cursor_execute", kill_before)
        admin.dispose()


def test_a_read_whose_connection_is_cut_is_answered_on_a_fresh_one(
    client, session, as_dispatcher, cut_connection
):
    customer_id = CustomerFactory(name="Wang Fang").id
    session.close()
    cut_connection("FROM customers")
    response = client.get(f"/api/v1/customers/{customer_id}", headers=as_dispatcher)
    assert response.status_code == 200
    assert response.json["name"] == "Wang Fang"


def test_a_write_whose_connection_is_cut_answers_503_keeps_nothing_and_can_be_resent(
    client, session, as_dispatcher, cut_connection
):
    session.close()
    cut_connection("INSERT INTO customers")
    response = client.post("/api/v1/customers", json={"name": "Li Lei"}, headers=as_dispatcher)
    assert response.status_code == 503
    assert response.json["code"] == "temporarily_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert session.scalars(select(models.Customer.name)).all() == []
    again = client.post("/api/v1/customers", json={"name": "Li Lei"}, headers=as_dispatcher)
    assert again.status_code == 201
    session.expire_all()
    assert session.scalars(select(models.Customer.name)).all() == ["Li Lei"]
