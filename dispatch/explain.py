"""Why a visit is unassigned: pre-solve checks and a post-solve insertion audit.

Reason codes are stable (the app may translate them):
``missing_location``, ``no_skilled_technician``, ``no_shift_in_horizon``,
``window_outside_shifts``, ``locked_technician_unavailable``, ``dependency_unsatisfiable``,
``location_unreachable``, ``window_conflict``, ``sla_unreachable``, ``shift_too_short``,
``break_conflict``, ``displaced_by_higher_priority``, ``no_capacity``, ``search_time_limit``,
``in_progress_conflict`` (a visit in progress its technician's day as given cannot hold: they
are elsewhere now, or another visit in progress overlaps it).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from dispatch.core import earliest_in_windows, schedule
from dispatch.model import Lock, Problem, Reason, Technician, Unassigned, Visit
from dispatch.translate import UNREACHABLE_MIN, Translation, is_started

# how close each failure is to being feasible; the closest are reported first
_RANK = {
    "in_progress_conflict": -1,
    "search_time_limit": 0,
    "displaced_by_higher_priority": 1,
    "no_capacity": 2,
    "break_conflict": 3,
    "shift_too_short": 4,
    "sla_unreachable": 5,
    "window_conflict": 6,
    "location_unreachable": 7,
}
MAX_CANDIDATES = 20


def _fmt(dt: datetime) -> str:
    return dt.strftime("%a %d %b %H:%M")


def _skill_text(skills: dict[str, int]) -> str:
    return ", ".join(f"{s} (level {lvl})" for s, lvl in sorted(skills.items())) or "no skill"


def precheck(problem: Problem) -> dict[str, list[Reason]]:
    """Reasons that make a visit impossible before any routing, keyed by visit id."""
    days = set(problem.days)
    found: dict[str, list[Reason]] = {}
    skilled_by: dict[tuple, list[Technician]] = {}
    for visit in problem.visits:
        key = tuple(sorted(visit.required_skills.items()))
        if key not in skilled_by:
            skilled_by[key] = [t for t in problem.technicians
                               if t.has_skills(visit.required_skills)]
        reasons = _visit_checks(problem, visit, days, skilled_by[key])
        if reasons:
            found[visit.id] = reasons
    # a visit whose predecessor cannot happen cannot happen either
    changed = True
    while changed:
        changed = False
        for visit in problem.visits:
            dep = visit.depends_on
            if visit.id in found or dep is None or dep.visit_id not in found:
                continue
            found[visit.id] = [Reason(
                "dependency_unsatisfiable",
                f"Visit {visit.id} must follow visit {dep.visit_id}, which cannot be planned.",
                {"depends_on": dep.visit_id},
            )]
            changed = True
    return found


def _visit_checks(problem: Problem, visit: Visit, days, skilled: list[Technician]
                  ) -> list[Reason]:
    if visit.location is None:
        return [Reason("missing_location", f"Visit {visit.id} has no geocoded address.", {})]
    doing = [t for t in problem.technicians if is_started(visit, t)]
    if doing:
        # in progress: its technician is on it, whatever their skills or its windows say now
        skilled = doing
    if not skilled:
        return [_no_skill(problem.technicians, visit)]
    locked = visit.locked_technician_id
    if locked and visit.lock is not Lock.TIME and visit.lock is not Lock.NONE:
        if not any(t.id == locked for t in skilled):
            return [Reason(
                "locked_technician_unavailable",
                f"Visit {visit.id} is locked to technician {locked}, who is unknown or lacks "
                f"{_skill_text(visit.required_skills)}.",
                {"technician_id": locked},
            )]
        skilled = [t for t in skilled if t.id == locked]
    shifts = [(t, s) for t in skilled for s in t.shifts if s.day in days]
    if not shifts:
        return [Reason(
            "no_shift_in_horizon",
            f"No technician with {_skill_text(visit.required_skills)} works in the horizon.",
            {},
        )]
    if visit.time_windows and not doing and not any(_window_fits(visit, s) for _, s in shifts):
        windows = "; ".join(f"{_fmt(a)}-{b:%H:%M}" for a, b in visit.time_windows)
        return [Reason(
            "window_outside_shifts",
            f"Visit {visit.id}'s time windows ({windows}) fall outside every shift of the "
            f"{len({t.id for t, _ in shifts})} technician(s) with the required skills.",
            {"windows": [(a.isoformat(), b.isoformat()) for a, b in visit.time_windows]},
        )]
    return _dependency_check(problem, visit, days)


def _no_skill(technicians: list[Technician], visit: Visit) -> Reason:
    missing = {}
    for skill, level in visit.required_skills.items():
        best = max((t.skills.get(skill, -1) for t in technicians), default=-1)
        if best < level:
            missing[skill] = {"required": level, "best_available": max(best, 0)}
    text = ", ".join(
        f"skill '{s}' at level {m['required']} (best available {m['best_available']})"
        for s, m in missing.items()
    ) or _skill_text(visit.required_skills) + " in one person"
    return Reason(
        "no_skilled_technician",
        f"No technician holds {text} needed for visit {visit.id}.",
        {"missing": missing},
    )


def _window_fits(visit: Visit, shift) -> bool:
    last_start = shift.end - timedelta(minutes=visit.duration_min)
    return any(a <= last_start and b >= shift.start for a, b in visit.time_windows)


def _dependency_check(problem: Problem, visit: Visit, days) -> list[Reason]:
    dep = visit.depends_on
    if dep is None:
        return []
    ids = {v.id for v in problem.visits}
    if dep.visit_id not in ids:
        return []  # the predecessor is already done; the app expresses it as a window
    last_day = max(days)
    first_possible = problem.horizon_start + timedelta(days=dep.min_days_after)
    if first_possible > last_day:
        return [Reason(
            "dependency_unsatisfiable",
            f"Visit {visit.id} must be at least {dep.min_days_after} day(s) after visit "
            f"{dep.visit_id}, which does not fit in the {problem.horizon_days}-day horizon.",
            {"depends_on": dep.visit_id, "min_days_after": dep.min_days_after},
        )]
    return []


def audit(tr: Translation, routes: list[list[int]], dropped: list[int],
          deadline: float | None = None) -> list[Unassigned]:
    """Name the binding constraint for each dropped node against its best candidate routes.

    Every check times routes with :func:`dispatch.core.schedule` on ``tr.core``, the day the
    search planned. Past ``deadline`` (a ``time.perf_counter()`` value) the remaining nodes are
    checked against their nearest technician-day only.
    """
    result = []
    for node in dropped:
        visit = tr.node_visit[node]
        late = deadline is not None and time.perf_counter() > deadline
        reasons = _node_reasons(tr, routes, node, dropped, 1 if late else MAX_CANDIDATES)
        result.append(Unassigned(visit.id, reasons))
    return result


def _node_reasons(tr: Translation, routes, node: int, dropped: list[int],
                  count: int = MAX_CANDIDATES) -> list[Reason]:
    visit = tr.node_visit[node]
    dep = visit.depends_on
    if dep is not None and tr.visit_node.get(dep.visit_id) in dropped:
        return [Reason(
            "dependency_unsatisfiable",
            f"Visit {visit.id} must follow visit {dep.visit_id}, which is not planned.",
            {"depends_on": dep.visit_id},
        )]
    candidates = tr.core.nodes[node].allowed_vehicles
    if not candidates:
        return [_no_vehicle_reason(tr, visit)]
    # nearest technician-days first: they are the ones a dispatcher would try
    candidates = sorted(candidates, key=lambda v: tr.core.time[tr.core.vehicles[v].start, node])
    found: dict[str, Reason] = {}
    for v in candidates[:count]:
        code, message, details = _classify(tr, routes[v], v, node)
        found.setdefault(code, Reason(code, message, details))
    ordered = sorted(found.values(), key=lambda r: _RANK[r.code])
    return ordered[:2]


def _no_vehicle_reason(tr: Translation, visit: Visit) -> Reason:
    if visit.depends_on is not None:
        return Reason(
            "dependency_unsatisfiable",
            f"No working day for visit {visit.id} is {visit.depends_on.min_days_after} day(s) "
            f"after a possible day for visit {visit.depends_on.visit_id}.",
            {"depends_on": visit.depends_on.visit_id},
        )
    return Reason(
        "window_outside_shifts",
        f"No skilled technician's shift overlaps the windows of visit {visit.id}.",
        {},
    )


def _classify(tr: Translation, route: list[int], v: int, node: int):
    core = tr.core
    tech, shift = tr.vehicles[v]
    visit = tr.node_visit[node]
    veh = core.vehicles[v]
    who = {"technician_id": tech.id, "day": shift.day.isoformat()}
    if is_started(visit, tech):
        # never for want of room (its day runs over for it): the problem contradicts itself
        return ("in_progress_conflict",
                f"Visit {visit.id} is in progress with {tech.id} since "
                f"{visit.locked_start:%H:%M}, but their day as given cannot hold it: they are "
                "elsewhere now, or another visit in progress overlaps it.",
                {**who, "since": visit.locked_start.isoformat()})
    travel = int(core.time[veh.start, node])
    if travel >= UNREACHABLE_MIN:
        return ("location_unreachable",
                f"Visit {visit.id} cannot be reached from {tech.id}'s start point.", who)
    alone = schedule(core, v, [node], ignore_capacity=True)
    if alone is None:
        return _standalone_failure(tr, v, node, travel, who)
    if _insertable(core, v, route, node):
        return ("search_time_limit",
                f"Visit {visit.id} fits into {tech.id}'s route on {shift.day}; the search stopped "
                "before placing it (raise the time limit).", who)
    priorities = [tr.node_visit[n].priority for n in route]
    if priorities and min(priorities) >= visit.priority:
        return ("displaced_by_higher_priority",
                f"{tech.id}'s day {shift.day} is full with {len(route)} visit(s) of priority "
                f"{min(priorities)} or higher; visit {visit.id} has priority {visit.priority}.",
                {**who, "route_visits": len(route), "min_route_priority": min(priorities)})
    return ("no_capacity",
            f"{tech.id}'s day {shift.day} has no room for visit {visit.id} between its "
            f"{len(route)} planned visit(s) (locked or better-placed work).",
            {**who, "route_visits": len(route)})


def _standalone_failure(tr: Translation, v: int, node: int, travel: int, who):
    core = tr.core
    tech, shift = tr.vehicles[v]
    visit = tr.node_visit[node]
    veh = core.vehicles[v]
    if veh.break_ is not None and schedule(core, v, [node], True, True) is not None:
        return ("break_conflict",
                f"Visit {visit.id} with {tech.id} on {shift.day} would leave no room for the "
                "break.", who)
    arrive = veh.earliest + travel
    start = earliest_in_windows(arrive, core.nodes[node].windows)
    reach = tr.at(arrive)
    if visit.sla_hard and visit.sla_due is not None and arrive > tr.ticks(visit.sla_due):
        return ("sla_unreachable",
                f"{tech.id} can reach visit {visit.id} at {_fmt(reach)} at the earliest, after "
                f"its hard SLA {_fmt(visit.sla_due)}.",
                {**who, "earliest_arrival": reach.isoformat()})
    if start is None:
        return ("window_conflict",
                f"{tech.id} can reach visit {visit.id} at {_fmt(reach)} at the earliest, after "
                "its last time window closes.", {**who, "earliest_arrival": reach.isoformat()})
    return ("shift_too_short",
            f"{tech.id}'s shift on {shift.day} ({shift.start:%H:%M}-{shift.end:%H:%M}) is too "
            f"short for visit {visit.id} ({visit.duration_min} min) plus travel there and back.",
            {**who, "duration_min": visit.duration_min})


def _insertable(core, v: int, route: list[int], node: int) -> bool:
    return any(
        schedule(core, v, [*route[:k], node, *route[k:]]) is not None
        for k in range(len(route) + 1)
    )
