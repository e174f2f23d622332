"""Reference solvers for city-day benchmarks: VROOM (pyvroom) and plain OR-Tools.

Both read a city-day instance (``dispatch.cityday`` format: seconds, fixed matrix) as it is and
return a plan in check_city.py's format, so that they and our planner are compared on the same
instance and matrix. pyvroom is a bench-only extra (``pip install -e '.[bench]'``), imported
only when VROOM is run.
"""

from __future__ import annotations

from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

CityPlan = dict[str, Any]
# drop penalty per unit of priority weight (1/3/8/50/100): above any one visit's detour, so the
# served weight comes first and travel second, as in the files' objective
PENALTY_PER_WEIGHT = 100_000


def _end(tech: dict[str, Any]) -> int:
    return min(tech["shift"][1], tech["shift"][0] + tech["max_duty"])


def solve_vroom(inst: dict[str, Any], exploration: int = 1, threads: int = 2,
                timeout_s: float | None = None) -> CityPlan:
    """VROOM on the instance: jobs with skills, windows and priority weights; lunch breaks."""
    import datetime

    import vroom  # bench-only dependency

    skills = {name: k for k, name in enumerate(sorted({s for t in inst["technicians"]
                                                        for s in t["skills"]}
                                                       | {s for v in inst["visits"]
                                                          for s in v["skills"]}))}
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=inst["matrix"])
    for k, t in enumerate(inst["technicians"]):
        brk = t["break"]
        problem.add_vehicle(vroom.Vehicle(
            k, start=t["depot_index"], end=t["depot_index"],
            skills={skills[s] for s in t["skills"]},
            time_window=vroom.TimeWindow(t["shift"][0], _end(t)),
            breaks=[vroom.Break(k, time_windows=[vroom.TimeWindow(*brk["start_window"])],
                                service=brk["duration"])],
        ))
    for i, v in enumerate(inst["visits"]):
        problem.add_job(vroom.Job(
            i, location=v["matrix_index"], default_service=v["service"],
            skills={skills[s] for s in v["skills"]}, priority=v["weight"],
            time_windows=[vroom.TimeWindow(*v["time_window"])],
        ))
    timeout = None if timeout_s is None else datetime.timedelta(seconds=timeout_s)
    sol = problem.solve(exploration_level=exploration, nb_threads=threads, timeout=timeout)
    raw = sol.to_dict()
    routes = []
    for r in raw.get("routes", []):
        steps = [{"type": s["type"], "id": s.get("id"), "location_index": s.get("location_index"),
                  "arrival": s["arrival"], "waiting_time": s.get("waiting_time", 0)}
                 for s in r["steps"]]
        routes.append({"technician_index": r["vehicle"], "steps": steps})
    return {"routes": routes, "unassigned": [u["id"] for u in raw.get("unassigned", [])]}


def solve_ortools(inst: dict[str, Any], time_limit_s: float,
                  first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
                  metaheuristic: str = "GUIDED_LOCAL_SEARCH") -> CityPlan:
    """Plain OR-Tools routing in seconds: windows, shifts, skills, break intervals, drop penalties.

    The lunch is a break interval that may fall anywhere outside a visit's service (also during a
    drive or a wait), as in the files' rule.
    """
    techs, visits, matrix = inst["technicians"], inst["visits"], inst["matrix"]
    depots = [t["depot_index"] for t in techs]
    # node 0..len(matrix)-1 are the matrix rows; vehicles start and end at their depot row
    manager = pywrapcp.RoutingIndexManager(len(matrix), len(techs), depots, depots)
    routing = pywrapcp.RoutingModel(manager)
    service = [0] * len(matrix)
    for v in visits:
        service[v["matrix_index"]] = v["service"]
    travel_cb = routing.RegisterTransitMatrix(matrix)
    routing.SetArcCostEvaluatorOfAllVehicles(travel_cb)
    transit = [[matrix[i][j] + service[i] for j in range(len(matrix))] for i in range(len(matrix))]
    time_cb = routing.RegisterTransitMatrix(transit)
    horizon = 86_400
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    dim = routing.GetDimensionOrDie("Time")
    by_row = {}
    for i, v in enumerate(visits):
        index = manager.NodeToIndex(v["matrix_index"])
        by_row[v["matrix_index"]] = i
        dim.CumulVar(index).SetRange(*v["time_window"])
        allowed = [k for k, t in enumerate(techs) if set(v["skills"]) <= set(t["skills"])]
        # SetAllowedVehiclesForIndex raises TypeError from Python in ortools 9.15
        routing.VehicleVar(index).SetValues([-1, *allowed])
        routing.AddDisjunction([index], PENALTY_PER_WEIGHT * v["weight"])
    for row in set(depots):
        if row in by_row:
            raise ValueError("a depot row is also a visit row")
    solver = routing.solver()
    node_transit = [0] * routing.Size()
    for index in range(routing.Size()):
        node_transit[index] = service[manager.IndexToNode(index)]
    for k, t in enumerate(techs):
        dim.CumulVar(routing.Start(k)).SetRange(t["shift"][0], _end(t))
        dim.CumulVar(routing.End(k)).SetRange(t["shift"][0], _end(t))
        lo, hi = t["break"]["start_window"]
        brk = solver.FixedDurationIntervalVar(lo, hi, t["break"]["duration"], False, f"lunch{k}")
        dim.SetBreakIntervalsOfVehicle([brk], k, node_transit)
        routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.End(k)))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy,
                                             first_solution)
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic,
                                                metaheuristic)
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    assignment = routing.SolveWithParameters(params)
    if assignment is None:
        return {"routes": [], "unassigned": list(range(len(visits))), "found": False}
    return _ortools_plan(routing, manager, dim, assignment, techs, visits, by_row, service)


def _ortools_plan(routing, manager, dim, assignment, techs, visits, by_row, service) -> CityPlan:
    routes, served = [], set()
    intervals = assignment.IntervalVarContainer()
    lunch = {}
    for j in range(intervals.Size()):
        iv = intervals.Element(j)
        name = iv.Var().Name()
        if name.startswith("lunch"):
            lunch[int(name[5:])] = iv.StartValue()
    for k in range(len(techs)):
        index = assignment.Value(routing.NextVar(routing.Start(k)))
        jobs = []
        while not routing.IsEnd(index):
            row = manager.IndexToNode(index)
            start = assignment.Value(dim.CumulVar(index))
            jobs.append((by_row[row], start, start + service[row]))
            index = assignment.Value(routing.NextVar(index))
        if not jobs:
            continue
        served.update(i for i, _, _ in jobs)
        b = lunch.get(k)
        # the lunch goes after the last visit that ends by its start
        cut = len(jobs) if b is None else sum(1 for _, _, end in jobs if end <= b)
        steps = [{"type": "start"}]
        steps += [{"type": "job", "id": i} for i, _, _ in jobs[:cut]]
        steps.append({"type": "break"})
        steps += [{"type": "job", "id": i} for i, _, _ in jobs[cut:]]
        steps.append({"type": "end"})
        routes.append({"technician_index": k, "steps": steps})
    return {"routes": routes, "unassigned": [i for i in range(len(visits)) if i not in served]}
