"""An independent re-simulation of planned routes: windows, shifts, breaks, skills, travel.

It reads only the problem, the travel provider and the order of each route; it shares no code
with the solver (no translation to minutes, no core schedule), works in seconds on the provider's
matrix, and applies the lunch rule a technician lives by: the break may start anywhere between
leaving one stop and starting the next (part-way through a drive, or while waiting at the
customer), inside its window. The route is re-timed with every visit as early as possible. A day
under way restarts where the technician is, at "now", or at the start of the visit in progress
(``Lock.IN_PROGRESS`` started before now), which keeps its start; time locks keep their tolerance.
A visit in progress stays in the plan with its technician: a plan that drops it or gives it to
another technician is rejected, naming the visit and its technician. It is finished whatever the
shift says: the day may end as late as finishing it, the lunch if still required and the drive
home need, and a lunch it leaves no room for in its window is not required; nothing else may run
over the shift.
:func:`verify_plan` also checks the times a Plan reports (no overlap, travel long enough, the
break inside its gap and its window). Used on every plan of the benchmarks, whatever the solver.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from dispatch.model import LatLon, Lock, Plan, Problem, Route, Shift, Stop, Technician, Visit
from dispatch.travel import MatrixProvider

BREAK = "<break>"  # the lunch's place in a route sequence
_TIME_LOCKS = (Lock.TIME, Lock.TECHNICIAN_TIME)
PRIORITY_WEIGHT = {1: 1, 2: 3, 3: 8, 4: 50, 5: 100}
MUST_DO_PRIORITY = 4


@dataclass(frozen=True)
class RouteSequence:
    """The order of one technician-day: visit ids and at most one :data:`BREAK`."""

    technician_id: str
    day: date
    items: list[str]


@dataclass
class Verdict:
    """Validity with every error found, and the plan's figures."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # reported times that are odd, not wrong
    visits: int = 0
    assigned: int = 0
    weight_served: int = 0
    weight_total: int = 0
    must_do_served: int = 0
    must_do_total: int = 0
    travel_s: float = 0.0
    routes: int = 0

    @property
    def valid(self) -> bool:
        """True when no error was found."""
        return not self.errors

    @property
    def placed_pct(self) -> float:
        """Share of visits served, in percent."""
        return 100.0 * self.assigned / self.visits if self.visits else 100.0

    @property
    def weighted_pct(self) -> float:
        """Share of the priority weight (1/3/8/50/100) served, in percent."""
        return 100.0 * self.weight_served / self.weight_total if self.weight_total else 100.0


def is_must_do(visit: Visit) -> bool:
    """A visit the day must serve (priority 4 or 5, as in the city-day files)."""
    return visit.priority >= MUST_DO_PRIORITY


