"""An independent re-simulation of a field-service Plan, with its own travel rule.

Nothing here uses the planner's code: travel comes from :class:`GridProvider` (2 minutes per
km along the north and east axes, whole minutes), and every route is walked stop by stop:
shift, skills, windows, hard SLAs, locks, one lunch break wholly inside its window and inside one
gap between two activities (leaving a stop, driving, waiting — never during a visit), travel
time between consecutive places, working span, dependencies, each visit once. A visit in
progress (started before the technician's current time) is finished whatever the shift says: the
route may end after the shift when it goes straight home from it (lunch at most on the way), and
needs no lunch when that visit ends too late for one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from dispatch import Lock, Plan, Problem
from tests.dispatch.conftest import DEPOT

MIN_PER_KM = 2


def _km(point) -> tuple[float, float]:
    return ((point[0] - DEPOT[0]) * 111.0, (point[1] - DEPOT[1]) * 95.0)


def travel_min(a, b) -> int:
    """Minutes from point ``a`` to point ``b`` under the grid rule."""
    (ay, ax), (by, bx) = _km(a), _km(b)
    return round(MIN_PER_KM * (abs(ay - by) + abs(ax - bx)))


class GridProvider:
    """Travel matrix of the grid rule (distance = minutes / 2 km)."""

    def matrix(self, points):
        km = np.array([_km(p) for p in points], dtype=float).reshape(-1, 2)
        grid = np.abs(km[:, None, :] - km[None, :, :]).sum(axis=2)
        minutes = np.round(MIN_PER_KM * grid)
        return minutes * 1000.0 / MIN_PER_KM, minutes * 60.0


def _shift_of(tech, route):
    # the shift holding the route's start, else the next one (a visit in progress since before
    # it), else the day's last (one in progress since after it)
    day = sorted((s for s in tech.shifts if s.day == route.day), key=lambda s: s.start)
    return next((s for s in day if route.start <= s.end), day[-1])


def check_plan_independently(plan: Plan, problem: Problem) -> list[str]:
    """Every rule the plan breaks (empty: valid)."""
    errors: list[str] = []
    visits = {v.id: v for v in problem.visits}
    techs = {t.id: t for t in problem.technicians}
    where: dict[str, tuple[str, datetime]] = {}
    for route in plan.routes:
        tech = techs[route.technician_id]
        shift = _shift_of(tech, route)
        errors += _check_route(route, tech, shift, visits)
        for stop in route.stops:
            if stop.visit_id in where:
                errors.append(f"{stop.visit_id} planned twice")
            where[stop.visit_id] = (tech.id, stop.start)
    accounted = list(where) + [u.visit_id for u in plan.unassigned]
    if sorted(accounted) != sorted(visits):
        errors.append("visits not each planned once or unassigned")
    for visit in problem.visits:
        dep = visit.depends_on
        if dep is None or visit.id not in where or dep.visit_id not in visits:
            continue
        if dep.visit_id not in where:
            errors.append(f"{visit.id} planned without its predecessor {dep.visit_id}")
        elif (where[visit.id][1].date() - where[dep.visit_id][1].date()).days < dep.min_days_after:
            errors.append(f"{visit.id} too soon after {dep.visit_id}")
    return errors


def _check_route(route, tech, shift, visits) -> list[str]:
    errors = []
    who = f"{tech.id}/{route.day}"
    earliest = shift.start
    here = shift.start_location
    if tech.current is not None and tech.current.at.date() == shift.day:
        here = tech.current.location
    if route.start < earliest and not any(visits[s.visit_id].lock is Lock.IN_PROGRESS
                                          for s in route.stops):
        errors.append(f"{who} leaves before the shift starts")
    started = [s for s in route.stops if _in_progress(visits[s.visit_id], tech)]
    if route.end > shift.end and not _home_from_work_in_progress(route, shift, visits, started):
        errors.append(f"{who} returns after the shift ends")
    if shift.max_work_minutes is not None and route.end - route.start > timedelta(
            minutes=shift.max_work_minutes) and not started:
        errors.append(f"{who} works longer than allowed")
    brk = shift.break_
    if brk is not None and any(
            s.end > brk.latest_end - timedelta(minutes=brk.duration_min + 1) for s in started):
        brk = None  # the visit in progress left the lunch no room
    if brk is not None and route.stops:
        if route.break_start is None:
            errors.append(f"{who} has no lunch break")
            brk = None
        else:
            b0 = route.break_start
            if b0 < brk.earliest_start or b0 + timedelta(minutes=brk.duration_min) > brk.latest_end:
                errors.append(f"{who} lunch outside its window")
    free = route.start  # when the technician may leave the current place
    places = [(s, visits[s.visit_id]) for s in route.stops]
    break_used = False
    for k in range(len(places) + 1):
        if k < len(places):
            stop, visit = places[k]
            target, arrive_by = visit.location, stop.start
        else:
            stop, visit = None, None
            target, arrive_by = shift.home, route.end
        need = timedelta(minutes=travel_min(here, target))
        gap_end = arrive_by
        if brk is not None and not break_used and free <= route.break_start and (
                route.break_start + timedelta(minutes=brk.duration_min) <= gap_end):
            need += timedelta(minutes=brk.duration_min)
            break_used = True
        if gap_end - free < need:
            errors.append(f"{who}: not enough time to reach {visit.id if visit else 'home'}")
        if visit is not None:
            errors += _check_stop(stop, visit, tech, who)
            free = stop.end
            here = visit.location
    if brk is not None and route.stops and not break_used:
        errors.append(f"{who} lunch overlaps a visit")
    return errors


def _in_progress(visit, tech) -> bool:
    return (visit.lock is Lock.IN_PROGRESS and tech.current is not None
            and visit.locked_start < tech.current.at)


def _home_from_work_in_progress(route, shift, visits, started) -> bool:
    """The route ends after the shift only by going home from the visit in progress it ends with."""
    if not route.stops or route.stops[-1] not in started:
        return False
    last = route.stops[-1]
    lunch = shift.break_ is not None and route.break_start is not None and (
        route.break_start >= last.end)
    drive = travel_min(visits[last.visit_id].location, shift.home)
    return route.end - last.end <= timedelta(
        minutes=drive + (shift.break_.duration_min if lunch else 0))


def _check_stop(stop, visit, tech, who) -> list[str]:
    errors = []
    if not tech.has_skills(visit.required_skills) and not _in_progress(visit, tech):
        errors.append(f"{who} lacks skills for {visit.id}")
    if stop.end - stop.start != timedelta(minutes=visit.duration_min):
        errors.append(f"{visit.id} has the wrong duration")
    if visit.time_windows and not any(a <= stop.start <= b for a, b in visit.time_windows):
        errors.append(f"{visit.id} starts outside its windows")
    if visit.sla_hard and stop.start > visit.sla_due:
        errors.append(f"{visit.id} misses its hard SLA")
    keeps_tech = visit.lock in (Lock.TECHNICIAN, Lock.TECHNICIAN_TIME, Lock.IN_PROGRESS)
    if keeps_tech and tech.id != visit.locked_technician_id:
        errors.append(f"{visit.id} moved off its locked technician")
    # a plan in whole minutes may take a start in progress down to its minute
    if visit.lock is Lock.IN_PROGRESS and abs(stop.start - visit.locked_start) >= timedelta(
            minutes=1):
        errors.append(f"{visit.id} in progress but moved")
    return errors
