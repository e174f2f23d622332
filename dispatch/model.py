"""Problem and plan dataclasses of the dispatcher.

The app converts its database rows into these objects, calls :func:`dispatch.solve` and reads the
:class:`Plan` back. All datetimes must be timezone-aware; the solver converts them to integer
ticks of ``SolverSettings.time_unit_s`` seconds from the horizon origin at its boundary only
(see ``dispatch.translate``).
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

LatLon = tuple[float, float]
VISIT_KINDS = ("measure", "install", "repair")


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _require_location(value: LatLon | None, name: str, optional: bool = False) -> None:
    if value is None:
        if optional:
            return
        raise ValueError(f"{name} is required")
    if len(value) != 2:
        raise ValueError(f"{name} must be (lat, lon), got {value!r}")
    lat, lon = value
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"{name} out of range: {value!r}")


class Lock(enum.Enum):
    """How much of a visit's current assignment the solver must keep."""

    NONE = "none"
    TECHNICIAN = "technician"  # keep the technician, time free
    TIME = "time"  # keep the start time (± tolerance), technician free
    TECHNICIAN_TIME = "technician_time"  # keep both
    IN_PROGRESS = "in_progress"  # under way: never moved


@dataclass(frozen=True)
class Break:
    """A break of ``duration_min`` to be taken entirely inside [earliest_start, latest_end]."""

    earliest_start: datetime
    latest_end: datetime
    duration_min: int

    def __post_init__(self) -> None:
        _require_aware(self.earliest_start, "break earliest_start")
        _require_aware(self.latest_end, "break latest_end")
        if self.duration_min <= 0:
            raise ValueError("break duration_min must be positive")
        if self.latest_end - self.earliest_start < timedelta(minutes=self.duration_min):
            raise ValueError("break window is shorter than the break")


@dataclass(frozen=True)
class Shift:
    """A technician's working day: leaves start_location at start, back at end_location by end."""

    day: date
    start: datetime
    end: datetime
    start_location: LatLon
    end_location: LatLon | None = None  # None: returns to start_location
    break_: Break | None = None
    max_work_minutes: int | None = None  # cap on end-of-day minus start-of-day (travel+work+wait)

    def __post_init__(self) -> None:
        _require_aware(self.start, "shift start")
        _require_aware(self.end, "shift end")
        if self.end <= self.start:
            raise ValueError(f"shift on {self.day} ends before it starts")
        _require_location(self.start_location, "shift start_location")
        _require_location(self.end_location, "shift end_location", optional=True)
        if self.max_work_minutes is not None and self.max_work_minutes <= 0:
            raise ValueError("max_work_minutes must be positive")
        if self.break_ is not None and (
            self.break_.earliest_start < self.start or self.break_.latest_end > self.end
        ):
            raise ValueError(f"break of shift {self.day} lies outside the shift")

    @property
    def home(self) -> LatLon:
        """Where the shift ends."""
        return self.end_location or self.start_location


@dataclass(frozen=True)
class CurrentPosition:
    """Where an in-progress technician is now; the day's route restarts from here."""

    location: LatLon
    at: datetime

    def __post_init__(self) -> None:
        _require_location(self.location, "current location")
        _require_aware(self.at, "current position time")


@dataclass(frozen=True)
class Technician:
    """A technician with skill levels and the shifts available in the horizon."""

    id: str
    skills: dict[str, int]
    shifts: list[Shift]
    current: CurrentPosition | None = None  # only for the day containing current.at
    van_capacity: int | None = None  # optional load capacity (same unit as Visit.demand)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("technician id is required")
        for skill, level in self.skills.items():
            if level < 0:
                raise ValueError(f"technician {self.id}: negative level for {skill}")
        # several shifts on one day are allowed (split days); they must not overlap
        ordered = sorted(self.shifts, key=lambda s: s.start)
        for a, b in itertools.pairwise(ordered):
            if b.start < a.end:
                raise ValueError(f"technician {self.id} has overlapping shifts on {b.day}")

    def has_skills(self, required: dict[str, int]) -> bool:
        """True when every required skill is held at least at the required level."""
        return all(self.skills.get(s, -1) >= lvl for s, lvl in required.items())


