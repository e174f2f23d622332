"""Ruin-and-recreate search on a core problem: slack induction by string removals (SISR).

After Christiaens & Vanden Berghe, "Slack induction by string removals for vehicle routing
problems" (Transportation Science, 2020): each iteration removes a few strings of consecutive
stops from routes near a random seed stop, re-inserts every unserved node by cheapest feasible
insertion in a randomised order (most important first; each position skipped with a small
"blink" probability) and accepts the result by simulated annealing. The loop runs compiled
(:mod:`dispatch.kernels`); this module builds its arrays and reads the result back.

What it handles — everything a :class:`~dispatch.core.CoreProblem` expresses except
break minutes ``reserved`` from the shift (an OR-Tools-only mode):

- per-vehicle start and end points, earliest departure, latest return, capacity, maximum span;
- a break per vehicle placed anywhere in the route's timeline inside its window (between stops,
  part-way through a drive, while waiting for a window), as :func:`dispatch.core.schedule` times it;
- several service windows per node, service times, demands, ``allowed_vehicles``;
- soft due times (``soft_cost`` per unit late) in the objective;
- drop penalties: a node is left out only at its penalty; nodes without one count 10^15, and
  the recreate step inserts the nodes of the highest penalty first; one ruin in ten empties the
  lower-priority stops of a route a left-out node may use, so important work displaces minor;
- dependencies between nodes on different days (``vehicle_day``): "after" only on a day at
  least ``min_days`` after its "before", and never without it;
- ``fixed_vehicle_cost`` per used route.

With ``polish_every`` the current solution is also taken, every that many iterations, to a local
optimum of relocate moves (compiled, exact), and the time freed is offered to left-out nodes
(:func:`polish`); the field-service ``solve()`` does so on large days.

Iteration ``i`` of a seed is the same whatever the time limit, and the best solution is kept: a
longer limit never returns a worse objective (see :func:`improve`).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dispatch import kernel_cache
from dispatch import kernels as kn
from dispatch.core import CoreNode, CoreProblem, CoreSolution, CoreVehicle, schedule

MANDATORY = 10**15  # penalty counted for an unserved node that has no drop penalty
_OPEN = 1 << 40  # window bound of a node without windows
# recreate orders: random, demand decreasing, far from depot first, close first, narrowest
# window first, earliest window first (within each penalty class, most important first); a
# seventh, longest service first, is weighted by RuinRecreateConfig.long_first, an eighth,
# regret insertion (kernels.REGRET_ORDER), by RuinRecreateConfig.regret
_ORDER_WEIGHTS = (4.0, 4.0, 2.0, 1.0, 2.0, 2.0)
_CHANGE_RING = 4096  # recent route changes a left-out visit's retry can list (kernels._bump)


@dataclass(frozen=True)
class RuinRecreateConfig:
    """Parameters of the SISR search (removal and blink defaults from the paper).

    Temperatures are multiples of the average arc cost of the starting solution. They fall
    geometrically from ``t_start`` to ``t_end`` within each epoch; the first epoch has
    ``epoch_iterations`` iterations (None: 1,000 + 20 per node), each next one twice as many, and
    each starts again from the best solution.
    """

    avg_removed: float = 10.0  # average number of stops removed per iteration
    max_string: int = 10  # longest removed string
    split_rate: float = 0.5  # share of "split string" removals
    split_depth: float = 0.01  # probability of stopping to grow the preserved substring
    blink_rate: float = 0.01  # probability of skipping a position when inserting
    t_start: float = 0.5
    t_end: float = 0.01
    route_removal: float = 0.05  # share of iterations that also empty a whole (short) route
    room_rate: float = 0.1  # share of ruins around a left-out node, emptying lower priorities
    window_orders: bool = True  # also insert by window width and by window start
    # weight of the "longest service first" recreate order (used only when service times
    # differ, as on field days with short measures and long installs)
    long_first: float = 3.0
    # weight of a regret-k recreate order beside the others (each penalty class inserted by
    # regret: the visit with the fewest or the most unequal options first; kernels._regret_insert);
    # 0: never. regret_k is 2 or 3
    regret: float = 0.0
    regret_k: int = 3
    # build the starting solution (from the visits the input routes leave out) by regret-k
    # instead of greedily, farthest first; the final refill after the search stays greedy
    regret_start: bool = False
    # take the starting solution to a local optimum of relocate moves and refill it (polish)
    # before the search: a greedy start leaves many visits out that a relocate makes room for
    polish_start: bool = False
    neighbours: int = 100  # length of each node's nearest-neighbour list used by the ruin
    # > 0: the recreate tries a node only in routes holding one of its this many nearest nodes
    # (and empty routes); 0 tries every route
    granular: int = 0
    # > 0: every this many iterations the current solution is taken to a local optimum of
    # relocate moves and the time freed is offered to left-out nodes (kernels.polish); 0: never
    polish_every: int = 0
    # take the best solution, once the search ends, to a local optimum of relocate moves (its own
    # route included: an or-opt of one stop) and offer the time freed to left-out nodes
    polish_end: bool = False
    # > 0: each new best solution the search finds is taken to a local optimum of tail
    # exchanges between routes (2-opt*: a visit goes straight on to one of its this many nearest
    # visits in another route, the two routes swap what followed) and the time freed is offered
    # to left-out nodes (kernels.exchange); 0: never
    tails_on_best: int = 0
    # > 0: the same for the best solution once the search ends
    tails_end: int = 0
    epoch_iterations: int | None = None
    max_iterations: int | None = None  # stop after this many iterations (None: time only)
    seed: int = 0
    # benchmark settings (Solomon engine): count the limit in CPU seconds of this process, and/or
    # let the temperature fall once over the whole limit instead of in epochs; with the latter the
    # temperature of an iteration depends on the clock, so "a longer limit is never worse" (and
    # repeatability for a seed) no longer hold
    cpu_clock: bool = False
    anneal_by_time: bool = False


def unsupported_features(problem: CoreProblem) -> list[str]:
    """Features of ``problem`` this search cannot respect (empty: it may run)."""
    if any(v.reserved for v in problem.vehicles):
        return ["reserved break minutes"]
    return []


@dataclass
class SearchStats:
    """What one :func:`improve` call did."""

    iterations: int = 0
    insertions: int = 0
    construct_s: float = 0.0
    search_s: float = 0.0


class _Arrays:
    """The problem as the integer arrays the compiled loop reads."""

    def __init__(self, problem: CoreProblem, cfg: RuinRecreateConfig) -> None:
        self.ids = sorted(problem.nodes)
        self.index = {node: i for i, node in enumerate(self.ids)}
        n, k = len(self.ids), len(problem.vehicles)
        width = max([len(problem.nodes[x].windows) for x in self.ids] + [1])
        node = np.zeros((n, kn.NODE_FIELDS), dtype=np.int64)
        wlo = np.full((n, width), _OPEN, dtype=np.int64)
        whi = np.full((n, width), _OPEN, dtype=np.int64)
        penalties = sorted({self._penalty(problem.nodes[x]) for x in self.ids}, reverse=True)
        klass = {p: c for c, p in enumerate(penalties)}
        allowed = np.ones((n, k), dtype=np.bool_)
        for i, x in enumerate(self.ids):
            nd = problem.nodes[x]
            windows = nd.windows or [(-_OPEN, _OPEN)]
            for w, (lo, hi) in enumerate(windows):
                wlo[i, w], whi[i, w] = lo, hi
            soft = nd.soft_due is not None and nd.soft_cost > 0
            node[i] = (nd.service, nd.demand, self._penalty(nd),
                       nd.soft_due if soft else kn.INF, nd.soft_cost if soft else 0, x,
                       len(windows), klass[self._penalty(nd)])
            if nd.allowed_vehicles is not None:
                allowed[i] = False
                allowed[i, nd.allowed_vehicles] = True
        days = problem.vehicle_day or [0] * k
        veh = np.zeros((k, kn.VEH_FIELDS), dtype=np.int64)
        signatures: dict[tuple, int] = {}
        for v, vh in enumerate(problem.vehicles):
            blo, bhi, bdur = vh.break_ if vh.break_ is not None else (0, 0, 0)
            row = (vh.start, vh.end, vh.earliest, vh.latest,
                   vh.capacity if vh.capacity is not None else kn.INF, blo, bhi, bdur,
                   vh.max_span if vh.max_span is not None else kn.INF, days[v])
            key = (row, allowed[:, v].tobytes())
            veh[v] = (*row, signatures.setdefault(key, len(signatures)))
        self.node, self.veh, self.wlo, self.whi, self.allowed = node, veh, wlo, whi, allowed
        self.n_signatures = len(signatures)
        self.tm = np.ascontiguousarray(problem.time, dtype=np.int64)
        self.cm = np.ascontiguousarray(problem.cost, dtype=np.int64)
        self.fixed = int(problem.fixed_vehicle_cost)
        self.has_soft = bool((node[:, kn.SOFT_COST] > 0).any())
        self.mixed_service = bool(n) and bool((node[:, kn.SERVICE] != node[0, kn.SERVICE]).any())
        self.near = self._neighbours(cfg.neighbours)
        starts = sorted({vh.start for vh in problem.vehicles})
        mats = node[:, kn.MAT]
        self.far = (self.cm[np.ix_(starts, mats)].min(axis=0) if starts and n
                    else np.zeros(n, dtype=np.int64)).astype(np.int64)
        self.vday = np.array(days, dtype=np.int64)
        self._dependencies(problem)
        shortest = int(node[:, kn.SERVICE].min()) if n else 1
        span = max([vh.latest - vh.earliest for vh in problem.vehicles] + [1])
        self.maxlen = n if shortest <= 0 else min(n, span // shortest + 1)
        self.maxlen = max(self.maxlen, 1)

    @staticmethod
    def _penalty(nd) -> int:
        return nd.penalty if nd.penalty is not None else MANDATORY

    def _neighbours(self, count: int) -> np.ndarray:
        n = len(self.ids)
        mats = self.node[:, kn.MAT]
        sub = self.cm[np.ix_(mats, mats)]
        sym = sub + sub.T
        np.fill_diagonal(sym, -1)  # itself first
        count = min(count + 1, n)
        order = np.argsort(sym, axis=1, kind="stable")[:, :count]
        return np.ascontiguousarray(order, dtype=np.int64)

    def _dependencies(self, problem: CoreProblem) -> None:
        n = len(self.ids)
        per: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
        for dep in problem.dependencies:
            if dep.before in self.index and dep.after in self.index:
                b, a = self.index[dep.before], self.index[dep.after]
                per[b].append((a, dep.min_days, 0))
                per[a].append((b, dep.min_days, 1))
        self.dep_ptr = np.zeros(n + 1, dtype=np.int64)
        flat = [e for lst in per for e in lst]
        self.dep_ptr[1:] = np.cumsum([len(lst) for lst in per]) if n else []
        self.dep_other = np.array([e[0] for e in flat] or [0], dtype=np.int64)
        self.dep_gap = np.array([e[1] for e in flat] or [0], dtype=np.int64)
        self.dep_kind = np.array([e[2] for e in flat] or [0], dtype=np.int64)

    def problem_args(self) -> tuple:
        return (self.node, self.veh, self.wlo, self.whi, self.tm, self.cm, self.fixed)


class _Search:
    """Current and best solution arrays plus the scratch arrays of the compiled loop."""

    def __init__(self, arrays: _Arrays) -> None:
        load_kernels()
        a = arrays
        n, k, width = len(a.ids), a.veh.shape[0], a.maxlen + 1
        self.a = a
        self.path = np.zeros((k, width), dtype=np.int64)
        self.rlen = np.zeros(k, dtype=np.int64)
        self.e0 = np.zeros((k, width + 1), dtype=np.int64)
        self.e1 = np.zeros((k, width + 1), dtype=np.int64)
        self.la0 = np.zeros((k, width + 2), dtype=np.int64)
        self.la1 = np.zeros((k, width + 2), dtype=np.int64)
        self.load = np.zeros(k, dtype=np.int64)
        self.rcost = np.zeros(k, dtype=np.int64)
        self.route_of = np.full(n, -1, dtype=np.int64)
        self.absent = np.zeros(max(n, 1), dtype=np.int64)
        self.nabs = np.zeros(1, dtype=np.int64)
        self.best_path = np.zeros((k, width), dtype=np.int64)
        self.best_len = np.zeros(k, dtype=np.int64)
        self.work = (
            np.zeros((k, width), dtype=np.int64), np.zeros(k, dtype=np.int64),
            np.full(k, -1, dtype=np.int64), np.zeros(k, dtype=np.int64),
            np.zeros(1, dtype=np.int64), np.zeros(max(n, 1), dtype=np.int64),
            np.zeros(1, dtype=np.int64), np.zeros(max(n, 1), dtype=np.bool_),
            np.zeros(k, dtype=np.bool_), np.full(max(a.n_signatures, 1), -1, dtype=np.int64),
            np.zeros(1, dtype=np.int64), np.ones(k, dtype=np.bool_),
            np.zeros(max(n, 1), dtype=np.float64), np.zeros(1, dtype=np.int64),
            self._change_clock(k), np.full(max(n, 1), -1, dtype=np.int64),
        )

    @staticmethod
    def _change_clock(k: int) -> np.ndarray:
        # per-route change times, a ring of recently changed routes, its size, the clock
        mod = np.zeros(k + _CHANGE_RING + 2, dtype=np.int64)
        mod[-2] = _CHANGE_RING
        return mod

    def state(self) -> tuple:
        return (self.path, self.rlen, self.e0, self.e1, self.la0, self.la1, self.load,
                self.rcost, self.route_of, self.absent, self.nabs)

    def load_routes(self, routes: list[list[int]]) -> int | None:
        """Make ``routes`` (matrix nodes per vehicle) current; None if one is infeasible."""
        src = np.zeros_like(self.path)
        lens = np.zeros_like(self.rlen)
        for v, route in enumerate(routes):
            if len(route) > src.shape[1]:
                return None
            src[v, : len(route)] = [self.a.index[x] for x in route]
            lens[v] = len(route)
        a = self.a
        obj = kn.load_routes(src, lens, *self.state(), a.node, a.veh, a.wlo, a.whi, a.tm, a.cm,
                             a.fixed, a.has_soft, self.work[14], self.work[15])
        if (self.rcost >= kn.INF).any():
            return None
        return int(obj)

    def construct(self, obj: int, regret_k: int = 0) -> int:
        a = self.a
        return int(kn.construct(*self.state(), *a.problem_args(), a.allowed, a.far, a.dep_ptr,
                                a.dep_other, a.dep_gap, a.dep_kind, a.vday, a.has_soft, a.maxlen,
                                self.work, obj, regret_k))

    def polish(self, obj: int, cfg: RuinRecreateConfig) -> int:
        a = self.a
        return int(kn.polish(*self.state(), *a.problem_args(), a.allowed, a.near, a.far,
                             a.dep_ptr, a.dep_other, a.dep_gap, a.dep_kind, a.vday, a.has_soft,
                             a.maxlen, self.work, obj, min(cfg.granular, cfg.neighbours),
                             kn.POLISH_ROUNDS))

    def exchange(self, obj: int, cfg: RuinRecreateConfig, neighbours: int) -> int:
        a = self.a
        return int(kn.exchange(*self.state(), *a.problem_args(), a.allowed, a.near, a.far,
                               a.dep_ptr, a.dep_other, a.dep_gap, a.dep_kind, a.vday, a.has_soft,
                               a.maxlen, self.work, obj, min(cfg.granular, cfg.neighbours),
                               min(neighbours, cfg.neighbours), kn.POLISH_ROUNDS))

    def keep_best(self) -> None:
        self.best_path[:] = self.path
        self.best_len[:] = self.rlen

    def run(self, it_from: int, it_to: int, cur: int, best: int, epoch0: int, t_hi: float,
            t_lo: float, cfg: RuinRecreateConfig) -> tuple[int, int]:
        a = self.a
        params = (float(cfg.avg_removed), float(cfg.max_string), float(cfg.split_rate),
                  float(cfg.split_depth), float(cfg.blink_rate), float(cfg.route_removal),
                  float(cfg.room_rate), float(min(cfg.granular, cfg.neighbours)),
                  float(cfg.polish_every), float(cfg.regret_k), float(cfg.tails_on_best))
        base = _ORDER_WEIGHTS if cfg.window_orders else (*_ORDER_WEIGHTS[:4], 0.0, 0.0)
        weights = np.array((*base, cfg.long_first if a.mixed_service else 0.0, cfg.regret),
                           dtype=np.float64)
        cur, best = kn.run(it_from, it_to, cur, best, epoch0, t_hi, t_lo, params, weights,
                           *a.problem_args(), a.allowed, a.near, a.far, a.dep_ptr, a.dep_other,
                           a.dep_gap, a.dep_kind, a.vday, a.has_soft, a.maxlen, *self.state(),
                           self.best_path, self.best_len, self.work)
        return int(cur), int(best)

    def best_routes(self) -> list[list[int]]:
        ids = self.a.ids
        return [[ids[u] for u in self.best_path[v, : self.best_len[v]]]
                for v in range(self.best_len.shape[0])]

    def average_arc(self) -> float:
        used = self.rlen > 0
        arcs = int((self.rlen[used] + 1).sum())
        if not arcs:
            return 1.0
        costs = self.rcost[used]
        return max(1.0, float(costs[costs < kn.INF].sum() - self.a.fixed * used.sum()) / arcs)


def _solution(problem: CoreProblem, routes: list[list[int]], objective: int) -> CoreSolution:
    starts, v_start, v_end, breaks = [], [], [], []
    for v, route in enumerate(routes):
        sched = schedule(problem, v, route)
        if sched is None:
            raise ValueError(f"route of vehicle {v} is not feasible")
        starts.append(sched.starts)
        v_start.append(sched.depart)
        v_end.append(sched.back)
        breaks.append(sched.break_start)
    served = {n for r in routes for n in r}
    dropped = [n for n in problem.nodes if n not in served]
    # like OR-Tools: a solution leaving out a mandatory node is no solution
    found = all(problem.nodes[n].penalty is not None for n in dropped)
    return CoreSolution([list(r) for r in routes], starts, v_start, v_end, breaks, dropped,
                        objective, found=found)


def is_feasible(problem: CoreProblem, routes: list[list[int]]) -> bool:
    """Every route on time and within capacity, allowed vehicles and dependencies kept."""
    seen: dict[int, int] = {}
    for v, route in enumerate(routes):
        for node in route:
            allowed = problem.nodes[node].allowed_vehicles
            if node in seen or (allowed is not None and v not in allowed):
                return False
            seen[node] = v
        if route and schedule(problem, v, route) is None:
            return False
    days = problem.vehicle_day or [0] * len(problem.vehicles)
    for dep in problem.dependencies:
        if dep.after in seen and (dep.before not in seen or
                                  days[seen[dep.after]] < days[seen[dep.before]] + dep.min_days):
            return False
    return True


def improve(problem: CoreProblem, routes: list[list[int]], time_limit_s: float,
            cfg: RuinRecreateConfig | None = None,
            stats: SearchStats | None = None,
            keep: Callable[[int], float] | None = None) -> CoreSolution | None:
    """Improve feasible ``routes`` (one list per vehicle) by SISR for ``time_limit_s`` seconds.

    Returns the best solution found, never one with a higher objective than the input (arc
    costs + fixed vehicle costs + soft lateness + penalties of unserved nodes). Returns None,
    without searching, if the problem has a feature listed by :func:`unsupported_features` or
    the input routes are not feasible. Nodes missing from the input are first inserted greedily
    (most important first; by regret with ``cfg.regret_start``). ``found`` is False if a node
    without drop penalty is left unserved. For one seed the search visits the same solutions in
    the same order whatever the limit, so a longer limit returns an objective at most as high
    (not with ``cfg.anneal_by_time``). With ``cfg.cpu_clock`` the limit counts CPU seconds of
    this process. ``keep(left_out)`` (seconds, from the number of nodes the best solution so far
    leaves out) ends the search that long before its limit: time the caller needs afterwards in
    proportion to what is left out, e.g. to explain it.
    """
    cfg = cfg or RuinRecreateConfig()
    clock = time.process_time if cfg.cpu_clock else time.perf_counter
    t0 = clock()
    deadline = t0 + time_limit_s
    stats = stats if stats is not None else SearchStats()
    routes = [list(r) for r in routes]
    if unsupported_features(problem) or not is_feasible(problem, routes):
        return None
    if not problem.nodes:
        return _solution(problem, routes, 0)
    arrays = _Arrays(problem, cfg)
    search = _Search(arrays)
    input_cost = search.load_routes(routes)
    if input_cost is None:
        return None
    kn.seed_rng(cfg.seed)
    start_k = cfg.regret_k if cfg.regret_start else 0
    current = search.construct(input_cost, start_k) if search.nabs[0] else input_cost
    if cfg.polish_start:
        current = search.polish(current, cfg)
    search.keep_best()
    best = current
    stats.construct_s = clock() - t0
    scale = search.average_arc()
    t_hi, t_lo = cfg.t_start * scale, cfg.t_end * scale
    epoch0 = cfg.epoch_iterations or 1000 + 20 * len(arrays.ids)
    it, batch = 0, 16
    limit = cfg.max_iterations if cfg.max_iterations is not None else 1 << 62
    search_from = clock()
    n_nodes = len(arrays.ids)
    while it < limit:
        now = clock()
        if now >= deadline or (
                keep is not None and now >= deadline - keep(n_nodes - int(search.best_len.sum()))):
            break
        step = min(batch, limit - it)
        b0 = now
        if cfg.anneal_by_time:
            current, best = _run_at(search, it, step, current, best, t_hi, t_lo,
                                    (now - search_from) / max(deadline - search_from, 1e-9), cfg)
        else:
            current, best = search.run(it, it + step, current, best, epoch0, t_hi, t_lo, cfg)
        it += step
        took = clock() - b0
        # batches of about 20 ms keep the time check cheap and the overrun small
        if took < 0.01:
            batch *= 2
        elif took > 0.04 and batch > 1:
            batch //= 2
    stats.iterations = it
    stats.insertions = int(search.work[13][0])
    if it:
        # the best solution's last recreate skipped positions by blinks: place what still fits
        best_routes = search.best_routes()
        search.load_routes(best_routes)
        final = search.construct(best)
        if final < best:
            search.keep_best()
            best = final
        if cfg.polish_end:
            search.load_routes(search.best_routes())
            final = search.polish(best, cfg)
            if final < best:
                search.keep_best()
                best = final
        if cfg.tails_end:
            search.load_routes(search.best_routes())
            final = search.exchange(best, cfg, cfg.tails_end)
            if final < best:
                search.keep_best()
                best = final
    stats.search_s = clock() - t0 - stats.construct_s
    best_routes = search.best_routes()
    if best > input_cost or not is_feasible(problem, best_routes):
        return _solution(problem, routes, input_cost)
    return _solution(problem, best_routes, best)


def polish(problem: CoreProblem, routes: list[list[int]],
           cfg: RuinRecreateConfig | None = None) -> CoreSolution | None:
    """Feasible ``routes`` taken to a local optimum of relocate moves, then refilled.

    Every served node without day dependencies moves to its cheapest position in any route
    (``cfg.granular``: in routes near it) while that lowers the objective; the time freed is
    then offered to unserved nodes, most important and longest first. The objective never
    rises. None, as :func:`improve`, for unsupported problems or infeasible routes.
    """
    cfg = cfg or RuinRecreateConfig()
    return _local_search(problem, routes, cfg, lambda search, obj: search.polish(obj, cfg))


def exchange(problem: CoreProblem, routes: list[list[int]], neighbours: int = 20,
             cfg: RuinRecreateConfig | None = None) -> CoreSolution | None:
    """Feasible ``routes`` taken to a local optimum of tail exchanges (2-opt*), then refilled.

    A served node goes straight on to one of its ``neighbours`` nearest nodes in another route
    and the two routes swap the rest while that lowers the objective (both routes re-timed
    exactly); the time freed is then offered to unserved nodes, most important and longest
    first. The objective never rises. Problems with day dependencies come back unchanged.
    None, as :func:`improve`, for unsupported problems or infeasible routes.
    """
    cfg = cfg or RuinRecreateConfig()
    return _local_search(problem, routes, cfg,
                         lambda search, obj: search.exchange(obj, cfg, neighbours))


def _local_search(problem: CoreProblem, routes: list[list[int]], cfg: RuinRecreateConfig,
                  move: Callable[[_Search, int], int]) -> CoreSolution | None:
    """``move`` applied to feasible ``routes`` loaded into a search; None as polish/exchange."""
    routes = [list(r) for r in routes]
    if unsupported_features(problem) or not is_feasible(problem, routes):
        return None
    if not problem.nodes:
        return _solution(problem, routes, 0)
    search = _Search(_Arrays(problem, cfg))
    obj = search.load_routes(routes)
    if obj is None:
        return None
    obj = move(search, obj)
    search.keep_best()
    return _solution(problem, search.best_routes(), obj)


def _run_at(search: _Search, it: int, step: int, current: int, best: int, t_hi: float,
            t_lo: float, frac: float, cfg: RuinRecreateConfig) -> tuple[int, int]:
    """One batch at the temperature of ``frac`` of the limit (one epoch as long as the run)."""
    temp = t_hi * (t_lo / t_hi) ** min(1.0, frac)
    return search.run(it, it + step, current, best, 1 << 62, temp, temp, cfg)


_kernels_loaded = False


def load_kernels() -> None:
    """Compile the kernels unless another process has (or is: then wait for it); once a process.

    Every search calls it first: processes starting together on a fresh install would otherwise
    each compile a copy at the same moment. It does not load the kernels into this process
    when they are compiled already (:func:`warm` does).
    """
    global _kernels_loaded
    if _kernels_loaded:
        return
    _kernels_loaded = True  # warm() below searches too
    with kernel_cache.compiled(kn.__file__) as must_compile:
        if must_compile:
            warm()


def warm() -> None:
    """Load (or compile, on the first run of an install) every kernel on a tiny problem.

    Numba caches the compiled code on disk; loading it takes about a second per process. A
    long-lived worker calls this once at start so that no solve pays it inside its time limit.
    """
    cost = np.array([[0, 5, 5], [5, 0, 5], [5, 5, 0]], dtype=np.int64)
    nodes = {1: CoreNode(10, [(0, 100), (200, 300)], penalty=100, soft_due=50, soft_cost=1),
             2: CoreNode(10, [(0, 300)], penalty=100)}
    vehicles = [CoreVehicle(0, 0, 0, 400, capacity=5, max_span=400, break_=(0, 200, 10))]
    # No time limit: on a fresh install compiling the construction takes longer than any
    # sensible limit, and a search stopped by it before its first iteration would leave the
    # main loop (`kernels.run`) to be compiled by the first real solve.
    improve(CoreProblem(cost, cost, nodes, vehicles, 400), [[]], math.inf,
            RuinRecreateConfig(max_iterations=2))


def evaluate(problem: CoreProblem, routes: list[list[int]]) -> CoreSolution:
    """``routes`` (feasible) as a solution with its objective, as :func:`improve` counts it."""
    total = 0
    for v, route in enumerate(routes):
        if not route:
            continue
        veh = problem.vehicles[v]
        path = [veh.start, *route, veh.end]
        total += int(sum(int(problem.cost[a, b]) for a, b in itertools.pairwise(path)))
        total += problem.fixed_vehicle_cost
        sched = schedule(problem, v, route)
        for node, start in zip(route, sched.starts, strict=True):
            nd = problem.nodes[node]
            if nd.soft_due is not None and nd.soft_cost > 0 and start > nd.soft_due:
                total += (start - nd.soft_due) * nd.soft_cost
    served = {n for r in routes for n in r}
    total += sum(problem.nodes[n].penalty if problem.nodes[n].penalty is not None else MANDATORY
                 for n in problem.nodes if n not in served)
    return _solution(problem, routes, total)
