"""Ruin-and-recreate improvement of a core solution: slack induction by string removals (SISR).

After Christiaens & Vanden Berghe, "Slack induction by string removals for vehicle routing
problems" (Transportation Science, 2020): each iteration removes a few strings of consecutive
stops from routes near a random seed stop, re-inserts every unserved node by cheapest feasible
insertion in a randomised order (skipping each position with a small "blink" probability) and
accepts the result by simulated annealing. Pure Python and numpy.

Feasibility of an insertion is checked in O(1) per position from two arrays kept per route:
the earliest departure from each stop and the latest start at each stop that keeps the rest of
the route on time, plus the route load against the vehicle capacity. All positions of all used
routes (and of one empty vehicle of each kind) are screened at once with numpy.

What it handles, i.e. everything a :class:`~dispatch.core.CoreProblem` expresses except the
features listed by :func:`unsupported_features`:

- per-vehicle start and end points, earliest departure, latest return and capacity;
- one service window per node (or none), service times, demands;
- ``allowed_vehicles`` restrictions;
- optional nodes with a drop penalty (dropping is allowed, at its penalty) and mandatory ones
  (an unserved one counts 10^12, so a move that leaves one out is never accepted);
- ``fixed_vehicle_cost`` per used route.

Not handled, so :func:`improve` declines (returns None) when any is present: vehicle breaks,
``max_span``, break minutes ``reserved`` from the shift, dependencies between nodes, nodes with
several windows, and soft due times. ``dispatch.solver.solve_core`` runs it when a
``SearchConfig`` asks for it (the Solomon benchmark engine does); the field-service ``solve()``
does not yet, as its problems usually have breaks and several windows per visit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from dispatch.core import CoreProblem, CoreSolution, schedule

_INF = 1 << 50  # "no feasible position" and open windows; far above any real cost or time
_MANDATORY = 10**12  # penalty counted for an unserved node that has no drop penalty


@dataclass(frozen=True)
class RuinRecreateConfig:
    """Parameters of the SISR search (removal and blink defaults from the paper).

    Temperatures are multiples of the average arc cost of the starting solution and fall
    geometrically from ``t_start`` to ``t_end`` over the time limit.
    """

    avg_removed: float = 10.0  # average number of stops removed per iteration
    max_string: int = 10  # longest removed string
    split_rate: float = 0.5  # share of "split string" removals
    split_depth: float = 0.01  # probability of stopping to grow the preserved substring
    blink_rate: float = 0.01  # probability of skipping a position when inserting
    t_start: float = 0.5
    t_end: float = 0.01
    route_removal: float = 0.05  # share of iterations that also empty a whole (short) route
    window_orders: bool = True  # also insert by window width and by window start
    neighbours: int = 100  # length of each node's nearest-neighbour list used by the ruin
    seed: int = 0


def unsupported_features(problem: CoreProblem) -> list[str]:
    """Features of ``problem`` this search cannot respect (empty: it may run)."""
    found = []
    if any(v.break_ is not None for v in problem.vehicles):
        found.append("vehicle breaks")
    if any(v.max_span is not None for v in problem.vehicles):
        found.append("maximum route span")
    if any(v.reserved for v in problem.vehicles):
        found.append("reserved break minutes")
    if problem.dependencies:
        found.append("dependencies")
    if any(len(n.windows) > 1 for n in problem.nodes.values()):
        found.append("several windows per node")
    if any(n.soft_due is not None and n.soft_cost > 0 for n in problem.nodes.values()):
        found.append("soft due times")
    return found


class _State:
    """Routes plus padded per-position arrays for vectorised insertion checks.

    ``data[f, k, i]`` describes position ``i`` of vehicle ``k``'s path ``[start, *route, end]``,
    i.e. the arc from path node ``i`` to ``i + 1``, by field ``f``: its tail (``_PREV``), head
    (``_NEXT``), cost (``_ARC``), the earliest departure from the tail (``_DEPART``) and the
    latest service start at the head that keeps the rest of the route on time (``_LATEST``).
    Columns beyond ``length[k]`` are stale and masked out.
    """

    def __init__(self, problem: CoreProblem, routes: list[list[int]]) -> None:
        self.p = problem
        size, k = problem.size, len(problem.vehicles)
        self.time_l = problem.time.astype(np.int64).tolist()
        self.cost_l = problem.cost.astype(np.int64).tolist()
        self.time_a = np.ascontiguousarray(problem.time, dtype=np.int64)
        self.cost_a = np.ascontiguousarray(problem.cost, dtype=np.int64)
        self.time_t = np.ascontiguousarray(self.time_a.T)
        self.cost_t = np.ascontiguousarray(self.cost_a.T)
        self.cost_is_time = bool(np.array_equal(self.time_a, self.cost_a))
        self.ready = [-_INF] * size
        self.due = [_INF] * size
        self.service = [0] * size
        self.demand = [0] * size
        for node, n in problem.nodes.items():
            if n.windows:
                self.ready[node], self.due[node] = n.windows[0]
            self.service[node], self.demand[node] = n.service, n.demand
        self.capacity = np.array([v.capacity if v.capacity is not None else _INF
                                  for v in problem.vehicles], dtype=np.int64)
        self.allowed = {
            node: np.isin(np.arange(k), n.allowed_vehicles)
            for node, n in problem.nodes.items() if n.allowed_vehicles is not None
        }
        self.penalty = {node: (n.penalty if n.penalty is not None else _MANDATORY)
                        for node, n in problem.nodes.items()}
        self.fixed = problem.fixed_vehicle_cost
        # empty vehicles with the same signature are interchangeable: only one is tried
        restricted = bool(self.allowed)
        self.signature = [v if restricted else (veh.start, veh.end, veh.earliest, veh.latest,
                                                veh.capacity)
                          for v, veh in enumerate(problem.vehicles)]
        self._rows: np.ndarray | None = None
        self.routes = [list(r) for r in routes]
        self.route_of = dict.fromkeys(problem.nodes, -1)
        self.data = np.zeros((5, k, 8), dtype=np.int64)
        self.cols = np.arange(8)
        self.length = np.full(k, -1, dtype=np.int64)
        self.load = np.zeros(k, dtype=np.int64)
        self.route_cost = [0] * k
        for v in range(k):
            self.refresh(v)
        self.absent = [n for n in problem.nodes if self.route_of[n] < 0]

    def _grow(self, width: int) -> None:
        data = np.zeros((5, self.data.shape[1], width), dtype=np.int64)
        data[:, :, : self.data.shape[2]] = self.data
        self.data, self.cols = data, np.arange(width)

    def refresh(self, v: int) -> None:
        """Recompute vehicle ``v``'s row after its route changed."""
        route, veh = self.routes[v], self.p.vehicles[v]
        m = len(route)
        if m + 1 > self.data.shape[2]:
            self._grow(m + 16)
        tl, cl, ready, due, service = self.time_l, self.cost_l, self.ready, self.due, self.service
        route_of = self.route_of
        tails = [veh.start, *route]
        heads = [*route, veh.end]
        t = veh.earliest
        depart = [t]
        a = veh.start
        for node in route:
            t += tl[a][node]
            if t < ready[node]:
                t = ready[node]
            t += service[node]
            depart.append(t)
            route_of[node] = v
            a = node
        latest = [0] * (m + 1)
        lt = latest[m] = veh.latest
        b = veh.end
        for i in range(m - 1, -1, -1):
            node = route[i]
            lt -= service[node] + tl[node][b]
            if due[node] < lt:
                lt = due[node]
            latest[i] = lt
            b = node
        arcs = [cl[a][b] for a, b in zip(tails, heads, strict=True)]
        self.data[:, v, : m + 1] = (tails, heads, arcs, depart, latest)
        if (self.length[v] > 0) != (m > 0):
            self._rows = None
        self.length[v] = m
        self.load[v] = sum(map(self.demand.__getitem__, route))
        self.route_cost[v] = (sum(arcs) + self.fixed) if route else 0

    def candidate_rows(self) -> np.ndarray:
        """Vehicles worth trying: every used one and one empty vehicle per signature."""
        if self._rows is None:
            seen, rows = set(), []
            for v, route in enumerate(self.routes):
                if route:
                    rows.append(v)
                elif self.signature[v] not in seen:
                    seen.add(self.signature[v])
                    rows.append(v)
            self._rows = np.array(rows, dtype=np.int64)
        return self._rows

    def objective(self) -> int:
        """Arc costs, fixed costs of used vehicles and penalties of unserved nodes."""
        return sum(self.route_cost) + sum(self.penalty[n] for n in self.absent)

    def best_insertion(self, node: int, rng: np.random.Generator,
                       blink: float) -> tuple[int, int, int] | None:
        """Cheapest feasible (added cost, vehicle, position) for ``node``.

        Each feasible position is skipped with probability ``blink``: the cheapest is taken
        with probability 1 - blink, else the next cheapest with the same odds, and so on.
        """
        cand = self.candidate_rows()
        length = self.length[cand]
        rows = self.load[cand] + self.demand[node] <= self.capacity[cand]
        allowed = self.allowed.get(node)
        if allowed is not None:
            rows &= allowed[cand]
        if not rows.any():
            return None
        width = int(length.max()) + 1  # columns beyond the longest route are padding
        prev, nxt, arc, depart, latest = self.data[:, cand, :width]
        t_in, t_out = self.time_t[node][prev], self.time_a[node][nxt]
        start = np.maximum(depart + t_in, self.ready[node])
        ok = self.cols[:width] <= np.where(rows, length, -1)[:, None]
        ok &= start <= self.due[node]
        ok &= start + (self.service[node] + t_out) <= latest
        if self.cost_is_time:
            delta = t_in + t_out - arc
        else:
            delta = self.cost_t[node][prev] + self.cost_a[node][nxt] - arc
        if self.fixed:
            delta += np.where(length == 0, self.fixed, 0)[:, None]
        delta = np.where(ok, delta, _INF).ravel()
        while True:
            flat = int(delta.argmin())
            if delta[flat] >= _INF:
                return None
            if blink <= 0 or rng.random() >= blink:
                break
            delta[flat] = _INF
        row, pos = divmod(flat, width)
        return int(delta[flat]), int(cand[row]), pos

    def insert(self, node: int, v: int, pos: int) -> None:
        """Put ``node`` into route ``v`` before the stop at index ``pos``.

        Only the departures after and the latest starts before the new stop are recomputed,
        and each pass stops as soon as it meets an unchanged value.
        """
        route = self.routes[v]
        route.insert(pos, node)
        m = len(route)
        if m == 1 or m + 1 > self.data.shape[2]:
            self.refresh(v)
            return
        veh, tl, ready, due, service = (self.p.vehicles[v], self.time_l, self.ready, self.due,
                                        self.service)
        _, _, old_arc, old_dep, old_lat = self.data[:, v, :m].tolist()
        depart = old_dep[: pos + 1]
        t, a = depart[pos], (route[pos - 1] if pos else veh.start)
        for i in range(pos, m):
            b = route[i]
            t += tl[a][b]
            if t < ready[b]:
                t = ready[b]
            t += service[b]
            if i > pos and t == old_dep[i]:
                depart.extend(old_dep[i:])
                break
            depart.append(t)
            a = b
        latest = [0] * (pos + 1) + old_lat[pos:]
        lt, b = latest[pos + 1], (route[pos + 1] if pos + 1 < m else veh.end)
        for j in range(pos, -1, -1):
            a = route[j]
            lt -= service[a] + tl[a][b]
            if due[a] < lt:
                lt = due[a]
            if j < pos and lt == old_lat[j]:
                latest[: j + 1] = old_lat[: j + 1]
                break
            latest[j] = lt
            b = a
        tail = route[pos - 1] if pos else veh.start
        head = route[pos + 1] if pos + 1 < m else veh.end
        added = [self.cost_l[tail][node], self.cost_l[node][head]]
        arcs = old_arc[:pos] + added + old_arc[pos + 1 :]
        self.data[:, v, : m + 1] = ([veh.start, *route], [*route, veh.end], arcs, depart, latest)
        self.length[v] = m
        self.load[v] += self.demand[node]
        self.route_cost[v] += added[0] + added[1] - old_arc[pos]
        self.route_of[node] = v

    def remove(self, nodes: list[int]) -> None:
        """Take ``nodes`` out of their routes and mark them absent."""
        touched = set()
        for node in nodes:
            v = self.route_of[node]
            self.routes[v].remove(node)
            self.route_of[node] = -1
            touched.add(v)
            self.absent.append(node)
        for v in touched:
            self.refresh(v)

    def snapshot(self) -> tuple:
        """Everything needed to undo an iteration."""
        return ([list(r) for r in self.routes], dict(self.route_of), list(self.absent),
                list(self.route_cost), self.data.copy(), self.cols, self.length.copy(),
                self.load.copy())

    def restore(self, snap: tuple) -> None:
        """Go back to a snapshot."""
        (self.routes, self.route_of, self.absent, self.route_cost, self.data, self.cols,
         self.length, self.load) = snap
        self._rows = None


