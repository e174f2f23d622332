"""Solving by zones keeps every rule, accounts for every visit and repairs across borders."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from dispatch import Lock, SolverSettings, citygen, solve
from dispatch import ruin_recreate as rr
from dispatch.solver import explain_reserve
from dispatch.travel import travel_model
from dispatch.verify import verify_plan
from dispatch.wire import problem_from_data, problem_to_data
from dispatch.zones import (
    DayRoutes,
    ZonePlan,
    ZoneRoute,
    merge,
    merge_time_limit,
    partition,
    search_joined,
    second_search_limit,
    solve_zone,
    split,
    zone_time_limit,
)
from tests.dispatch.conftest import (
    DAY,
    SEARCH_ITERATIONS,
    at,
    near,
    problem,
    shift,
    tech,
    visit,
)

WEST, EAST = near(0, -15), near(0, 15)


def city_to_search(seed, techs, visits):
    """A generated city day whose searches stop after SEARCH_ITERATIONS, as `problem`'s do."""
    return citygen.generate(seed, techs, visits,
                            settings=SolverSettings(search_iterations=SEARCH_ITERATIONS))


def two_districts(extra=()):
    """Two technicians 30 km apart, each with two visits around them."""
    techs = [tech("W", shifts=[shift(location=WEST)]), tech("E", shifts=[shift(location=EAST)])]
    visits = [visit(f"w{i}", near(i, -15)) for i in range(2)]
    visits += [visit(f"e{i}", near(i, 15)) for i in range(2)]
    return problem(techs, [*visits, *extra])


def test_partition_puts_every_technician_and_visit_in_exactly_one_zone():
    prob = citygen.generate(5, 60, 200)
    zones = partition(prob, 3)
    assert sorted(t.id for z in zones for t in z.technicians) == sorted(
        t.id for t in prob.technicians)
    assert sorted(v.id for z in zones for v in z.visits) == sorted(v.id for v in prob.visits)


def test_zones_follow_where_technicians_start():
    zones = split(two_districts(), 2)
    by_tech = {z.problem.technicians[0].id: {v.id for v in z.problem.visits} for z in zones}
    assert by_tech == {"W": {"w0", "w1"}, "E": {"e0", "e1"}}


def test_a_must_do_visit_goes_to_the_zone_of_a_technician_able_to_do_it():
    must = visit("stone", near(0, -15), skills={"stone": 1}, priority=5,
                 sla_due=at(16), sla_hard=True)
    prob = two_districts([must])
    prob = replace(prob, technicians=[prob.technicians[0],
                                      replace(prob.technicians[1], skills={"repair": 1,
                                                                           "stone": 1})])
    zone = next(z for z in split(prob, 2) if "stone" in {v.id for v in z.problem.visits})
    assert [t.id for t in zone.problem.technicians] == ["E"]


def test_a_visit_locked_to_a_technician_goes_to_that_technicians_zone():
    pinned = visit("pin", near(0, -15), lock=Lock.TECHNICIAN, locked_technician_id="E")
    zone = next(z for z in split(two_districts([pinned]), 2)
                if "pin" in {v.id for v in z.problem.visits})
    assert [t.id for t in zone.problem.technicians] == ["E"]


def test_zones_get_work_in_proportion_to_their_capacity():
    prob = citygen.generate(3, 40, 400)
    zones = split(prob, 4)
    share = [len(z.problem.visits) / len(z.problem.technicians) for z in zones]
    assert max(share) <= 1.5 * min(share), share


def test_merge_places_a_visit_its_zone_left_out_on_a_neighbours_route(check_plan):
    prob = two_districts()
    zones = split(prob, 2)
    plans = [
        ZonePlan(0, (ZoneRoute("W", DAY, ("w0",)),), ("w1",)),
        ZonePlan(1, (ZoneRoute("E", DAY, ("e0", "e1")),), ()),
    ]
    plan, report = merge(prob, plans, zones, time_limit_s=1)
    check_plan(plan, prob)
    assert plan.kpis.assigned == 4
    assert report.placed == 1


