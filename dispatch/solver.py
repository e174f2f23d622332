"""The OR-Tools routing model: the only module of the package that imports ortools.

``solve_core`` solves a :class:`~dispatch.core.CoreProblem` (integers only); ``solve`` translates a
field-service :class:`~dispatch.model.Problem` into one, solves it and returns a
:class:`~dispatch.model.Plan`.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch import explain, ruin_recreate, translate
from dispatch.core import CoreProblem, CoreSolution
from dispatch.model import Plan, Problem, Reason, SolverSettings, Unassigned
from dispatch.travel import MatrixProvider

ProgressCallback = Callable[[str, int], None]

_BIG_DAY = 10**6


@dataclass(frozen=True)
class SearchConfig:
    """Search parameters for one core solve."""

    time_limit_s: float = 10.0
    first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float | None = None
    iterated_local_search: bool = False  # ruin-and-recreate (SISR) with simulated annealing
    sisr_removed: int = 10
    improve_perturbed: bool = True
    log_search: bool = False
    mandatory: bool = False  # ignore drop penalties: every node must be served (may find nothing)
    # SISR ruin-and-recreate (dispatch.ruin_recreate) on problems it supports: the share of the
    # time limit it gets after the OR-Tools search, or the whole limit from its own construction
    ruin_recreate_share: float = 0.0
    ruin_recreate_only: bool = False
    ruin_recreate: ruin_recreate.RuinRecreateConfig = field(
        default_factory=ruin_recreate.RuinRecreateConfig)
    # extra RoutingSearchParameters fields as (dotted name, value), e.g.
    # ("local_search_operators.use_cross_exchange", 1) for BOOL_TRUE
    overrides: tuple[tuple[str, object], ...] = ()


def _search_parameters(cfg: SearchConfig) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, cfg.first_solution
    )
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, cfg.metaheuristic
    )
    if cfg.gls_lambda is not None:
        params.guided_local_search_lambda_coefficient = cfg.gls_lambda
    if cfg.iterated_local_search:
        _configure_ils(params, cfg)
    params.time_limit.FromMilliseconds(max(1, int(cfg.time_limit_s * 1000)))
    params.log_search = cfg.log_search
    for name, value in cfg.overrides:
        *parents, leaf = name.split(".")
        target = params
        for part in parents:
            target = getattr(target, part)
        setattr(target, leaf, value)
    return params


def _configure_ils(params, cfg: SearchConfig) -> None:
    params.use_iterated_local_search = True
    ils = params.iterated_local_search_parameters
    ils.improve_perturbed_solution = cfg.improve_perturbed
    rr = ils.ruin_recreate_parameters
    del rr.ruin_strategies[:]
    sisr = rr.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = cfg.sisr_removed
    sisr.avg_num_removed_visits = cfg.sisr_removed
    sisr.bypass_factor = 0.01
    sa = ils.reference_solution_acceptance_strategy.simulated_annealing
    sa.automatic_temperatures = True


class _Model:
    """An OR-Tools routing model built from a CoreProblem."""

    def __init__(self, problem: CoreProblem) -> None:
        self.problem = problem
        vehicles = problem.vehicles
        self.manager = pywrapcp.RoutingIndexManager(
            problem.size,
            len(vehicles),
            [v.start for v in vehicles],
            [v.end for v in vehicles],
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self._build()

    def _node_indices(self) -> dict[int, int]:
        return {node: self.manager.NodeToIndex(node) for node in self.problem.nodes}

    def _build(self) -> None:
        p, routing, manager = self.problem, self.routing, self.manager
        self.index_of = self._node_indices()
        # RegisterTransitMatrix keeps the arc evaluators in C++: Python callbacks would dominate
        # the run time on thousands of nodes.
        cost_cb = routing.RegisterTransitMatrix(p.cost.astype(int).tolist())
        routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
        if p.fixed_vehicle_cost:
            routing.SetFixedCostOfAllVehicles(p.fixed_vehicle_cost)
        service = [0] * p.size
        for node, n in p.nodes.items():
            service[node] = n.service
        transit = p.time.astype(int) + [[s] for s in service]
        time_cb = routing.RegisterTransitMatrix(transit.tolist())
        routing.AddDimension(time_cb, p.horizon, p.horizon, False, "Time")
        self.time_dim = routing.GetDimensionOrDie("Time")
        self._add_time_windows()
        self._add_vehicles()
        self._add_capacity()
        self._add_nodes()
        self._add_dependencies()
        self._add_breaks(service)
        for v in range(len(p.vehicles)):
            routing.AddVariableMaximizedByFinalizer(self.time_dim.CumulVar(routing.Start(v)))
            routing.AddVariableMinimizedByFinalizer(self.time_dim.CumulVar(routing.End(v)))
        del manager

    def _add_time_windows(self) -> None:
        for node, n in self.problem.nodes.items():
            cumul = self.time_dim.CumulVar(self.index_of[node])
            if not n.windows:
                continue
            cumul.SetRange(n.windows[0][0], n.windows[-1][1])
            for (_, hi), (lo, _) in zip(n.windows, n.windows[1:], strict=False):
                if lo - 1 >= hi + 1:
                    cumul.RemoveInterval(hi + 1, lo - 1)
            if n.soft_due is not None and n.soft_cost > 0:
                self.time_dim.SetCumulVarSoftUpperBound(
                    self.index_of[node], n.soft_due, n.soft_cost
                )

    def _add_vehicles(self) -> None:
        routing = self.routing
        for v, veh in enumerate(self.problem.vehicles):
            self.time_dim.CumulVar(routing.Start(v)).SetRange(veh.earliest, veh.latest)
            self.time_dim.CumulVar(routing.End(v)).SetRange(veh.earliest, veh.latest)
            if veh.max_span is not None:
                self.time_dim.SetSpanUpperBoundForVehicle(veh.max_span, v)

    def _add_capacity(self) -> None:
        p = self.problem
        if all(v.capacity is None for v in p.vehicles):
            return
        demand = [0] * p.size
        for node, n in p.nodes.items():
            demand[node] = n.demand
        cb = self.routing.RegisterUnaryTransitVector(demand)
        caps = [v.capacity if v.capacity is not None else 10**9 for v in p.vehicles]
        self.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "Load")

    def _add_nodes(self) -> None:
        routing = self.routing
        for node, n in self.problem.nodes.items():
            index = self.index_of[node]
            if n.allowed_vehicles is not None:
                # SetAllowedVehiclesForIndex raises TypeError from Python in ortools 9.15;
                # restricting the vehicle variable is equivalent and -1 keeps the node droppable.
                routing.VehicleVar(index).SetValues([-1, *n.allowed_vehicles])
            if n.penalty is not None:
                routing.AddDisjunction([index], n.penalty)

    def _add_dependencies(self) -> None:
        p = self.problem
        if not p.dependencies:
            return
        solver = self.routing.solver()
        days = p.vehicle_day or [0] * len(p.vehicles)
        for dep in p.dependencies:
            # Element index is vehicle + 1 so that -1 (unperformed) maps to slot 0: an unperformed
            # "before" forces "after" out too, an unperformed "after" satisfies anything.
            before = solver.Element([_BIG_DAY, *days], self.routing.VehicleVar(
                self.index_of[dep.before]) + 1)
            after = solver.Element([3 * _BIG_DAY, *days], self.routing.VehicleVar(
                self.index_of[dep.after]) + 1)
            solver.Add(after >= before + dep.min_days)

    def _add_breaks(self, service: list[int]) -> None:
        p = self.problem
        if not p.exact_breaks or all(v.break_ is None for v in p.vehicles):
            return
        solver = self.routing.solver()
        visit_transits = [0] * self.routing.Size()
        for node, index in self.index_of.items():
            visit_transits[index] = service[node]
        self.break_vars: dict[int, object] = {}
        for v, veh in enumerate(p.vehicles):
            if veh.break_ is None:
                continue
            lo, hi, dur = veh.break_
            interval = solver.FixedDurationIntervalVar(lo, hi, dur, False, f"break{v}")
            self.break_vars[v] = interval
            self.time_dim.SetBreakIntervalsOfVehicle([interval], v, visit_transits)

    def initial_assignment(self, routes: Sequence[Sequence[int]]):
        """An assignment from routes of matrix nodes (None if OR-Tools rejects them)."""
        indexed = [[self.index_of[n] for n in r] for r in routes]
        self.routing.CloseModelWithParameters(self._params)
        return self.routing.ReadAssignmentFromRoutes(indexed, True)

    def solve(
        self,
        cfg: SearchConfig,
        initial_routes: Sequence[Sequence[int]] | None = None,
        progress: ProgressCallback | None = None,
    ) -> CoreSolution:
        """Search within the time limit; return the best solution found (found=False if none)."""
        routing = self.routing
        self._params = _search_parameters(cfg)
        if progress is not None:
            routing.AddAtSolutionCallback(lambda: progress("search", routing.CostVar().Value()))
        assignment = None
        if initial_routes is not None:
            start = self.initial_assignment(initial_routes)
            if start is not None:
                assignment = routing.SolveFromAssignmentWithParameters(start, self._params)
        if assignment is None:
            assignment = routing.SolveWithParameters(self._params)
        if assignment is None:
            return _empty_solution(self.problem)
        return self._extract(assignment)

    def _extract(self, assignment) -> CoreSolution:
        p, routing, manager = self.problem, self.routing, self.manager
        routes, starts, v_start, v_end, breaks = [], [], [], [], []
        for v in range(len(p.vehicles)):
            index = routing.Start(v)
            v_start.append(assignment.Value(self.time_dim.CumulVar(index)))
            route, start = [], []
            index = assignment.Value(routing.NextVar(index))
            while not routing.IsEnd(index):
                route.append(manager.IndexToNode(index))
                start.append(assignment.Value(self.time_dim.CumulVar(index)))
                index = assignment.Value(routing.NextVar(index))
            v_end.append(assignment.Value(self.time_dim.CumulVar(index)))
            routes.append(route)
            starts.append(start)
            # break times are recomputed when the plan is timed (dispatch.core.schedule)
            breaks.append(None)
        served = {n for r in routes for n in r}
        dropped = [n for n in p.nodes if n not in served]
        return CoreSolution(
            routes, starts, v_start, v_end, breaks, dropped, int(assignment.ObjectiveValue())
        )


def _empty_solution(problem: CoreProblem) -> CoreSolution:
    k = len(problem.vehicles)
    return CoreSolution(
        [[] for _ in range(k)], [[] for _ in range(k)], [0] * k, [0] * k, [None] * k,
        list(problem.nodes), 0, found=False,
    )


def solve_core(
    problem: CoreProblem,
    cfg: SearchConfig,
    initial_routes: Sequence[Sequence[int]] | None = None,
    progress: ProgressCallback | None = None,
) -> CoreSolution:
    """Solve a core problem once; stops at ``cfg.time_limit_s`` with the best solution found.

    With ``cfg.ruin_recreate_only`` or ``cfg.ruin_recreate_share`` the SISR search of
    :mod:`dispatch.ruin_recreate` takes all or the last part of the limit, if the problem has no
    feature it cannot handle (otherwise OR-Tools gets the whole limit).
    """
    t0 = time.perf_counter()
    if progress is not None:
        progress("build", 0)
    if cfg.mandatory:
        problem = replace(problem, nodes={n: replace(node, penalty=None)
                                          for n, node in problem.nodes.items()})
    use_rr = (cfg.ruin_recreate_only or cfg.ruin_recreate_share > 0) and not (
        ruin_recreate.unsupported_features(problem))
    rr_cfg = cfg.ruin_recreate
    if use_rr and cfg.ruin_recreate_only:
        start = [list(r) for r in initial_routes] if initial_routes is not None else None
        if start is None or not ruin_recreate.is_feasible(problem, start):
            start = [[] for _ in problem.vehicles]
        sol = ruin_recreate.improve(problem, start, cfg.time_limit_s, rr_cfg)
        if sol is not None:
            return sol
    share = cfg.ruin_recreate_share if use_rr else 0.0
    model = _Model(problem)
    if progress is not None:
        progress("construct", 0)
    sol = model.solve(with_time_limit(cfg, cfg.time_limit_s * (1 - share)), initial_routes,
                      progress)
    left = cfg.time_limit_s - (time.perf_counter() - t0)
    if share > 0 and left > 0.05:
        # from OR-Tools' solution, or from scratch if it found none in its share of the time
        start = sol.routes if sol.found else [[] for _ in problem.vehicles]
        better = ruin_recreate.improve(problem, start, left, rr_cfg)
        if better is not None and (not sol.found or better.objective < sol.objective):
            sol = better
            if progress is not None:
                progress("search", sol.objective)
    return sol


def _solve_job(args) -> tuple[CoreSolution, float]:
    problem, cfg, routes = args
    t0 = time.perf_counter()
    return solve_core(problem, cfg, routes), time.perf_counter() - t0


def pool_context() -> mp.context.BaseContext:
    """The start method for the planner's process pools: fork when safe, forkserver otherwise.

    Fork is cheap and the children inherit the compiled kernels, but forking a process in which
    another thread runs (a browser driver, an asyncio child watcher) can copy a lock that thread
    holds, and the child then waits on it forever.
    """
    return mp.get_context("fork" if threading.active_count() == 1 else "forkserver")


def solve_core_portfolio(
    problem: CoreProblem,
    configs: Sequence[SearchConfig],
    initial_routes: Sequence[Sequence[int]] | None = None,
) -> CoreSolution:
    """Run several configurations in parallel processes and keep the best solution.

    "Best" is fewest dropped nodes, then lowest objective. With one config no process is spawned.
    """
    if len(configs) == 1:
        return solve_core(problem, configs[0], initial_routes)
    with pool_context().Pool(len(configs)) as pool:
        results = pool.map(_solve_job, [(problem, c, initial_routes) for c in configs])
    found = [r for r, _ in results if r.found]
    if not found:
        return results[0][0]
    return min(found, key=lambda s: (len(s.dropped), s.objective))


def with_time_limit(cfg: SearchConfig, seconds: float) -> SearchConfig:
    """A copy of ``cfg`` with another time limit."""
    return replace(cfg, time_limit_s=seconds)


def search_config(settings: SolverSettings) -> SearchConfig:
    """The core search configuration for field-service settings."""
    return SearchConfig(
        time_limit_s=settings.time_limit_s,
        first_solution=settings.first_solution,
        metaheuristic=settings.metaheuristic,
        gls_lambda=settings.gls_lambda,
    )


# share of the time limit kept for the explanations and the plan's read-back (at least 0.2 s)
_EXPLAIN_SHARE = 0.1


def _search(core: CoreProblem, settings: SolverSettings, progress, deadline: float,
            initial: list[list[int]] | None = None, explained: bool = True,
            by_left_out: bool = True) -> CoreSolution:
    if settings.engine == "ruin_recreate" and not ruin_recreate.unsupported_features(core):
        return _search_ruin_recreate(core, settings, progress, deadline, initial, explained,
                                     by_left_out)
    return _search_ortools(core, settings, progress, deadline, initial)


# from this many visits the recreate tries a visit only in routes near it (granular search):
# on 360 technicians x 2,000 visits about twice the iterations per CPU second
GRANULAR_FROM = 1000
GRANULAR_NEIGHBOURS = 100
# every this many iterations on those days the search can take its current solution to a local
# optimum of relocate moves (ruin_recreate.polish); 0: never. Off: on 360 x 2,000 it placed 4
# and 11 more visits at 25 CPU s but none at the 60 s wall limit (docs/benchmarks.md)
POLISH_EVERY = 0
# weight of the regret-3 recreate order beside the greedy orders (their weights sum to 18 on field
# days), and whether the best plan gets one relocate polish at the end. Off: neither placed more
# visits on the 500-visit days at equal work (docs/benchmarks.md)
REGRET_WEIGHT = 0.0
POLISH_END = False
# tail exchanges between routes (2-opt*, ruin_recreate.exchange) with this many nearest visits
# on each new best solution of the search, on days from TAILS_FROM visits below GRANULAR_FROM: at
# 2 CPU s 40 neighbours placed 2-4.5 more visits on the 500-visit days with 2.5-4.5 % less travel
# (more than 10 or 20), about 2 more at 8 s; on 150 visits 20 were level or one fewer
# (docs/benchmarks.md). TAILS_END: once on the best at the end; off, it found nothing more after
# the search had used it. 0: never
TAILS_ON_BEST = 40
TAILS_FROM = 300
TAILS_END = 0


def field_day_config(n_visits: int, settings: SolverSettings) -> ruin_recreate.RuinRecreateConfig:
    """The search's configuration for a day of ``n_visits`` visits under ``settings``."""
    return ruin_recreate.RuinRecreateConfig(
        seed=settings.seed, max_iterations=settings.search_iterations,
        granular=GRANULAR_NEIGHBOURS if n_visits >= GRANULAR_FROM else 0,
        polish_every=POLISH_EVERY if n_visits >= GRANULAR_FROM else 0,
        regret=REGRET_WEIGHT, polish_end=POLISH_END,
        tails_on_best=TAILS_ON_BEST if TAILS_FROM <= n_visits < GRANULAR_FROM else 0,
        tails_end=TAILS_END)