def _seconds(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


class _Day:
    """Per-problem lookups and the travel matrix over every place of the problem."""

    def __init__(self, problem: Problem, provider: MatrixProvider) -> None:
        self.problem = problem
        self.visits = {v.id: v for v in problem.visits}
        self.techs = {t.id: t for t in problem.technicians}
        places: list[LatLon] = []
        for t in problem.technicians:
            for s in t.shifts:
                places += [s.start_location, s.home]
            if t.current is not None:
                places.append(t.current.location)
        places += [v.location for v in problem.visits if v.location is not None]
        self.index: dict[LatLon, int] = {}
        for p in places:
            self.index.setdefault(p, len(self.index))
        _, self.duration = provider.matrix(list(self.index)) if self.index else (None, None)

    def travel(self, a: LatLon, b: LatLon) -> float:
        return float(self.duration[self.index[a], self.index[b]])


def verify_sequences(problem: Problem, provider: MatrixProvider,
                     routes: Iterable[RouteSequence], unassigned: Iterable[str]) -> Verdict:
    """Re-simulate ``routes``; every visit must be in exactly one route or in ``unassigned``."""
    day = _Day(problem, provider)
    verdict = Verdict(visits=len(problem.visits))
    seen: dict[str, str] = {}
    used: set[tuple[str, date]] = set()
    for seq in routes:
        visit_ids = [i for i in seq.items if i != BREAK]
        if not visit_ids:
            continue
        if (seq.technician_id, seq.day) in used:
            verdict.errors.append(f"{seq.technician_id} has two routes on {seq.day}")
        used.add((seq.technician_id, seq.day))
        for vid in visit_ids:
            if vid in seen:
                verdict.errors.append(
                    f"visit {vid} served twice ({seen[vid]}, {seq.technician_id})")
            seen[vid] = seq.technician_id
        verdict.routes += 1
        verdict.errors += _route_errors(day, seq, verdict)
    verdict.errors += _in_progress_errors(problem, day, seen)
    _count(problem, day, set(seen), set(unassigned), verdict)
    return verdict


def _in_progress_errors(problem: Problem, day: _Day, served_by: dict[str, str]) -> list[str]:
    """Every visit in progress (started before its technician's "now") is served by that
    technician: the work is happening, a plan cannot drop it nor hand it to someone else."""
    errors = []
    for tech in problem.technicians:
        for v in _in_progress(day, tech):
            doing = f"visit {v.id} is in progress with {tech.id} since {v.locked_start:%H:%M}"
            who = served_by.get(v.id)
            if who is None:
                errors.append(f"{doing}; the plan drops it")
            elif who != tech.id:
                errors.append(f"{doing}; the plan gives it to {who}")
    return errors


def _count(problem: Problem, day: _Day, served: set[str], unassigned: set[str],
           verdict: Verdict) -> None:
    unknown = served - set(day.visits)
    if unknown:
        verdict.errors.append(f"unknown visits in routes: {sorted(unknown)[:5]}")
    both = served & unassigned
    if both:
        verdict.errors.append(f"visits both routed and unassigned: {sorted(both)[:5]}")
    missing = set(day.visits) - served - unassigned
    if missing:
        verdict.errors.append(f"{len(missing)} visits neither routed nor unassigned")
    for v in problem.visits:
        weight = PRIORITY_WEIGHT[v.priority]
        verdict.weight_total += weight
        verdict.must_do_total += is_must_do(v)
        if v.id in served:
            verdict.assigned += 1
            verdict.weight_served += weight
            verdict.must_do_served += is_must_do(v)


def _shift(tech: Technician, on: date) -> Shift | None:
    return next((s for s in tech.shifts if s.day == on), None)


def _route_errors(day: _Day, seq: RouteSequence, verdict: Verdict) -> list[str]:
    tech = day.techs.get(seq.technician_id)
    if tech is None:
        return [f"unknown technician {seq.technician_id}"]
    shift = _shift(tech, seq.day)
    if shift is None:
        return [f"{tech.id} has no shift on {seq.day}"]
    errors: list[str] = []
    who = f"{tech.id} {seq.day}"
    breaks = seq.items.count(BREAK)
    lunch_due, _, _ = _going_on(day, tech, shift, seq.items)
    if (lunch_due and breaks != 1) or (shift.break_ is not None and breaks > 1):
        errors.append(f"{who}: {breaks} breaks, the shift needs exactly one")
    if shift.break_ is None and breaks:
        errors.append(f"{who}: a break the shift does not have")
    doing = {v.id for v in _in_progress(day, tech)}
    for vid in seq.items:
        v = day.visits.get(vid)
        if v is None or vid == BREAK:
            continue
        if v.location is None:
            errors.append(f"{who}: visit {vid} has no location")
        if vid not in doing and not all(
                tech.skills.get(s, -1) >= lvl for s, lvl in v.required_skills.items()):
            errors.append(f"{who}: lacks skills {v.required_skills} for {vid}")
        if v.locked_technician_id is not None and v.locked_technician_id != tech.id:
            errors.append(f"{who}: visit {vid} is locked to {v.locked_technician_id}")
    if errors:
        return errors
    return _timeline_errors(day, tech, shift, seq, who, verdict)


def _timeline_errors(day: _Day, tech: Technician, shift: Shift, seq: RouteSequence, who: str,
                     verdict: Verdict) -> list[str]:
    errors: list[str] = []
    origin = shift.start
    t, here = 0.0, shift.start_location
    if tech.current is not None and tech.current.at.date() == shift.day:
        t, here = max(0.0, _seconds(origin, tech.current.at)), tech.current.location
        started = [_seconds(origin, v.locked_start) for v in _in_progress(day, tech)]
        t = min([t, *started])
    tolerance = day.problem.settings.time_lock_tolerance_min
    brk = shift.break_
    pending = False
    first_leave = None
    demand = 0
    for item in [*seq.items, None]:
        if item == BREAK:
            pending = True
            continue
        there = shift.home if item is None else day.visits[item].location
        leg = day.travel(here, there)
        verdict.travel_s += leg
        if first_leave is None:
            first_leave = t
        arrive = t + leg
        if pending:
            lo, hi = _seconds(origin, brk.earliest_start), _seconds(origin, brk.latest_end)
            dur = 60 * brk.duration_min
            b = max(t, lo)
            if b + dur > hi:
                errors.append(f"{who}: break cannot end by its window's end (starts {b:.0f} s)")
            arrive = max(b + dur, arrive + dur)
            pending = False
        if item is None:
            t = arrive
            break
        v = day.visits[item]
        start = _earliest_start(origin, v, arrive, tolerance)
        if start is None and v.lock is Lock.IN_PROGRESS:
            errors.append(f"{who}: visit {item} must start at {v.locked_start:%H:%M} (under way "
                          f"or promised); the route reaches it "
                          f"{arrive - _seconds(origin, v.locked_start):.0f} s later")
            return errors
        if start is None:
            errors.append(f"{who}: visit {item} arrives after its window closes")
            return errors
        t = start + 60 * v.duration_min
        demand += v.demand
        here = there
    _, back_by, finishing = _going_on(day, tech, shift, seq.items)
    if t > back_by:
        errors.append(f"{who}: back {t:.0f} s after shift start, shift ends at "
                      f"{_seconds(origin, shift.end):.0f} s")
    work_s = None if shift.max_work_minutes is None else 60 * shift.max_work_minutes
    if work_s is not None and finishing is not None:
        work_s = max(work_s, finishing - _restart(day, tech, shift))
    if work_s is not None and t - (first_leave or 0) > work_s:
        # leaving later only shortens the day when the first stop waits; checked conservatively
        errors.append(f"{who}: on duty longer than {shift.max_work_minutes} min")
    if tech.van_capacity is not None and demand > tech.van_capacity:
        errors.append(f"{who}: load {demand} over capacity {tech.van_capacity}")
    return errors


def _restart(day: _Day, tech: Technician, shift: Shift) -> float:
    """When the day (re)starts, in seconds from the shift's start: "now" on a day under way,
    or the start of a visit in progress before it."""
    if tech.current is None or tech.current.at.date() != shift.day:
        return 0.0
    started = [_seconds(shift.start, v.locked_start) for v in _in_progress(day, tech)]
    return min([max(0.0, _seconds(shift.start, tech.current.at)), *started])


def _going_on(day: _Day, tech: Technician, shift: Shift, items: list[str]
              ) -> tuple[bool, float, float | None]:
    """Whether the day needs its lunch, when it must be back, and when it would be back from
    the visits in progress alone (None: none), in seconds from the shift's start. The visits in
    progress on the route are finished whatever the shift says: a lunch that cannot start in
    its window once they are done (to the minute: the solver's clock may count whole minutes)
    is not required, and the day may end (and last) as late as finishing them, the lunch if
    still required, and the drive home from the last of them need."""
    brk, end = shift.break_, _seconds(shift.start, shift.end)
    doing = [v for v in _in_progress(day, tech) if v.id in items and v.location is not None]
    if not doing:
        return brk is not None, end, None
    ends = [(_seconds(shift.start, v.locked_start) + 60 * v.duration_min, v) for v in doing]
    done, last = max(ends, key=lambda e: e[0])
    free = max(_restart(day, tech, shift), done)
    lunch_due = brk is not None and free <= _seconds(
        shift.start, brk.latest_end) - 60 * brk.duration_min - 60
    back = free + day.travel(last.location, shift.home)
    if lunch_due:
        back = max(_seconds(shift.start, brk.earliest_start), back) + 60 * brk.duration_min
    return lunch_due, max(end, back), back


def _in_progress(day: _Day, tech: Technician) -> list[Visit]:
    """The technician's visits in progress that started before their current position's time."""
    now = tech.current.at if tech.current is not None else None
    return [v for v in day.visits.values()
            if v.lock is Lock.IN_PROGRESS and v.locked_technician_id == tech.id
            and v.locked_start is not None and now is not None and v.locked_start < now]


def _start_windows(origin: datetime, v: Visit, tolerance_min: int
                   ) -> list[tuple[float, float]] | None:
    """When ``v`` may start, in seconds from ``origin`` (None: any time), as the problem states
    it: its windows, a hard SLA, a time lock's tolerance (the lock wins over windows it misses),
    and a visit in progress at its start alone."""
    if v.lock is Lock.IN_PROGRESS and v.locked_start is not None:
        t = _seconds(origin, v.locked_start)
        return [(t, t)]
    windows = sorted((_seconds(origin, a), _seconds(origin, b)) for a, b in v.time_windows) or None
    if v.sla_hard and v.sla_due is not None:
        windows = _clip(windows, float("-inf"), _seconds(origin, v.sla_due))
    if v.lock in _TIME_LOCKS and v.locked_start is not None:
        t, tol = _seconds(origin, v.locked_start), 60.0 * tolerance_min
        windows = _clip(windows, t - tol, t + tol) or [(t - tol, t + tol)]
    return windows


def _clip(windows: list[tuple[float, float]] | None, lo: float, hi: float
          ) -> list[tuple[float, float]]:
    whole = windows if windows is not None else [(float("-inf"), float("inf"))]
    return [(max(a, lo), min(b, hi)) for a, b in whole if max(a, lo) <= min(b, hi)]


def _earliest_start(origin: datetime, v: Visit, arrive: float, tolerance_min: int
                    ) -> float | None:
    windows = _start_windows(origin, v, tolerance_min)
    if windows is None:
        return arrive
    for lo, hi in windows:
        if arrive <= hi:
            return max(arrive, lo)
    return None


def sequences_of(plan: Plan) -> list[RouteSequence]:
    """The order of each route of a Plan, the break before the first stop ending after it starts."""
    out = []
    for r in plan.routes:
        items = [s.visit_id for s in r.stops]
        if r.break_start is not None:
            k = sum(1 for s in r.stops if s.end <= r.break_start)
            items.insert(k, BREAK)
        out.append(RouteSequence(r.technician_id, r.day, items))
    return out


def verify_plan(problem: Problem, plan: Plan, provider: MatrixProvider) -> Verdict:
    """Re-simulate a Plan's routes and check the times it reports."""
    verdict = verify_sequences(problem, provider, sequences_of(plan),
                               [u.visit_id for u in plan.unassigned])
    day = _Day(problem, provider)
    for r in plan.routes:
        tech = day.techs.get(r.technician_id)
        shift = _shift(tech, r.day) if tech is not None else None
        if shift is not None:
            _, back_by, _ = _going_on(day, tech, shift, [s.visit_id for s in r.stops])
            verdict.errors += _reported_errors(day, shift, _start_location(tech, shift),
                                               _earliest_leave(day, tech, shift), r,
                                               verdict.warnings, back_by)
    return verdict


def _start_location(tech: Technician, shift: Shift) -> LatLon:
    """Where the technician's day (re)starts: the current position on a day under way."""
    if tech.current is not None and tech.current.at.date() == shift.day:
        return tech.current.location
    return shift.start_location


def _earliest_leave(day: _Day, tech: Technician, shift: Shift) -> datetime:
    """The shift's start, or the start of a visit in progress that began before it (taken down
    to its minute, as the solver's clock may take it)."""
    if tech.current is None or tech.current.at.date() != shift.day:
        return shift.start
    return min([shift.start, *(v.locked_start.replace(second=0, microsecond=0)
                               for v in _in_progress(day, tech))])


def _reported_errors(day: _Day, shift: Shift, start: LatLon, earliest: datetime, route: Route,
                     warnings: list[str], back_by: float) -> list[str]:
    who = f"{route.technician_id} {route.day}"
    errors: list[str] = []
    if route.start < earliest:
        errors.append(f"{who}: leaves before the shift starts")
    if route.end > shift.start + timedelta(seconds=back_by):
        errors.append(f"{who}: back after the shift ends")
    brk = shift.break_
    gaps = []  # (leave, reach, travel) of each leg
    leave, here = route.start, start
    for stop in route.stops:
        v = day.visits.get(stop.visit_id)
        if v is None or v.location is None:
            continue
        if stop.start < leave:
            errors.append(f"{who}: {stop.visit_id} starts before the previous stop ends")
        if stop.start < stop.arrival:
            errors.append(f"{who}: {stop.visit_id} starts before arriving")
        if _seconds(stop.start, stop.end) != 60 * v.duration_min:
            errors.append(f"{who}: {stop.visit_id} lasts {stop.end - stop.start}, "
                          f"not {v.duration_min} min")
        errors += _start_errors(who, shift, stop, v, day.problem.settings.time_lock_tolerance_min)
        # the physical condition: the service start leaves time for the leg (and the break);
        # reported arrivals are checked against it separately, as warnings
        gaps.append((leave, stop.start, day.travel(here, v.location), stop.visit_id))
        if _seconds(leave, stop.arrival) < day.travel(here, v.location) and stop is route.stops[0]:
            warnings.append(f"{who}: reported arrival at {stop.visit_id} {stop.arrival:%H:%M} "
                            f"is earlier than leaving at {leave:%H:%M} allows")
        leave, here = stop.end, v.location
    gaps.append((leave, route.end, day.travel(here, shift.home), "return"))
    for a, b, travel, what in gaps:
        inside = brk is not None and route.break_start is not None and (
            a <= route.break_start and route.break_start < b)
        need = travel + (60 * brk.duration_min if inside else 0)
        if _seconds(a, b) < need:
            errors.append(f"{who}: leg to {what} too short ({_seconds(a, b):.0f} s < {need:.0f} s)")
    if brk is not None and route.break_start is not None:
        b0 = route.break_start
        if not (brk.earliest_start <= b0 and _seconds(b0, brk.latest_end) >= 60 * brk.duration_min):
            errors.append(f"{who}: break at {b0:%H:%M} outside its window")
        for stop in route.stops:
            if stop.start < b0 + timedelta(minutes=brk.duration_min) and b0 < stop.end:
                errors.append(f"{who}: break overlaps visit {stop.visit_id}")
    return errors


def _start_errors(who: str, shift: Shift, stop: Stop, v: Visit, tolerance_min: int) -> list[str]:
    """A reported start outside the visit's windows, its lock's tolerance or its start in progress.

    The solver's clock counts whole minutes: a start in progress taken down to its minute is kept.
    """
    if v.lock is Lock.IN_PROGRESS and v.locked_start is not None:
        if abs(_seconds(v.locked_start, stop.start)) >= 60:
            return [f"{who}: {stop.visit_id} must start at {v.locked_start:%H:%M} (under way or "
                    f"promised), reported at {stop.start:%H:%M}"]
        return []
    windows = _start_windows(shift.start, v, tolerance_min)
    at = _seconds(shift.start, stop.start)
    if windows is not None and not any(lo <= at <= hi for lo, hi in windows):
        return [f"{who}: {stop.visit_id} starts {stop.start:%H:%M} outside its windows"]
    return []


def verify_routes(problem: Problem, provider: MatrixProvider,
                  routes: Sequence[tuple[str, Sequence[str]]], unassigned: Iterable[str]
                  ) -> Verdict:
    """Shorthand for one-day problems: routes as (technician id, ordered items)."""
    on = problem.horizon_start
    return verify_sequences(problem, provider,
                            [RouteSequence(t, on, list(items)) for t, items in routes], unassigned)
