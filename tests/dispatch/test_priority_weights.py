"""Drop penalties by priority weight: the weights decide the trade, must-do stays above all."""

from __future__ import annotations

import json

import pytest

from dispatch import Break, Lock, Shift, SolverSettings, solve, translate, wire
from dispatch.cityday import from_instance, instance_from_problem, priority_weights
from dispatch.verify import verify_plan
from tests.dispatch.conftest import DAY, DEPOT, at, near, problem, shift, tech, visit
from tests.dispatch.daycheck import GridProvider

GRID = GridProvider()
FILE_WEIGHTS = (1, 3, 8, 50, 100)  # the benchmark days' weighted share
TENFOLD = (1, 10, 100, 1_000, 10_000)  # the product default


def planned(prob) -> set[str]:
    """The visits of the plan, which the independent re-simulation must find valid."""
    plan = solve(prob, provider=GRID)
    verdict = verify_plan(prob, plan, GRID)
    assert not verdict.errors, verdict.errors
    return {s.visit_id for r in plan.routes for s in r.stops}


def one_technician(end_h: int, end_m: int = 0) -> list:
    return [tech("a", shifts=[Shift(DAY, at(8), at(end_h, end_m), DEPOT, DEPOT)])]


def three_minor_or_one_major(weights: tuple[int, ...]):
    """A 3.5-hour day that holds three 1-hour priority-2 visits or one 3-hour priority-3 one.

    Two lower visits never outweigh one of the next priority at 1/3/8/50/100 either (2 x 1 < 3,
    2 x 3 < 8): three are the smallest set on which the two weightings disagree.
    """
    minor = [visit(f"p2_{i}", near(0.5 + 0.1 * i), duration=60, priority=2) for i in range(3)]
    major = visit("p3", near(0.5, 0.5), duration=180, priority=3)
    return problem(one_technician(11, 30), [*minor, major], priority_weights=weights)


def test_the_default_weights_are_tenfold_per_priority_step():
    assert SolverSettings().priority_weights == TENFOLD


def test_with_weights_1_3_8_three_priority_2_visits_outweigh_one_priority_3_visit():
    # 3 x 3 = 9 > 8
    assert planned(three_minor_or_one_major(FILE_WEIGHTS)) == {"p2_0", "p2_1", "p2_2"}


def test_with_tenfold_weights_one_priority_3_visit_outweighs_three_priority_2_visits():
    # 3 x 10 = 30 < 100
    assert planned(three_minor_or_one_major(TENFOLD)) == {"p3"}


@pytest.mark.parametrize("must_do", [
    {"priority": 5},
    {"priority": 1, "sla_due": at(17)},  # due today: must-do whatever its priority
])
def test_a_must_do_visit_outweighs_every_other_visit_a_day_holds_under_the_file_weights(must_do):
    # four priority-4 visits weigh 200, a priority-5 one 100: only must-do dominance keeps it
    others = [visit(f"p4_{i}", near(0.3 + 0.1 * i), duration=50, priority=4) for i in range(4)]
    urgent = visit("urgent", near(0.2, 0.2), duration=200, **must_do)
    prob = problem(one_technician(12), [*others, urgent], priority_weights=FILE_WEIGHTS)
    assert planned(prob) == {"urgent"}


def test_without_must_do_the_file_weights_keep_the_heavier_set():
    # the same day with the long visit an ordinary priority-4 one: four of them (200) beat it (50)
    others = [visit(f"p4_{i}", near(0.3 + 0.1 * i), duration=50, priority=4) for i in range(4)]
    big = visit("long_p4", near(0.2, 0.2), duration=200, priority=4)
    prob = problem(one_technician(12), [*others, big], priority_weights=FILE_WEIGHTS)
    assert planned(prob) == {f"p4_{i}" for i in range(4)}