def explain_reserve(time_limit_s: float, n_visits: int) -> float:
    """Seconds of a solve's time limit kept after the search for explanations and timing, at most.

    The most a search ends before its solve's limit: 1.5 ms per visit, at least 0.2 s and a
    tenth of the limit, at most 30 % of the limit. The field-day search keeps less when it
    leaves few visits out (:func:`timing_reserve`, :func:`explain_keep`).
    """
    return min(0.3 * time_limit_s, max(0.2, _EXPLAIN_SHARE * time_limit_s, 0.0015 * n_visits))


# wall seconds to explain one left-out visit against its candidate routes: about 1.6 ms of CPU
# on a 500-visit day, doubled for a loaded machine (docs/benchmarks.md, 2026-12-01)
EXPLAIN_S_PER_LEFT_OUT = 0.003


def timing_reserve(time_limit_s: float, n_visits: int) -> float:
    """Seconds kept at the end of a solve for timing the routes into a plan (after explaining).

    0.2 ms per visit, at least 0.05 s, never more than :func:`explain_reserve`.
    """
    return min(explain_reserve(time_limit_s, n_visits), max(0.05, 0.0002 * n_visits))


def explain_keep(time_limit_s: float, n_visits: int) -> Callable[[int], float]:
    """Seconds a search keeps, beyond :func:`timing_reserve`, to explain ``left_out`` visits.

    :data:`EXPLAIN_S_PER_LEFT_OUT` each, so that the two together never exceed
    :func:`explain_reserve`.
    """
    cap = explain_reserve(time_limit_s, n_visits) - timing_reserve(time_limit_s, n_visits)
    return lambda left_out: min(cap, EXPLAIN_S_PER_LEFT_OUT * left_out)


