"""The demo dataset: city scale, reproducible, with working credentials."""

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.database import make_engine
from app.demo import (
    ADMIN,
    DISPATCHER,
    DemoSummary,
    fitting_windows,
    routes_under_way,
    seed_demo_data,
    under_way_day,
)
from app.models import Customer, Depot, DispatchRun, RunStatus, Technician, Visit, VisitStatus
from app.services import schedule_checks
from app.services.accounts import authenticate
from tests.conftest import database_copy

FIRST_DAY = dt.date(2026, 11, 30)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture(scope="module")
def seeded_database(app, postgres_url) -> Iterator[Session]:
    """The demo of FIRST_DAY seeded once, in a database of this module's own; read only.

    Seeding takes seconds; the tests that only read the result share one (the tables of the
    test database are emptied after every test, so it lives in a copy of that database).
    """
    with database_copy(postgres_url) as url:
        engine = make_engine(url)
        with Session(engine) as session:
            seed_demo_data(session, first_day=FIRST_DAY)
            session.commit()
            yield session
        engine.dispose()


@pytest.fixture
def seeded(seeded_database) -> Iterator[Session]:
    """The shared seeded demo; whatever a test leaves unflushed or uncommitted is undone."""
    yield seeded_database
    seeded_database.rollback()


def test_seed_builds_the_city_scale_dataset(seeded):
    assert (count(seeded, Depot), count(seeded, Technician), count(seeded, Customer)) == (
        3,
        40,
        1000,
    )
    open_visits = seeded.scalar(
        select(func.count()).select_from(Visit).where(Visit.status == VisitStatus.NEW)
    )
    assert open_visits == 400


def test_seeded_visits_fall_on_five_working_days(seeded):
    days = {
        v.window_start.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        for v in seeded.scalars(select(Visit))
    }
    assert len(days) == 5
    assert all(day.weekday() < 5 for day in days)


def test_seeded_credentials_sign_in(seeded):
    # The accounts' check the sign-in endpoint makes (its HTTP answers: tests/app/test_auth.py).
    for email, password in (ADMIN, DISPATCHER):
        assert authenticate(seeded, email, password).email == email


def test_the_same_seed_gives_the_same_data(seeded, session):
    seed_demo_data(session, first_day=FIRST_DAY)
    # in insertion order: a table emptied by DELETE may hand back its rows in any order
    by_id = select(Customer.name, Customer.phone).order_by(Customer.id)
    assert session.execute(by_id).all() == seeded.execute(by_id).all()


# --- the day under way, names, windows, the published day, restarts -------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHIFT = (dt.time(8, 30), dt.time(17, 30))
MONDAY = dt.date(2026, 11, 30)


def shanghai(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("now", "day", "deferred"),
    [
        (shanghai(MONDAY, 11, 20), MONDAY, False),
        (shanghai(MONDAY, 4, 30), MONDAY, True),  # before work: later today
        (shanghai(MONDAY, 22, 0), MONDAY + dt.timedelta(days=1), True),
        (shanghai(MONDAY + dt.timedelta(days=4), 19, 0), MONDAY + dt.timedelta(days=7), True),
        (shanghai(MONDAY + dt.timedelta(days=5), 12, 0), MONDAY + dt.timedelta(days=7), True),
    ],
)
def test_the_day_under_way_is_a_working_day_seen_in_working_hours(now, day, deferred):
    under_way = under_way_day(now)
    assert (under_way.day, under_way.deferred) == (day, deferred)
    local = under_way.at.astimezone(SHANGHAI)
    assert local.date() == day
    assert local.weekday() < 5
    assert SHIFT[0] < local.time() < SHIFT[1]


@pytest.mark.parametrize("hour", range(24))
def test_every_visit_under_way_lies_inside_the_shift_whatever_the_hour(hour):
    under_way = under_way_day(shanghai(MONDAY, hour, 40))
    route = routes_under_way(under_way)
    assert len(route) == 12
    for visit in route:
        assert visit.start.date() == under_way.day
        assert SHIFT[0] <= visit.start.time()
        assert visit.end.time() <= SHIFT[1]
        # Done before the moment shown, to come after it: never the other way round.
        assert all(when <= under_way.at for _, when in visit.events)
        if visit.status == VisitStatus.COMPLETED:
            assert visit.end <= under_way.at
        if visit.status == VisitStatus.DISPATCHED:
            assert visit.start > under_way.at