def test_merge_moves_a_visit_across_the_border_when_that_saves_travel(check_plan):
    far = visit("x", near(0, 14))  # next to E, but solved in W's zone
    prob = two_districts([far])
    zones = split(prob, 2)
    plans = [
        ZonePlan(0, (ZoneRoute("W", DAY, ("w0", "w1", "x")),), ()),
        ZonePlan(1, (ZoneRoute("E", DAY, ("e0", "e1")),), ()),
    ]
    zones = [replace(z, problem=replace(z.problem, visits=[
        v for v in prob.visits if v.id in ({"w0", "w1", "x"} if z.index == 0 else {"e0", "e1"})
    ])) for z in zones]
    plan, report = merge(prob, plans, zones, time_limit_s=1)
    check_plan(plan, prob)
    assert plan.route_of("x")[0].technician_id == "E"
    assert report.moved >= 1


def split_day():
    """One technician working 08-12 and 13-17, a visit bound to each half of the day."""
    techs = [tech("S", shifts=[shift(start=8, end=12), shift(start=13, end=17)])]
    visits = [visit("am", near(2), windows=[(at(8), at(12))]),
              visit("pm", near(-2), windows=[(at(13), at(17))])]
    return problem(techs, visits)


def test_merge_keeps_each_shift_route_of_a_technician_with_two_shifts_a_day(check_plan):
    prob = split_day()
    plans = [ZonePlan(0, (ZoneRoute("S", DAY, ("am",), at(8)),
                          ZoneRoute("S", DAY, ("pm",), at(13))), ())]
    plan, report = merge(prob, plans, time_limit_s=1)
    check_plan(plan, prob)
    assert report.placed == 0  # nothing lost between the zone plan and the merged plan
    assert plan.route_of("am")[0].start < at(12) <= at(13) <= plan.route_of("pm")[0].start


def test_a_zone_plan_names_the_shift_of_each_route():
    prob = split_day()
    plan = solve(prob)
    zone_plan = ZonePlan.from_plan(0, plan, prob)
    assert {(r.shift_start, r.visit_ids) for r in zone_plan.routes} == {
        (at(8), ("am",)), (at(13), ("pm",))}


def test_merge_refuses_a_route_without_shift_when_the_technician_has_two_that_day():
    plans = [ZonePlan(0, (ZoneRoute("S", DAY, ("am",)),), ("pm",))]
    with pytest.raises(ValueError, match="2 shifts that day"):
        merge(split_day(), plans, time_limit_s=1)


def test_zone_solve_returns_a_valid_plan_for_the_whole_city(check_plan):
    prob = city_to_search(7, 6, 50)
    plan = solve(prob, settings=replace(prob.settings, time_limit_s=2, workers=2))
    check_plan(plan, prob)
    assert plan.kpis.assigned > 0


def test_a_problem_survives_its_json_form_unchanged():
    prob = citygen.generate(2, 5, 30)
    pinned = visit("pin", near(1), lock=Lock.TECHNICIAN_TIME, locked_technician_id="T000",
                   locked_start=at(10), windows=[(at(9), at(12))], sla_due=at(12))
    prob = replace(prob, visits=[*prob.visits, pinned])
    again = problem_from_data(json.loads(json.dumps(problem_to_data(prob))))
    assert again == prob


def assert_verified(plan, prob):
    """The plan re-simulated by dispatch.verify on the planner's travel model: no error."""
    verdict = verify_plan(prob, plan, travel_model(prob.settings))
    assert verdict.valid, verdict.errors[:3]


def zone_plans_of(prob, zones, limit=1.0):
    return [ZonePlan.from_plan(z.index, solve(z.problem, time_limit_s=limit), z.problem)
            for z in zones]


def test_more_time_for_the_merge_never_gives_a_worse_day(check_plan):
    prob = city_to_search(4, 8, 80)
    zones = split(prob, 2)
    plans = zone_plans_of(prob, zones)
    joined, _ = merge(prob, plans, zones, time_limit_s=0.0)  # zone routes, leftovers inserted
    plan, report = merge(prob, plans, zones, time_limit_s=2)
    check_plan(plan, prob)
    assert_verified(plan, prob)
    assert plan.objective <= joined.objective
    assert report.placed == plan.kpis.assigned - sum(p.placed for p in plans)