def _search_ruin_recreate(core: CoreProblem, settings: SolverSettings, progress,
                          deadline: float, initial: list[list[int]] | None = None,
                          explained: bool = True, by_left_out: bool = True) -> CoreSolution:
    if progress is not None:
        progress("construct", 0)
    # the search ends early enough to explain what its best solution leaves out, then time it
    # (by_left_out False: the fixed explain_reserve, whatever is left out)
    n = len(core.nodes)
    keep = None
    if not explained:
        reserve = 0.0
    elif by_left_out:
        reserve = timing_reserve(settings.time_limit_s, n)
        keep = explain_keep(settings.time_limit_s, n)
    else:
        reserve = explain_reserve(settings.time_limit_s, n)
    left = max(0.0, deadline - time.perf_counter() - reserve)
    cfg = field_day_config(n, settings)
    # the last 5 % of the search's time is kept for placing missed must-do visits
    start = initial if initial is not None else [[] for _ in core.vehicles]
    sol = ruin_recreate.improve(core, start, 0.95 * left, cfg, keep=keep)
    if sol is None:  # cannot happen for problems without unsupported features
        raise RuntimeError("ruin-and-recreate declined a supported problem")
    must = settings.drop_penalty_base * translate.MUST_DO_FACTOR
    missed = [n for n in sol.dropped if (core.nodes[n].penalty or must) >= must]
    if missed:
        # a must-do visit is placed whenever any placement exists, displacing lesser work
        from dispatch.insertion import place_displacing  # local: insertion imports translate

        routes = [list(r) for r in sol.routes]
        explaining = keep(len(sol.dropped)) if keep is not None else 0.0
        place_displacing(core, routes, missed, deadline - reserve - explaining)
        better = ruin_recreate.evaluate(core, routes)
        if better.objective < sol.objective:
            sol = better
    if progress is not None:
        progress("search", sol.objective)
    return sol


