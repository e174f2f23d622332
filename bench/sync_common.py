"""Shared set-up for the sync benchmarks: a scratch PostgreSQL database and seeded scopes."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-1"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def scratch_database(name: str) -> str:
    """Create (or recreate) a scratch database migrated to head; returns its URL."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import Settings
    from app.database import db

    server = make_url(SERVER)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    with app.app_context():
        upgrade()
    db.dispose()
    return url


def drop_database(name: str) -> None:
    admin = create_engine(make_url(SERVER).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def tomorrow_at(hour: int) -> dt.datetime:
    day = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def seed_technician(session: Any, n: int, *, visits: int, notes_per_visit: int) -> Any:
    """A technician with a login and `visits` dispatched visits (own customer, site, notes)."""
    from app.models import (
        Customer,
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

    user = User(
        email=f"tech{n}@bench.example",
        name=f"Tech {n}",
        role=Role.TECHNICIAN,
        password_hash=_hash(hash_password),
    )
    technician = Technician(
        name=f"Tech {n}",
        user=user,
        home_lat=31.23,
        home_lon=121.47,
        time_zone="Asia/Shanghai",
        shift_pattern={},
        days_off=[],
    )
    session.add(technician)
    session.flush()
    for v in range(visits):
        customer = Customer(name=f"Customer {n}-{v}", tags=[])
        site = Site(customer=customer, address=f"{v} Nanjing Rd", lat=31.2, lon=121.4)
        visit = Visit(
            kind=VisitKind.MEASURE,
            customer=customer,
            site=site,
            technician_id=technician.id,
            status=VisitStatus.DISPATCHED,
            window_start=tomorrow_at(9),
            window_end=tomorrow_at(12),
            priority=3,
            duration_min=60,
        )
        session.add(visit)
        session.flush()
        for _ in range(notes_per_visit):
            session.add(VisitNote(id=str(uuid.uuid4()), visit_id=visit.id, body="prepared"))
    session.flush()
    return technician


_HASH: dict[str, str] = {}


def _hash(hasher: Any) -> str:
    if "h" not in _HASH:
        _HASH["h"] = hasher(PASSWORD)
    return _HASH["h"]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of the values, by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


class FlaskTransport:
    """In-process transport over the Flask test client (no network, same HTTP stack)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def post(self, path: str, body: dict[str, Any], token: str | None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post(path, json=body, headers=headers)
        return response.status_code, response.get_json()


def sign_in(transport: Any, email: str) -> str:
    status, body = transport.post(
        "/api/v1/auth/token", {"email": email, "password": PASSWORD}, None
    )
    assert status == 201, body
    return body["access_token"]