def test_the_merge_improves_zone_routes_across_the_border(check_plan):
    # each zone placed its visits on its own technician's route; one of W's visits lies next
    # to E: the whole day's search gives it to E
    far = visit("x", near(0, 14))
    prob = two_districts([far])
    zones = split(prob, 2)
    plans = [ZonePlan(0, (ZoneRoute("W", DAY, ("x", "w0", "w1")),), ()),
             ZonePlan(1, (ZoneRoute("E", DAY, ("e0", "e1")),), ())]
    plan, report = merge(prob, plans, zones, time_limit_s=1)
    check_plan(plan, prob)
    assert_verified(plan, prob)
    assert plan.route_of("x")[0].technician_id == "E"
    assert report.moved == 1


def test_the_merge_reorders_a_zone_route_that_zigzags(check_plan):
    # w1, w2, w3 and W's depot are the corners of a 1 km square; the zone crossed it diagonally
    prob = two_districts([visit("w2", near(1, -14)), visit("w3", near(0, -14))])
    plans = [ZonePlan(0, (ZoneRoute("W", DAY, ("w0", "w1", "w3", "w2")),), ()),
             ZonePlan(1, (ZoneRoute("E", DAY, ("e0", "e1")),), ())]
    plan, _ = merge(prob, plans, split(prob, 2), time_limit_s=1)
    check_plan(plan, prob)
    assert_verified(plan, prob)
    order = [s.visit_id for s in plan.route_of("w1")[0].stops if s.visit_id != "w0"]
    assert order in (["w1", "w2", "w3"], ["w3", "w2", "w1"])


def test_a_zone_route_the_whole_day_cannot_time_keeps_what_fits_and_the_rest_is_replanned(
        check_plan):
    late = visit("late", near(0, -15), windows=[(at(9), at(10))])
    prob = two_districts([late])
    # the zone's order puts the 09-10 visit after two others and a long drive: not timeable
    plans = [ZonePlan(0, (ZoneRoute("W", DAY, ("w0", "w1", "late")),), ()),
             ZonePlan(1, (ZoneRoute("E", DAY, ("e0", "e1")),), ())]
    plan, _ = merge(replace(prob, visits=[*prob.visits]), plans, time_limit_s=1)
    check_plan(plan, prob)
    assert_verified(plan, prob)
    assert plan.kpis.assigned == 5


def test_the_merge_with_no_time_left_still_returns_every_visit_accounted_for(check_plan):
    prob = two_districts()
    plans = [ZonePlan(0, (ZoneRoute("W", DAY, ("w0",)),), ("w1",)),
             ZonePlan(1, (ZoneRoute("E", DAY, ("e0", "e1")),), ())]
    plan, _ = merge(prob, plans, split(prob, 2), time_limit_s=0.0)
    check_plan(plan, prob)
    accounted = {s.visit_id for r in plan.routes for s in r.stops}
    accounted |= {u.visit_id for u in plan.unassigned}
    assert accounted == {v.id for v in prob.visits}


def test_zones_and_merge_share_the_runs_time_limit():
    per_zone = zone_time_limit(60, zones=4, workers=2)
    assert 2 * per_zone < 60
    assert merge_time_limit(60, elapsed_s=2 * per_zone) == 60 - 2 * per_zone


def test_zones_that_overran_still_leave_the_merge_a_second():
    assert merge_time_limit(60, elapsed_s=75) == 1.0


def test_a_zone_solve_lists_each_of_its_visits_once_routed_or_unplaced():
    prob = city_to_search(6, 10, 120)
    zone = split(prob, 2)[0]
    zone_plan = solve_zone(zone, 1.0)
    routed = [vid for r in zone_plan.routes for vid in r.visit_ids]
    assert sorted([*routed, *zone_plan.unplaced]) == sorted(v.id for v in zone.problem.visits)
    assert routed
    assert all(r.shift_start is not None for r in zone_plan.routes)
    merged, _ = merge(zone.problem, [zone_plan], time_limit_s=0.0)
    assert merged.kpis.assigned >= len(routed)


# --- the merge's second search (another seed, on another worker) --------------------------------


def a_zoned_day():
    """A day of 8 technicians and 80 visits, split in two and solved by zones for a second."""
    prob = city_to_search(4, 8, 80)
    zones = split(prob, 2)
    return prob, zones, zone_plans_of(prob, zones, limit=0.5)