def _neighbours(problem: CoreProblem, count: int) -> dict[int, list[int]]:
    """Each node's nearest other nodes by cost, itself first."""
    nodes = np.array(sorted(problem.nodes))
    sub = problem.cost[np.ix_(nodes, nodes)]
    sym = sub + sub.T
    order = np.argsort(sym, axis=1, kind="stable")[:, : count + 1]
    result = {}
    for i, node in enumerate(nodes.tolist()):
        near = [int(nodes[j]) for j in order[i] if j != i]
        result[node] = [node, *near[:count]]
    return result


def _string_to_remove(route: list[int], pos: int, length: int, cfg: RuinRecreateConfig,
                      rng: np.random.Generator) -> list[int]:
    """A string of ``length`` stops containing ``route[pos]`` (or a split string)."""
    n = len(route)
    if length < n and rng.random() < cfg.split_rate:
        keep = 1
        while length + keep < n and rng.random() > cfg.split_depth:
            keep += 1
        total = length + keep
        first = int(rng.integers(max(0, pos - total + 1), min(pos, n - total) + 1))
        block = route[first : first + total]
        cut = int(rng.integers(0, length + 1))
        return block[:cut] + block[cut + keep :]
    first = int(rng.integers(max(0, pos - length + 1), min(pos, n - length) + 1))
    return route[first : first + length]


