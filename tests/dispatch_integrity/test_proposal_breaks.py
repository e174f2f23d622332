"""A proposal that keeps published work in its slot still leaves each technician the lunch
break publishing asks for.

With "keep published work", a published visit the planner does not place again stays where
it is. The planner took its break around its own visits only; the kept visit may sit exactly
where that break was. The proposal then takes out what crowds the break, by the same rule
publishing checks (`schedule_checks.lunch_fits`), instead of proposing a day publishing refuses.
"""

from __future__ import annotations

import datetime as dt

import dispatch
from app.services import schedule_checks
from app.services.dispatching.snapshot import Snapshot
from app.services.dispatching.solving import build_proposal

CST = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 12, 2)
HOME = (31.23, 121.47)
LUNCH = dispatch.Break(
    dt.datetime(2026, 12, 2, 11, 30, tzinfo=CST), dt.datetime(2026, 12, 2, 13, 30, tzinfo=CST), 45
)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, 2, hour, minute, tzinfo=CST)


def visit(vid: str, minutes: int) -> dispatch.Visit:
    return dispatch.Visit(
        id=vid,
        kind="install",
        location=HOME,
        duration_min=minutes,
        lock=dispatch.Lock.TECHNICIAN,
        locked_technician_id="1",
    )


def stop(vid: str, start: dt.datetime, minutes: int) -> dispatch.Stop:
    end = start + dt.timedelta(minutes=minutes)
    return dispatch.Stop(vid, start, 0, start, end, 0)


def a_rerun_keeping_a_visit_where_the_planner_took_its_break() -> tuple[Snapshot, dispatch.Plan]:
    """Visits 1 (09:30-11:30) and new visit 2 (12:30-14:30) planned with the break at 11:35;
    visit 3, published 11:30-12:30, left out by the planner and so kept in its slot."""
    technician = dispatch.Technician(
        "1",
        {"install_cabinet": 2},
        [dispatch.Shift(DAY, at(8), at(17), HOME, break_=LUNCH)],
    )
    problem = dispatch.Problem(
        technicians=[technician],
        visits=[visit("1", 120), visit("2", 120), visit("3", 60)],
        horizon_start=DAY,
    )
    route = dispatch.Route(
        "1",
        DAY,
        at(9, 30),
        at(14, 30),
        [stop("1", at(9, 30), 120), stop("2", at(12, 30), 120)],
        break_start=at(11, 35),
    )
    kpis = dispatch.Kpis(0.0, 0, 0.5, 1.0, 0, 2, 1)
    left_out = dispatch.Unassigned("3", [dispatch.Reason("no_feasible_slot", "No room.")])
    plan = dispatch.Plan(routes=[route], unassigned=[left_out], kpis=kpis)
    snapshot = Snapshot(
        problem=problem,
        visit_versions={"1": 1, "2": 1, "3": 1},
        published={"1": ("1", at(9, 30)), "3": ("1", at(11, 30))},
        held_back=(),
        durations={"1": 120, "2": 120, "3": 60},
        keep_published=True,
        technician_names={"1": "Technician 0"},
    )
    return snapshot, plan


def test_a_kept_visit_never_takes_the_lunch_break_the_proposal_counted_on() -> None:
    snapshot, plan = a_rerun_keeping_a_visit_where_the_planner_took_its_break()

    proposal = build_proposal(snapshot, plan, plan)

    assert [k.visit_id for k in proposal.kept] == [3]
    busy = [(a.planned_start, a.end) for a in proposal.assignments]
    busy += [(k.planned_start, k.planned_start + dt.timedelta(minutes=60)) for k in proposal.kept]
    lunch = schedule_checks.LunchBreak(LUNCH.earliest_start, LUNCH.latest_end, 45)
    assert schedule_checks.lunch_fits(lunch, busy)
    assert [a.visit_id for a in proposal.assignments] == [1]
    why = {u.visit_id: u.reasons[0].code for u in proposal.unassigned}
    assert why[2] == "no_room_for_break"