@pytest.mark.parametrize("hour", [9, 10, 13, 15])
def test_the_routes_under_way_show_one_breach_and_one_projected_miss(hour):
    under_way = under_way_day(shanghai(MONDAY, hour, 45))
    flagged = [v for v in routes_under_way(under_way) if v.sla_due is not None]
    breached = [v for v in flagged if v.sla_due < under_way.at]
    coming = [v for v in flagged if v.sla_due > under_way.at]
    assert len(breached) == 1
    assert breached[0].status != VisitStatus.COMPLETED
    assert len(coming) == 1
    # Due before the visit can end: the projection misses it.
    assert coming[0].sla_due < coming[0].end
    assert coming[0].status == VisitStatus.DISPATCHED


def test_a_night_start_says_which_day_is_shown_under_way():
    summary = DemoSummary(
        3, 40, 1000, 400, MONDAY, MONDAY, under_way=under_way_day(shanghai(MONDAY, 22))
    )
    said = summary.describe()
    assert "outside working hours" in said
    assert "Tue 01 Dec 2026" in said
    assert "/console/board?day=2026-12-01" in said


def test_no_window_is_offered_to_work_longer_than_it():
    assert fitting_windows(240) == [(13, 17), (9, 18)]
    assert (9, 12) in fitting_windows(180)


def test_the_full_demo_has_distinct_names_fitting_windows_and_a_published_day(session):
    night = shanghai(MONDAY - dt.timedelta(days=3), 22)  # a Friday night
    summary = seed_demo_data(
        session, under_way_today=True, publish_first_day=True, now=night.astimezone(dt.UTC)
    )
    session.commit()
    names = list(session.scalars(select(Technician.name)))
    assert len(set(names)) == len(names) == 40
    for visit in session.scalars(select(Visit).where(Visit.window_start.is_not(None))):
        window = (visit.window_end - visit.window_start).total_seconds() / 60
        assert visit.duration_min <= window, visit.id
    assert summary.under_way.day == MONDAY
    assert summary.published_day == MONDAY + dt.timedelta(days=1)
    assert summary.published_visits > 40
    assert session.scalar(select(DispatchRun.status)) == RunStatus.PUBLISHED
    start = shanghai(summary.published_day, 0)
    planned = list(
        session.scalars(
            select(Visit).where(
                Visit.planned_start >= start, Visit.planned_start < start + dt.timedelta(days=1)
            )
        )
    )
    assert len(planned) == summary.published_visits
    assert schedule_checks.refusals(session, planned) == []
    assert f"{summary.published_visits} visits on Tue 01 Dec 2026" in summary.describe()


def test_a_restart_keeps_the_data_and_prints_the_accounts_again(app, session):
    runner = app.test_cli_runner()
    with app.app_context():  # as the `flask` command provides
        first = runner.invoke(
            args=["seed-demo", "--if-empty", "--no-today", "--start", "2026-11-30"]
        )
        again = runner.invoke(args=["seed-demo", "--if-empty", "--no-today"])
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert "Error" not in again.output
    assert "keeping it" in again.output
    assert f"{DISPATCHER[0]} / {DISPATCHER[1]}" in again.output
    assert f"{ADMIN[0]} / {ADMIN[1]}" in again.output
    assert session.scalar(select(func.count()).select_from(Customer)) == 1000


def test_the_day_under_way_is_planned_and_published_after_its_shifts_have_ended(
    session, monkeypatch
):
    # Seeded at 15:20 with that day as the first one, planned when the clock says 17:45: the
    # technicians still on site restart after their shifts' end, and the plan must go on.
    from app.services.dispatching import snapshot

    day = MONDAY + dt.timedelta(days=1)
    evening = shanghai(day, 17, 45).astimezone(dt.UTC)
    monkeypatch.setattr(snapshot, "utcnow", lambda: evening)
    summary = seed_demo_data(
        session,
        first_day=day,
        under_way_today=True,
        publish_first_day=True,
        now=shanghai(day, 15, 20).astimezone(dt.UTC),
    )
    session.commit()
    assert summary.under_way.day == summary.published_day == day
    assert summary.published_visits > 40
    assert session.scalar(select(DispatchRun.status)) == RunStatus.PUBLISHED