def _ruin(state: _State, near: dict[int, list[int]], cfg: RuinRecreateConfig,
          rng: np.random.Generator) -> None:
    """SISR removal: strings from up to k_s routes around a random served seed node."""
    used = [r for r in state.routes if r]
    if not used:
        return
    served = sum(len(r) for r in used)
    ls_max = min(cfg.max_string, served / len(used))
    ks_max = 4 * cfg.avg_removed / (1 + ls_max) - 1
    ks = int(rng.uniform(1, ks_max + 1))
    route = used[int(rng.integers(len(used)))]
    seed = route[int(rng.integers(len(route)))]
    ruined: set[int] = set()
    removed: list[int] = []
    for node in near[seed]:
        if len(ruined) >= ks:
            break
        v = state.route_of[node]
        if v < 0 or v in ruined:
            continue
        route = state.routes[v]
        lt_max = min(len(route), ls_max)
        length = int(rng.uniform(1, lt_max + 1))
        removed += _string_to_remove(route, route.index(node), length, cfg, rng)
        ruined.add(v)
    if rng.random() < cfg.route_removal:
        removed += _short_route(state, rng, ruined)
    state.remove(removed)


def _short_route(state: _State, rng: np.random.Generator, ruined: set[int]) -> list[int]:
    """All stops of the shorter of two random used routes not ruined yet (none if no such)."""
    free = [v for v, r in enumerate(state.routes) if r and v not in ruined]
    if not free:
        return []
    a, b = (free[int(rng.integers(len(free)))] for _ in range(2))
    v = a if len(state.routes[a]) <= len(state.routes[b]) else b
    return list(state.routes[v])