def three_far_or_one_near(visit_value: int):
    """Equal served weight (3 x 1 = 3): three priority-1 visits 2 km out or one priority-2 near."""
    far = [visit(f"p1_{i}", near(2 + 0.1 * i), duration=60, priority=1) for i in range(3)]
    close = visit("p2", near(0.2), duration=180, priority=2)
    return problem(one_technician(11, 15), [*far, close], priority_weights=FILE_WEIGHTS,
                   visit_value=visit_value)


def test_at_equal_served_weight_less_travel_wins_without_a_visit_value():
    assert planned(three_far_or_one_near(0)) == {"p2"}


def test_at_equal_served_weight_a_visit_value_makes_more_visits_win():
    # about 8 more minutes of driving, against 2 x 1000 s of visit value
    assert planned(three_far_or_one_near(1000)) == {"p1_0", "p1_1", "p1_2"}


def test_a_visit_value_that_could_outweigh_a_priority_step_is_refused():
    with pytest.raises(ValueError, match="visit_value"):
        SolverSettings(visit_value=SolverSettings.drop_penalty_base // 1000 + 1)


@pytest.mark.parametrize("weights", [FILE_WEIGHTS, TENFOLD])
def test_must_do_committed_and_in_progress_margins_do_not_depend_on_the_weights(weights):
    base = 1_000
    must = visit("m", priority=5)
    locked = visit("l", priority=4, lock=Lock.TECHNICIAN, locked_technician_id="a")
    running = visit("r", priority=1, lock=Lock.IN_PROGRESS, locked_technician_id="a",
                    locked_start=at(9))
    assert translate.priority_penalty(must, base, None, weights) == base * (
        weights[4] + translate.MUST_DO_FACTOR)
    assert translate.priority_penalty(locked, base, None, weights) == base * weights[3] * 10
    assert translate.priority_penalty(running, base, None, weights) == base * 10**7
    # any visit that is not must-do, even committed, weighs less than a must-do one
    assert base * weights[3] * 10 < base * translate.MUST_DO_FACTOR


@pytest.mark.parametrize("weights", [
    (1, 3, 8, 50),  # four priorities
    (0, 3, 8, 50, 100),  # a visit that costs nothing to drop
    (1, 8, 3, 50, 100),  # priority 3 below priority 2
    (1, 3, 8, 10_000, 10_000),  # a committed priority-4 visit would weigh as a must-do one
    (1, 3, 8, 50, 10_001),
    (1.0, 3, 8, 50, 100),
])
def test_priority_weights_that_would_break_the_order_are_refused(weights):
    with pytest.raises(ValueError, match="priority_weights"):
        SolverSettings(priority_weights=weights)


def test_priority_weights_survive_the_wire_to_a_zone_worker():
    prob = problem(one_technician(12), [visit("v")], priority_weights=FILE_WEIGHTS)
    back = wire.problem_from_data(json.loads(json.dumps(wire.problem_to_data(prob))))
    assert back.settings.priority_weights == FILE_WEIGHTS


def test_a_city_day_is_solved_with_the_priority_weights_its_file_states():
    from dispatch.travel import GeodesicProvider

    lunch = Break(at(11, 30), at(13, 30), 60)
    prob = problem([tech("a", shifts=[shift(brk=lunch)])], [visit("v", windows=[(at(9), at(11))])],
                   priority_weights=TENFOLD)
    inst = instance_from_problem(prob, GeodesicProvider(), "tiny")
    inst["priority_weight"] = {"1": 1, "2": 2, "3": 4, "4": 40, "5": 90}
    assert priority_weights(inst) == (1, 2, 4, 40, 90)
    stated = from_instance(inst).problem.settings
    assert stated.priority_weights == (1, 2, 4, 40, 90)
    assert stated.visit_value == stated.drop_penalty_base // 1000  # count before travel
    own = from_instance(inst, settings=SolverSettings(), file_weights=False).problem.settings
    assert (own.priority_weights, own.visit_value) == (TENFOLD, 0)