def _search_ortools(core: CoreProblem, settings: SolverSettings, progress,
                    deadline: float, initial: list[list[int]] | None = None) -> CoreSolution:
    # local import: insertion builds on translate/explain, which build on this module's callers
    from dispatch.insertion import construct, repair

    cfg = search_config(settings)
    if initial is None and settings.construction == "insertion" and not core.dependencies:
        if progress is not None:
            progress("construct", 0)
        initial = construct(core)
    left = max(0.5, deadline - time.perf_counter() - _EXPLAIN_SHARE * settings.time_limit_s)
    cfg = with_time_limit(cfg, left)
    if settings.search_iterations is not None:
        # a fixed amount of work here too: the local search stops after this many solutions
        cfg = replace(cfg, overrides=(*cfg.overrides,
                                      ("solution_limit", max(1, settings.search_iterations))))
    sol = solve_core(core, cfg, initial_routes=initial, progress=progress)
    if sol.found and sol.dropped:
        sol.dropped = repair(core, sol.routes, sol.dropped)
    return sol


def solve(
    problem: Problem,
    *,
    time_limit_s: float | None = None,
    provider: MatrixProvider | None = None,
    progress: ProgressCallback | None = None,
    settings: SolverSettings | None = None,
) -> Plan:
    """Plan all visits of ``problem``; returns the best plan found within the time limit.

    ``settings`` (default ``problem.settings``) with ``time_limit_s`` overriding its limit.
    ``progress(phase, best_cost)`` is called with phases "precheck", "build", "construct",
    "search" (on every improving solution) and "explain". With ``settings.workers > 1`` the city
    is partitioned into zones solved in parallel processes (see ``dispatch.zones``).
    Every visit not in a route is in ``plan.unassigned`` with at least one reason, checked
    against the same day model the search used. The time limit bounds the whole call: pre-checks,
    travel matrix, construction, search, explanations and timing (the first call in a fresh
    install also compiles the search, once, into numba's cache).
    """
    deadline = time.perf_counter() + (time_limit_s or (settings or problem.settings).time_limit_s)
    settings = settings or problem.settings
    if time_limit_s is not None:
        settings = replace(settings, time_limit_s=time_limit_s)
    if settings is not problem.settings:
        problem = replace(problem, settings=settings)
    if settings.workers > 1:
        from dispatch import zones  # local import: zones calls back into solve()

        return zones.solve_by_zones(problem, provider=provider, progress=progress)
    if progress is not None:
        progress("precheck", 0)
    excluded = explain.precheck(problem)
    exact = breaks_exact(settings)
    if progress is not None:
        progress("build", 0)
    tr = translate.build(problem, provider, excluded, exact_breaks=exact)
    return solve_from(tr, excluded, None, settings, deadline, progress)