# recreate orders: random, demand decreasing, far from depot first, close first, and (with
# ``window_orders``) narrowest window first and earliest window first
_ORDER_WEIGHTS = (4, 4, 2, 1, 2, 2)


def _recreate(state: _State, cfg: RuinRecreateConfig, rng: np.random.Generator,
              far: dict[int, int]) -> None:
    """Insert every absent node at its cheapest feasible position, in a randomised order."""
    nodes = state.absent
    rng.shuffle(nodes)
    weights = _ORDER_WEIGHTS if cfg.window_orders else _ORDER_WEIGHTS[:4]
    pick = rng.random() * sum(weights)
    keys = (None, lambda n: -state.demand[n], lambda n: -far[n], lambda n: far[n],
            lambda n: state.due[n] - state.ready[n], lambda n: state.ready[n])
    for weight, key in zip(weights, keys, strict=False):
        if pick < weight:
            if key is not None:
                nodes.sort(key=key)
            break
        pick -= weight
    rest = []
    for node in nodes:
        found = state.best_insertion(node, rng, cfg.blink_rate)
        if found is None:
            rest.append(node)
            continue
        state.insert(node, found[1], found[2])
    state.absent = rest


def _average_arc(state: _State) -> float:
    arcs = sum(len(r) + 1 for r in state.routes if r)
    if not arcs:
        return 1.0
    return max(1.0, (sum(state.route_cost) - state.fixed * sum(1 for r in state.routes if r))
               / arcs)