@dataclass(frozen=True)
class Dependency:
    """This visit must start at least ``min_days_after`` calendar days after visit ``visit_id``."""

    visit_id: str
    min_days_after: int

    def __post_init__(self) -> None:
        if self.min_days_after < 0:
            raise ValueError("min_days_after must be >= 0")


@dataclass(frozen=True)
class Visit:
    """A job at a customer's home: measure, install or repair."""

    id: str
    kind: str
    location: LatLon | None
    duration_min: int
    required_skills: dict[str, int] = field(default_factory=dict)
    time_windows: list[tuple[datetime, datetime]] = field(default_factory=list)  # empty: any time
    sla_due: datetime | None = None  # latest acceptable start
    sla_hard: bool = False
    priority: int = 3  # 1..5, 5 most important
    lock: Lock = Lock.NONE
    locked_technician_id: str | None = None
    locked_start: datetime | None = None
    depends_on: Dependency | None = None
    demand: int = 0  # optional load for van capacity

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("visit id is required")
        if self.kind not in VISIT_KINDS:
            raise ValueError(f"visit {self.id}: kind must be one of {VISIT_KINDS}")
        # a missing location is allowed: the visit is reported unassigned with a reason
        _require_location(self.location, f"visit {self.id} location", optional=True)
        if self.duration_min < 0:
            raise ValueError(f"visit {self.id}: negative duration")
        if not 1 <= self.priority <= 5:
            raise ValueError(f"visit {self.id}: priority must be 1..5")
        for start, end in self.time_windows:
            _require_aware(start, f"visit {self.id} window start")
            _require_aware(end, f"visit {self.id} window end")
            if end < start:
                raise ValueError(f"visit {self.id}: window ends before it starts")
        if self.sla_due is not None:
            _require_aware(self.sla_due, f"visit {self.id} sla_due")
        if self.sla_hard and self.sla_due is None:
            raise ValueError(f"visit {self.id}: sla_hard needs sla_due")
        needs_tech = self.lock in (Lock.TECHNICIAN, Lock.TECHNICIAN_TIME, Lock.IN_PROGRESS)
        needs_time = self.lock in (Lock.TIME, Lock.TECHNICIAN_TIME, Lock.IN_PROGRESS)
        if needs_tech and not self.locked_technician_id:
            raise ValueError(f"visit {self.id}: lock {self.lock.value} needs locked_technician_id")
        if needs_time:
            if self.locked_start is None:
                raise ValueError(f"visit {self.id}: lock {self.lock.value} needs locked_start")
            _require_aware(self.locked_start, f"visit {self.id} locked_start")
        if self.depends_on is not None and self.depends_on.visit_id == self.id:
            raise ValueError(f"visit {self.id} depends on itself")
        if self.demand < 0:
            raise ValueError(f"visit {self.id}: negative demand")


TIME_UNITS_S = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)  # divisors of a minute
DEFAULT_PRIORITY_WEIGHTS = (1, 10, 100, 1_000, 10_000)
# A committed visit counts ten times its weight and a must-do visit adds 10**5 (in units of
# drop_penalty_base): the weights of priorities 1-4 stay below 10**4 so that any committed
# visit that is not must-do still weighs less than a must-do one (priority 5 is always must-do).
MAX_PRIORITY_WEIGHT = 10_000


def check_priority_weights(weights: tuple[int, ...]) -> None:
    """ValueError unless five positive integers, non-decreasing, within MAX_PRIORITY_WEIGHT."""
    if len(weights) != 5 or any(isinstance(w, bool) or not isinstance(w, int) for w in weights):
        raise ValueError("priority_weights must be five integers, for priorities 1..5")
    if weights[0] < 1 or any(a > b for a, b in itertools.pairwise(weights)):
        raise ValueError("priority_weights must be positive and non-decreasing with priority")
    if weights[-1] > MAX_PRIORITY_WEIGHT or weights[-2] >= MAX_PRIORITY_WEIGHT:
        raise ValueError(f"priority_weights must stay below {MAX_PRIORITY_WEIGHT} for "
                         f"priorities 1-4 and at most {MAX_PRIORITY_WEIGHT} for priority 5, "
                         "so that must-do visits keep outweighing any others")


