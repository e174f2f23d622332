"""Solomon loader, scaled integer convention and the independent checker."""

from __future__ import annotations

import pytest

from dispatch import solomon
from dispatch.solver import SearchConfig, solve_core

TINY = """TINY

VEHICLE
NUMBER     CAPACITY
   2         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0        100          0
    1      3          4          6          0         50          5
    2      0          1          5         10         12          2
    3      1          1          4          0        100          1
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "TINY.txt"
    path.write_text(TINY)
    return solomon.load(path)


def test_loader_reads_fleet_capacity_and_customers(tiny):
    assert (tiny.name, tiny.vehicles, tiny.capacity) == ("TINY", 2, 10)
    assert [c.number for c in tiny.customers] == [0, 1, 2, 3]
    assert tiny.customers[2].ready == 10
    assert tiny.customers[2].service == 2


def test_distances_are_truncated_to_one_decimal_times_ten(tiny):
    m = tiny.distance_matrix()
    assert m[0, 1] == 50  # 5.0 exactly
    assert m[0, 3] == 14  # sqrt(2) = 1.414 -> 1.4


def test_checker_accepts_a_valid_solution_and_sums_truncated_arcs(tiny):
    res = solomon.check(tiny, [[1], [2, 3]])
    assert res.valid, res.errors
    assert res.distance == pytest.approx(5.0 + 5.0 + 1.0 + 1.0 + 1.4)
    assert res.vehicles == 2


def test_checker_rejects_capacity_late_service_and_missing_customer(tiny):
    assert any("capacity" in e for e in solomon.check(tiny, [[1, 2, 3]]).errors)
    # 1 is served 5..10, then 2 is reached at 14.2, after its due time 12
    assert any("due 12" in e for e in solomon.check(tiny, [[1, 2], [3]]).errors)
    assert any("served 0 times" in e for e in solomon.check(tiny, [[1], [2]]).errors)
    assert any("served 2 times" in e for e in solomon.check(tiny, [[1, 3], [2, 3]]).errors)


def test_routing_core_solves_tiny_instance_validly(tiny):
    sol = solve_core(solomon.to_core(tiny), SearchConfig(time_limit_s=0.5))
    res = solomon.check(tiny, sol.routes)
    assert res.valid, res.errors
    assert "Route #1:" in solomon.format_routes(sol.routes, res.distance)