def breaks_exact(settings: SolverSettings) -> bool | None:
    """The ``exact_breaks`` of :func:`dispatch.translate.build` for a search under ``settings``."""
    return True if settings.engine == "ruin_recreate" else None


def search_routes(tr: translate.Translation, settings: SolverSettings, deadline: float,
                  progress: ProgressCallback | None = None,
                  initial: list[list[int]] | None = None, explained: bool = False,
                  by_left_out: bool = True
                  ) -> CoreSolution:
    """The search of :func:`solve` on ``tr`` until ``deadline``, from ``initial`` routes.

    ``initial`` (feasible, matrix nodes per vehicle; None: empty routes) as in
    :func:`solve_from`. With ``explained`` False no time is kept for reasons: for a part of a
    day whose left-out visits are explained later, on the whole day (a zone), or a search whose
    routes another process explains; with True the search ends where :func:`solve_from`'s does.
    ``by_left_out`` False keeps the fixed :func:`explain_reserve` instead of time in proportion
    to what the search leaves out (the zone merge, which also compares a second search's plan
    in that time, and which :func:`dispatch.zones.second_search_limit` times against it).
    """
    if not tr.core.nodes:
        return _empty_solution(tr.core)
    return _search(tr.core, settings, progress, deadline, initial, explained=explained,
                   by_left_out=by_left_out)


