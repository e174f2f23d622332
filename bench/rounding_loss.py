"""Planned against real drive time of our plans on a city day, per time unit (docs/benchmarks.md).

``python bench/rounding_loss.py ../shared/bench/city/dev_m_t90.json``: solves the day at 40,000
iterations (seed 0) for each unit and sums, over the legs of the plan, the drive the planner
reserved (whole ticks) against the file's seconds.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace

from dispatch import cityday, solve, translate


def main(path: str) -> None:
    city = cityday.load(path)
    for unit in (60, 30, 10, 1):
        settings = replace(city.problem.settings, time_unit_s=unit, search_iterations=40000,
                           time_limit_s=900)
        problem = replace(city.problem, settings=settings)
        tr = translate.build(problem, city.provider)
        plan = solve(problem, provider=city.provider)
        planned = actual = legs = 0
        for r in plan.routes:
            veh = tr.core.vehicles[tr.vehicle_at(r.technician_id, r.day, r.start)]
            path = [veh.start, *[tr.visit_node[s.visit_id] for s in r.stops], veh.end]
            for a, b in itertools.pairwise(path):
                planned += int(tr.core.time[a, b]) * unit
                actual += int(tr.core.cost[a, b])  # travel_cost "time": the drive in seconds
                legs += 1
        lost = (planned - actual) / 60
        print(f"{unit:>2} s  placed {plan.kpis.assigned}  legs {legs}  planned drive "
              f"{planned / 3600:.2f} h  real {actual / 3600:.2f} h  lost {lost / legs:.2f} min a "
              f"leg, {lost / max(1, len(plan.routes)):.2f} min a route")


if __name__ == "__main__":
    main(sys.argv[1])
