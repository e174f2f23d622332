"""The demo dataset: city scale, reproducible, with working credentials."""

import datetime as dt

from sqlalchemy import func, select

from app.demo import ADMIN, DISPATCHER, seed_demo_data
from app.models import Customer, Depot, Technician, Visit, VisitStatus

FIRST_DAY = dt.date(2026, 11, 30)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_seed_builds_the_city_scale_dataset(session):
    seed_demo_data(session, first_day=FIRST_DAY)
    session.commit()
    assert (count(session, Depot), count(session, Technician), count(session, Customer)) == (
        3,
        40,
        1000,
    )
    open_visits = session.scalar(
        select(func.count()).select_from(Visit).where(Visit.status == VisitStatus.NEW)
    )
    assert open_visits == 400


def test_seeded_visits_fall_on_five_working_days(session):
    seed_demo_data(session, first_day=FIRST_DAY)
    days = {
        v.window_start.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        for v in session.scalars(select(Visit))
    }
    assert len(days) == 5
    assert all(day.weekday() < 5 for day in days)


def test_seeded_credentials_sign_in(client, session):
    seed_demo_data(session, first_day=FIRST_DAY)
    session.commit()
    for email, password in (ADMIN, DISPATCHER):
        response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 201


def test_the_same_seed_gives_the_same_data(session):
    seed_demo_data(session, seed=7, first_day=FIRST_DAY)
    # in insertion order: a table emptied by DELETE may hand back its rows in any order
    by_id = select(Customer).order_by(Customer.id).limit(20)
    first = [(c.name, c.phone) for c in session.scalars(by_id)]
    session.rollback()
    seed_demo_data(session, seed=7, first_day=FIRST_DAY)
    again = [(c.name, c.phone) for c in session.scalars(by_id)]
    assert first == again