@dataclass(frozen=True)
class SolverSettings:
    """Search and cost settings; defaults suit an overnight-or-interactive plan of one city."""

    time_limit_s: float = 10.0
    first_solution: str = "LOCAL_CHEAPEST_INSERTION"  # an OR-Tools FirstSolutionStrategy name
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"  # an OR-Tools LocalSearchMetaheuristic name
    gls_lambda: float | None = None
    # seeds the zone partition; OR-Tools' search is repeatable only for equal work done, and a
    # time limit cuts it at a machine-dependent point
    seed: int = 0
    time_lock_tolerance_min: int = 15
    drop_penalty_base: int = 1_000_000  # per unit of priority weight; dominates any route's cost
    # drop penalty of a visit of priority 1..5 in units of drop_penalty_base: a factor 10 per
    # step by default, so one visit outweighs ten of the next priority down (docs/benchmarks.md,
    # "Priority weights of the drop penalty"); must-do, committed and in-progress visits keep
    # their own margins on top (dispatch.translate.priority_penalty)
    priority_weights: tuple[int, ...] = DEFAULT_PRIORITY_WEIGHTS
    # added to every visit's drop penalty, in cost units (travel seconds): among plans of equal
    # served weight the one with more visits wins unless it drives this much more per visit
    # (the count comes before travel in the benchmark days' objective); 0: travel alone decides
    visit_value: int = 0
    lateness_cost_per_min: int = 100  # multiplied by priority for soft SLA lateness
    # OR-Tools engine only: "exact" | "reserve" | "auto" (exact below break_exact_max_nodes)
    break_mode: str = "auto"
    break_exact_max_nodes: int = 150  # measured: exact breaks slow the search on 500 visits
    workers: int = 1  # >1: partition into zones solved in parallel processes
    travel_cost: str = "time"  # "time" or "distance" as arc cost
    construction: str = "insertion"  # "insertion" (own greedy, then search) or "ortools"
    # "ruin_recreate": the compiled SISR search of dispatch.ruin_recreate, exact flexible breaks;
    # "ortools": OR-Tools routing (first_solution, metaheuristic, break_mode apply to it only)
    engine: str = "ruin_recreate"
    # stop the search after this many iterations (ruin_recreate) or accepted solutions (ortools's
    # local search): reproducible runs and benchmarks at equal work on a shared machine; None:
    # the time limit alone
    search_iterations: int | None = None
    # the travel model (dispatch.travel.GeodesicProvider): crow-flight distance times a road
    # detour, driven at an average city speed; the app's SLA projection uses the same one
    travel_kmh: float = 25.0
    detour_factor: float = 1.3
    # the planner's time resolution in seconds (a divisor of 60): travel is rounded up to it and
    # every time is planned on its grid; below the minute, legs lose less time to rounding
    time_unit_s: int = 60

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0:
            raise ValueError("time_limit_s must be positive")
        if self.break_mode not in ("exact", "reserve", "auto"):
            raise ValueError("break_mode must be exact, reserve or auto")
        if self.travel_cost not in ("time", "distance"):
            raise ValueError("travel_cost must be time or distance")
        if self.construction not in ("insertion", "ortools"):
            raise ValueError("construction must be insertion or ortools")
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
        if self.engine not in ("ruin_recreate", "ortools"):
            raise ValueError("engine must be ruin_recreate or ortools")
        if self.search_iterations is not None and self.search_iterations < 0:
            raise ValueError("search_iterations must be >= 0")
        if self.travel_kmh <= 0 or self.detour_factor < 1.0:
            raise ValueError("travel_kmh must be positive and detour_factor >= 1")
        if self.time_unit_s not in TIME_UNITS_S:
            raise ValueError(f"time_unit_s must be one of {', '.join(map(str, TIME_UNITS_S))}")
        # a list after a JSON round trip (dispatch.wire): keep the field hashable and typed
        object.__setattr__(self, "priority_weights", tuple(self.priority_weights))
        check_priority_weights(self.priority_weights)
        if not 0 <= self.visit_value <= self.drop_penalty_base // 1000:
            # a thousand visits' values stay below one unit of priority weight
            raise ValueError("visit_value must be between 0 and drop_penalty_base / 1000")