def solve_from(tr: translate.Translation, excluded: dict[str, list[Reason]],
               routes: list[list[int]] | None, settings: SolverSettings, deadline: float,
               progress: ProgressCallback | None = None) -> Plan:
    """The plan of the search on ``tr`` started from ``routes`` (None: from empty routes).

    ``routes`` (matrix nodes per vehicle of ``tr.core``) must be feasible; visits missing from
    them are inserted first, and the plan returned is never worse by the objective than them.
    ``excluded`` are the pre-check's reasons; ``deadline`` (a ``time.perf_counter()`` value)
    bounds the search, the explanations and the timing, as in :func:`solve`.
    """
    sol = search_routes(tr, settings, deadline, progress, routes, explained=True)
    return plan_of(tr, excluded, sol, deadline, progress)


def plan_of(tr: translate.Translation, excluded: dict[str, list[Reason]], sol: CoreSolution,
            deadline: float, progress: ProgressCallback | None = None) -> Plan:
    """The plan of search solution ``sol`` on ``tr``: left-out visits explained, routes timed.

    ``excluded`` are the pre-check's reasons; the explanations end before ``deadline`` (a
    ``time.perf_counter()`` value) with time left for the timing, as in :func:`solve`.
    """
    if progress is not None:
        progress("explain", sol.objective)
    unassigned = [Unassigned(vid, reasons) for vid, reasons in excluded.items()]
    # leave the plan's timing its share after the explanations
    timing = timing_reserve(tr.problem.settings.time_limit_s, len(tr.core.nodes))
    unassigned += explain.audit(tr, sol.routes, sol.dropped, deadline=deadline - timing)
    status = "ok" if sol.found else "no_solution"
    return translate.plan_from_routes(tr, sol.routes, unassigned, sol.objective, status)