def _solution(problem: CoreProblem, routes: list[list[int]], objective: int) -> CoreSolution:
    starts, v_start, v_end = [], [], []
    for v, route in enumerate(routes):
        sched = schedule(problem, v, route)
        if sched is None:
            raise ValueError(f"route of vehicle {v} is not feasible")
        starts.append(sched.starts)
        v_start.append(sched.depart)
        v_end.append(sched.back)
    served = {n for r in routes for n in r}
    dropped = [n for n in problem.nodes if n not in served]
    # like OR-Tools: a solution leaving out a mandatory node is no solution
    found = all(problem.nodes[n].penalty is not None for n in dropped)
    return CoreSolution([list(r) for r in routes], starts, v_start, v_end,
                        [None] * len(routes), dropped, objective, found=found)


def is_feasible(problem: CoreProblem, routes: list[list[int]]) -> bool:
    """Every route on time and within capacity, allowed vehicles respected, no node twice."""
    seen: set[int] = set()
    for v, route in enumerate(routes):
        for node in route:
            allowed = problem.nodes[node].allowed_vehicles
            if node in seen or (allowed is not None and v not in allowed):
                return False
            seen.add(node)
        if route and schedule(problem, v, route) is None:
            return False
    return True


def improve(problem: CoreProblem, routes: list[list[int]], time_limit_s: float,
            cfg: RuinRecreateConfig | None = None) -> CoreSolution | None:
    """Improve feasible ``routes`` (one list per vehicle) by SISR for ``time_limit_s`` seconds.

    Returns the best solution found, never one with a higher objective than the input (arc
    costs + fixed vehicle costs + penalties of unserved nodes). Returns None, without searching,
    if the problem has a feature listed by :func:`unsupported_features` or the input routes are
    not feasible. Empty input routes are allowed: the search then starts from its own greedy
    insertion. ``found`` is False if a node without drop penalty is left unserved.
    """
    cfg = cfg or RuinRecreateConfig()
    deadline = time.perf_counter() + time_limit_s
    routes = [list(r) for r in routes]
    if unsupported_features(problem) or not is_feasible(problem, routes):
        return None
    rng = np.random.default_rng(cfg.seed)
    state = _State(problem, routes)
    input_cost = state.objective()
    near = _neighbours(problem, cfg.neighbours)
    starts = {v.start for v in problem.vehicles}
    far = {n: min(int(problem.cost[s, n]) for s in starts) for n in problem.nodes}
    if state.absent:
        _recreate(state, cfg, rng, far)
    scale = _average_arc(state)
    t_hi, t_lo = cfg.t_start * scale, cfg.t_end * scale
    current = state.objective()
    best, best_routes = current, [list(r) for r in state.routes]
    t0 = time.perf_counter()
    span = max(1e-9, deadline - t0)
    while True:
        now = time.perf_counter()
        if now >= deadline:
            break
        temperature = t_hi * (t_lo / t_hi) ** ((now - t0) / span)
        snap = state.snapshot()
        _ruin(state, near, cfg, rng)
        _recreate(state, cfg, rng, far)
        cost = state.objective()
        if cost < current - temperature * math.log(rng.random() or 1e-300):
            current = cost
            if cost < best:
                best, best_routes = cost, [list(r) for r in state.routes]
        else:
            state.restore(snap)
    if best >= input_cost or not is_feasible(problem, best_routes):
        return _solution(problem, routes, input_cost)
    return _solution(problem, best_routes, best)