@dataclass(frozen=True)
class Problem:
    """Everything to plan: technicians with shifts, visits, and the planning horizon."""

    technicians: list[Technician]
    visits: list[Visit]
    horizon_start: date
    horizon_days: int = 1
    settings: SolverSettings = field(default_factory=SolverSettings)

    def __post_init__(self) -> None:
        if self.horizon_days < 1:
            raise ValueError("horizon_days must be >= 1")
        ids = [v.id for v in self.visits]
        if len(ids) != len(set(ids)):
            raise ValueError("visit ids must be unique")
        tids = [t.id for t in self.technicians]
        if len(tids) != len(set(tids)):
            raise ValueError("technician ids must be unique")

    @property
    def days(self) -> list[date]:
        """Calendar days of the horizon."""
        return [self.horizon_start + timedelta(days=i) for i in range(self.horizon_days)]

    def visit(self, visit_id: str) -> Visit:
        """The visit with this id (KeyError if absent)."""
        for v in self.visits:
            if v.id == visit_id:
                return v
        raise KeyError(visit_id)

    def technician(self, tech_id: str) -> Technician:
        """The technician with this id (KeyError if absent)."""
        for t in self.technicians:
            if t.id == tech_id:
                return t
        raise KeyError(tech_id)


@dataclass(frozen=True)
class Stop:
    """One visit on a route: arrival, waiting, service start/end and slack before it must move."""

    visit_id: str
    arrival: datetime
    wait_min: int
    start: datetime
    end: datetime
    slack_min: int  # how much later the start could move without breaking anything downstream
    travel_km: float = 0.0  # from the previous stop
    late_min: int = 0  # minutes past sla_due (soft SLA)


@dataclass(frozen=True)
class Route:
    """The ordered stops of one technician on one day."""

    technician_id: str
    day: date
    start: datetime
    end: datetime
    stops: list[Stop]
    break_start: datetime | None = None
    travel_km: float = 0.0
    travel_min: int = 0
    # minutes the route ends after its shift: only finishing a visit in progress runs over it
    overtime_min: int = 0


@dataclass(frozen=True)
class Reason:
    """Why a visit is unassigned: a stable code, a human sentence and machine-readable details."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Unassigned:
    """A visit left out of the plan with at least one reason."""

    visit_id: str
    reasons: list[Reason]

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ValueError(f"unassigned visit {self.visit_id} needs at least one reason")


@dataclass(frozen=True)
class Kpis:
    """Plan-level figures for dashboards."""

    travel_km: float
    travel_min: int
    utilisation: float  # service minutes / available shift minutes of used routes
    on_time_share: float  # assigned visits started by their sla_due (1.0 if none has one)
    sla_misses: int  # assigned late + unassigned visits that have an sla_due
    assigned: int
    unassigned: int


@dataclass(frozen=True)
class Plan:
    """The solver's answer: routes per technician-day, unassigned visits with reasons, KPIs."""

    routes: list[Route]
    unassigned: list[Unassigned]
    kpis: Kpis
    objective: int = 0
    status: str = "ok"

    def route_of(self, visit_id: str) -> tuple[Route, Stop] | None:
        """The route and stop serving this visit, or None."""
        for r in self.routes:
            for s in r.stops:
                if s.visit_id == visit_id:
                    return r, s
        return None
