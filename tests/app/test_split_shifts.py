"""A technician's split day (several shift intervals) gives the planner one shift per interval."""

from __future__ import annotations

import datetime as dt

import pytest

from app.jobs.dispatching import run_dispatch
from app.models import DispatchRun, Visit
from app.services import schedule_checks
from app.services.dispatching.runs import RunRequest, create_run
from app.services.dispatching.snapshot import shifts_of
from tests.factories import SiteFactory, TechnicianFactory, VisitFactory, tomorrow_at


def test_every_interval_of_a_split_day_becomes_a_shift(session):
    tech = TechnicianFactory(shift_pattern={"mon": [["17:00", "21:00"], ["08:00", "12:00"]]})
    monday = dt.date(2026, 11, 23)
    shifts = shifts_of(tech, [monday])
    assert [(s.start.hour, s.end.hour) for s in shifts] == [(8, 12), (17, 21)]
    assert all(s.day == monday for s in shifts)


# --- a day of three shifts, end to end ------------------------------------------------------

THREE_SHIFTS = [["08:00", "11:00"], ["13:00", "16:00"], ["18:00", "21:00"]]
# One visit inside each shift only: its window opens with the shift and closes before its end.
WINDOWS = [(8, 9), (13, 14), (18, 19)]


@pytest.fixture
def three_shift_day(session):
    """A measurer working three shifts every day and one visit for each shift tomorrow."""
    week = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    tech = TechnicianFactory(
        skills={"measure": 2}, shift_pattern=dict.fromkeys(week, THREE_SHIFTS)
    )
    visits = [
        VisitFactory(
            site=SiteFactory(lat=31.23 + i * 0.005, lon=121.47),
            required_skills={"measure": 1},
            window_start=tomorrow_at(start),
            window_end=tomorrow_at(end),
            sla_due=None,
        )
        for i, (start, end) in enumerate(WINDOWS)
    ]
    return tech, visits


def test_the_planner_uses_every_one_of_three_shifts_in_a_day(
    client, session, as_dispatcher, three_shift_day
):
    _, visits = three_shift_day
    run = create_run(
        session, RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=1), user_id=None
    )
    session.commit()
    run_dispatch(run.id, "Asia/Shanghai")
    session.expire_all()
    proposal = session.get(DispatchRun, run.id).proposal
    assert proposal["unassigned"] == []
    starts = {
        a["visit_id"]: dt.datetime.fromisoformat(a["planned_start"])
        for a in proposal["assignments"]
    }
    for visit, (start, end) in zip(visits, WINDOWS, strict=True):
        assert tomorrow_at(start) <= starts[visit.id] <= tomorrow_at(end)
    # the checks accept every shift of the day too: publishing re-checks each placement
    published = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert published.status_code == 200, published.json
    assert sorted(published.json["updated_visit_ids"]) == sorted(v.id for v in visits)


@pytest.mark.parametrize(
    ("hour", "fits"), [(8, True), (13, True), (19, True), (11, False), (17, False), (21, False)]
)
def test_the_checks_accept_a_visit_in_any_of_three_shifts_and_none_between(
    session, three_shift_day, hour, fits
):
    tech, (visit, *_) = three_shift_day
    visit = session.get(Visit, visit.id)
    visit.window_start, visit.window_end = None, None
    visit.technician_id, visit.planned_start = tech.id, tomorrow_at(hour)
    session.flush()
    codes = [r.code for r in schedule_checks.refusals(session, [visit])]
    assert codes == ([] if fits else ["outside_shift"])