def test_the_merge_keeps_the_second_searchs_plan_when_it_is_better(check_plan):
    prob, zones, plans = a_zoned_day()
    found = search_joined(prob, plans, time_limit_s=2.0)
    # no time for its own search: the joined routes with the leftovers inserted
    own, _ = merge(prob, plans, zones, time_limit_s=0.0)
    assert found.objective < own.objective
    plan, report = merge(prob, plans, zones, time_limit_s=0.0, second=lambda wait: found)
    check_plan(plan, prob)
    assert_verified(plan, prob)
    assert (report.searches, report.second_kept) == (2, True)
    assert plan.objective == found.objective == min(report.objectives)


def test_the_merge_never_takes_a_second_plan_worse_than_its_own(check_plan):
    prob, zones, plans = a_zoned_day()
    joined, _ = merge(prob, plans, zones, time_limit_s=0.0)
    # nothing placed, whatever objective it claims: the merge counts it on its own model
    empty = DayRoutes((), objective=0, seed=9)
    plan, report = merge(prob, plans, zones, time_limit_s=1.0, second=lambda wait: empty)
    check_plan(plan, prob)
    assert (report.searches, report.second_kept) == (2, False)
    assert plan.objective <= joined.objective


def test_the_merge_refuses_a_second_plan_that_breaks_a_rule(check_plan):
    stone = visit("stone", near(0, -14), skills={"stone": 1})
    prob = two_districts([stone])
    prob = replace(prob, technicians=[prob.technicians[0],
                                      replace(prob.technicians[1], skills={"repair": 1,
                                                                           "stone": 1})])
    plans = [ZonePlan(0, (ZoneRoute("W", DAY, ("w0", "w1")),), ("stone",)),
             ZonePlan(1, (ZoneRoute("E", DAY, ("e0", "e1")),), ())]
    # every visit placed, but the stone visit with W, who lacks the skill
    broken = DayRoutes((ZoneRoute("W", DAY, ("w0", "w1", "stone")),
                        ZoneRoute("E", DAY, ("e0", "e1"))), objective=0, seed=9)
    plan, report = merge(prob, plans, split(prob, 2), time_limit_s=1.0,
                         second=lambda wait: broken)
    check_plan(plan, prob)
    assert_verified(plan, prob)
    assert not report.second_kept
    assert report.objectives[1] is None
    assert plan.route_of("stone")[0].technician_id == "E"


def test_a_second_search_that_never_answers_leaves_the_merge_its_own_plan(check_plan):
    prob, zones, plans = a_zoned_day()
    waits = []

    def lost(wait):
        waits.append(wait)
        return None

    plan, report = merge(prob, plans, zones, time_limit_s=1.0, second=lost)
    check_plan(plan, prob)
    assert report.searches == 1
    assert len(waits) == 1
    assert 0 <= waits[0] < 1.0  # it waited within the merge's limit


def test_the_second_search_ends_with_the_merges_own_search():
    # the merge keeps the end of its limit for reasons; the second search none, less a handover
    assert 0 < second_search_limit(20.0, visits=2000) < 20.0 - 2.0
    assert second_search_limit(0.0, visits=2000) > 0


def test_the_merges_search_keeps_the_whole_reserve_for_reasons_and_the_second_plan(
        monkeypatch, check_plan):
    # the second search is timed to end with the merge's (second_search_limit): the merge's
    # search ends explain_reserve before the limit, not earlier or later by what it leaves out
    prob = two_districts()
    prob = replace(prob, settings=replace(prob.settings, search_iterations=50))
    zones = split(prob, 2)
    plans = [ZonePlan(0, (ZoneRoute("W", DAY, ("w0", "w1")),), ()),
             ZonePlan(1, (ZoneRoute("E", DAY, ("e0", "e1")),), ())]
    given = []
    search = rr.improve

    def watched(core, routes, time_limit_s, cfg=None, stats=None, keep=None):
        given.append((time_limit_s, keep))
        return search(core, routes, time_limit_s, cfg, stats, keep)

    monkeypatch.setattr(rr, "improve", watched)
    plan, _ = merge(prob, plans, zones, time_limit_s=30.0)
    check_plan(plan, prob)
    ((limit, keep),) = given
    assert keep is None
    assert 10.0 < limit <= 0.95 * (30.0 - explain_reserve(30.0, 4))
