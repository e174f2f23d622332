"""The default search on field-service days: each rule of a real day, checked independently."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest

from dispatch import (
    Break,
    CurrentPosition,
    Dependency,
    Lock,
    Shift,
    SolverSettings,
    bench,
    explain,
    insert_visit,
    insertion,
    solve,
    solver,
    translate,
    zones,
)
from dispatch import ruin_recreate as rr
from dispatch.insertion import place_displacing
from dispatch.solver import (
    EXPLAIN_S_PER_LEFT_OUT,
    explain_keep,
    explain_reserve,
    timing_reserve,
)
from tests.dispatch.conftest import DAY, DEPOT, at, near, problem, shift, tech, visit
from tests.dispatch.daycheck import GridProvider, check_plan_independently

GRID = GridProvider()


def solved(prob, **kw):
    plan = solve(prob, provider=GRID, **kw)
    errors = check_plan_independently(plan, prob)
    assert not errors, errors
    return plan


def test_lunch_is_taken_on_site_while_waiting_for_the_window():
    # 60 min away, window opens 12:30, 4-hour job: lunch must fall between arrival and start,
    # which a "lunch at the previous stop before driving" rule cannot do
    lunch = Break(at(11, 30), at(13, 0), 45)
    far = near(30)
    job = visit("install", far, duration=240, windows=[(at(12, 30), at(12, 40))])
    plan = solved(problem([tech("a", shifts=[shift(end=18, brk=lunch)])], [job]))
    route, stop = plan.route_of("install")
    assert stop.arrival <= route.break_start
    assert route.break_start + timedelta(minutes=45) <= stop.start


def test_lunch_may_interrupt_a_drive():
    # leaving at 11:30 for a 40-minute drive to a 12:30 window, lunch from 11:40 to 12:00: only
    # a lunch taken on the way (not before leaving, not after arriving) is on time
    lunch = Break(at(11, 40), at(12, 0), 20)
    first = visit("first", near(1), duration=200, windows=[(at(8, 10), at(8, 10))])
    second = visit("second", near(21), duration=30, windows=[(at(12, 30), at(12, 30))])
    plan = solved(problem([tech("a", shifts=[shift(brk=lunch)])], [first, second]))
    route = plan.routes[0]
    assert [s.visit_id for s in route.stops] == ["first", "second"]
    assert route.stops[0].end <= route.break_start < route.stops[1].arrival


def test_lunch_between_two_visits_at_one_place():
    lunch = Break(at(12), at(12, 40), 40)
    here = near(3)
    morning = visit("m", here, duration=60, windows=[(at(11), at(11))])
    after = visit("n", here, duration=60, windows=[(at(12, 40), at(12, 45))])
    plan = solved(problem([tech("a", shifts=[shift(brk=lunch)])], [morning, after]))
    route = plan.routes[0]
    assert route.break_start == at(12)


def test_every_visit_of_a_day_with_lunch_breaks_stays_valid():
    lunch = Break(at(11, 30), at(13, 30), 60)
    techs = [tech(f"t{i}", shifts=[shift(brk=lunch, location=near(i, -i))]) for i in range(4)]
    visits = [visit(f"v{i}", near(i % 7, (i * 3) % 5), duration=30 + 15 * (i % 4),
                    windows=[(at(8 + i % 6), at(10 + i % 6))]) for i in range(30)]
    plan = solved(problem(techs, visits))
    assert all(r.break_start is not None for r in plan.routes)


def test_one_of_several_windows_is_used():
    windows = [(at(6), at(7)), (at(16), at(16, 10))]
    plan = solved(problem([tech("a")], [visit("late", near(2), windows=windows)]))
    assert at(16) <= plan.route_of("late")[1].start <= at(16, 10)


def test_soft_due_time_lateness_weighs_by_priority():
    # one technician, two 3-hour visits both due by 10:30: the important one goes first
    minor = visit("minor", near(1), duration=180, sla_due=at(10, 30), priority=1)
    major = visit("major", near(1.2), duration=180, sla_due=at(10, 30), priority=4)
    plan = solved(problem([tech("a")], [minor, major]))
    assert plan.route_of("major")[1].late_min == 0
    assert plan.route_of("minor")[1].late_min > 0


def test_visits_are_dropped_by_priority_and_must_do_displaces_minor_work():
    # the only installer's day fits four visits; the must-do one arrives among five minor ones
    installer = tech("inst", {"install": 1}, [shift(start=8, end=12)])
    minor = [visit(f"m{i}", near(0.5 + 0.1 * i), duration=50, skills={"install": 1},
                   kind="install", priority=1) for i in range(5)]
    must = visit("urgent", near(4), duration=50, skills={"install": 1}, kind="install",
                 priority=5)
    plan = solved(problem([installer], [*minor, must]))
    assert plan.route_of("urgent") is not None
    assert {u.visit_id for u in plan.unassigned} <= {f"m{i}" for i in range(5)}


def test_unplaceable_must_do_names_the_binding_constraint():
    # reachable only after its window closes: no placement exists
    must = visit("urgent", near(40), priority=5, windows=[(at(8), at(8, 30))])
    plan = solved(problem([tech("a")], [must, visit("v", near(1))]))
    (left,) = plan.unassigned
    assert left.visit_id == "urgent"
    assert left.reasons[0].code == "window_conflict"


def test_skills_restrict_the_technicians():
    techs = [tech("plain", {"repair": 3}), tech("glazier", {"glass": 1, "repair": 1},
                                                [shift(location=near(10, 10))])]
    visits = [visit(f"g{i}", near(0.5 * i), skills={"glass": 1}) for i in range(3)]
    visits += [visit(f"r{i}", near(0.3 * i)) for i in range(3)]
    plan = solved(problem(techs, visits))
    for i in range(3):
        assert plan.route_of(f"g{i}")[0].technician_id == "glazier"


def test_locks_and_an_in_progress_start_are_kept():
    here = near(5, 5)
    busy = tech("busy", current=CurrentPosition(here, at(11)))
    doing = visit("doing", here, duration=60, lock=Lock.IN_PROGRESS,
                  locked_technician_id="busy", locked_start=at(10, 45))
    kept = visit("kept", near(1), lock=Lock.TECHNICIAN, locked_technician_id="idle")
    timed = visit("timed", near(2), lock=Lock.TECHNICIAN_TIME, locked_technician_id="busy",
                  locked_start=at(14))
    prob = problem([busy, tech("idle")], [doing, kept, timed], time_lock_tolerance_min=0)
    plan = solved(prob)
    assert plan.route_of("doing")[1].start == at(10, 45)
    assert plan.route_of("kept")[0].technician_id == "idle"
    assert plan.route_of("timed")[1].start == at(14)


def test_dependent_visit_waits_its_days():
    days = [DAY + timedelta(days=i) for i in range(3)]
    t = tech("a", {"measure": 1, "install": 1}, [shift(day=d) for d in days])
    measure = visit("m", near(1), skills={"measure": 1}, kind="measure")
    install = visit("i", near(1), skills={"install": 1}, kind="install",
                    depends_on=Dependency("m", 2))
    plan = solved(problem([t], [install, measure], days=3))
    assert (plan.route_of("i")[0].day - plan.route_of("m")[0].day).days >= 2


def test_working_span_is_kept():
    techs = [tech("b", shifts=[shift(start=8, end=18, max_work=150)])]
    visits = [visit(f"v{i}", near(i % 3 + 1), duration=45,
                    windows=[(at(8 + 2 * (i % 4)), at(9 + 2 * (i % 4)))]) for i in range(8)]
    plan = solved(problem(techs, visits))
    assert plan.unassigned


def test_no_visit_left_out_is_said_to_fit_a_route():
    # the reasons are checked on the same day the search planned
    lunch = Break(at(11, 30), at(13, 30), 60)
    techs = [tech(f"t{i}", shifts=[shift(brk=lunch, location=near(2 * i))]) for i in range(3)]
    visits = [visit(f"v{i}", near((i * 7) % 11, (i * 5) % 9), duration=60 + 30 * (i % 3),
                    priority=1 + i % 5) for i in range(40)]
    plan = solved(problem(techs, visits))
    assert plan.unassigned
    codes = {r.code for u in plan.unassigned for r in u.reasons}
    assert "search_time_limit" not in codes


def day_with_lunch(visits: int = 60, priorities: int = 5):
    lunch = Break(at(11, 30), at(13, 30), 60)
    techs = [tech(f"t{i}", shifts=[shift(brk=lunch, location=near(i, i))]) for i in range(5)]
    vs = [visit(f"v{i}", near((i * 7) % 13, (i * 5) % 11), duration=45 + 15 * (i % 5),
                windows=[(at(8 + i % 8), at(10 + i % 8))], priority=1 + i % priorities)
          for i in range(visits)]
    return problem(techs, vs)


def test_more_iterations_never_give_a_worse_objective():
    core_problem = translate.build(day_with_lunch(), GRID, exact_breaks=True).core
    empty = [[] for _ in core_problem.vehicles]
    objectives = [
        rr.improve(core_problem, empty, 60.0, rr.RuinRecreateConfig(seed=3, max_iterations=n))
        .objective
        for n in (50, 400, 2000)
    ]
    assert objectives[0] >= objectives[1] >= objectives[2]


@pytest.fixture
def cpu_clocked(monkeypatch):
    """The planner's deadlines in this process's CPU seconds, as the benchmarks' ``--clock cpu``.

    On a loaded machine a longer wall limit can buy less search than a shorter one did a moment
    before; a longer CPU limit never does.
    """
    for module in bench.planner_clock_modules():
        monkeypatch.setattr(module, "time", bench.CpuClock())


def test_a_longer_time_limit_never_gives_a_worse_plan(cpu_clocked):
    # no must-do visit, so the plan is the search's best (no displacement pass after it)
    prob = day_with_lunch(priorities=4)
    short = solved(prob, time_limit_s=0.3, settings=SolverSettings(seed=5))
    longer = solved(prob, time_limit_s=0.9, settings=SolverSettings(seed=5))
    assert longer.objective <= short.objective


def test_the_search_gets_the_time_limit_less_the_reserves_for_explanations(monkeypatch):
    # how long a solve takes against its limit is measured in bench (dispatch.bench time-limit)
    prob = day_with_lunch(150)  # the problem's own limit is 1 s; the call's 30 s override it
    given = []
    search = rr.improve

    def timed_search(core, routes, time_limit_s, cfg=None, stats=None, keep=None):
        given.append((time_limit_s, keep))
        return search(core, routes, time_limit_s, cfg, stats, keep)

    monkeypatch.setattr(rr, "improve", timed_search)
    solved(prob, time_limit_s=30.0, settings=replace(prob.settings, search_iterations=50))
    ((limit, keep),) = given
    assert 10.0 < limit <= 0.95 * (30.0 - timing_reserve(30.0, 150))
    # it ends earlier by the time to explain what its best solution leaves out
    assert keep(0) == 0.0
    assert keep(10) == pytest.approx(10 * EXPLAIN_S_PER_LEFT_OUT)
    assert timing_reserve(30.0, 150) + keep(150) <= explain_reserve(30.0, 150)


def test_the_reserves_never_exceed_the_explain_reserve():
    for limit, visits in ((0.4, 10), (2.0, 500), (2.0, 20_000), (60.0, 2000)):
        timing = timing_reserve(limit, visits)
        assert 0 < timing <= explain_reserve(limit, visits)
        keep = explain_keep(limit, visits)
        assert timing + keep(visits) <= explain_reserve(limit, visits) + 1e-9
    assert timing_reserve(2.0, 500) == pytest.approx(0.1)  # 0.2 ms per visit


def test_the_reserve_for_explanations_grows_with_the_day_within_a_share_of_the_limit():
    assert explain_reserve(1.0, 10) == 0.2  # at least 0.2 s
    assert explain_reserve(0.4, 10) == pytest.approx(0.12)  # never over 30 % of the limit
    assert explain_reserve(30.0, 150) == pytest.approx(3.0)  # a tenth of a long limit
    assert explain_reserve(30.0, 4000) == pytest.approx(6.0)  # 1.5 ms per visit
    assert explain_reserve(10.0, 4000) == pytest.approx(3.0)


def test_the_independent_checker_catches_a_lunch_in_a_visit_and_a_too_short_drive():
    lunch = Break(at(11, 30), at(13, 0), 45)
    job = visit("install", near(30), duration=240, windows=[(at(12, 30), at(12, 40))])
    prob = problem([tech("a", shifts=[shift(end=18, brk=lunch)])], [job])
    plan = solved(prob)
    route = plan.routes[0]
    in_visit = replace(plan, routes=[replace(route, break_start=at(12, 40))])
    assert any("lunch" in e for e in check_plan_independently(in_visit, prob))
    early = replace(route.stops[0], start=at(8, 30), end=at(12, 30))
    rushed = replace(plan, routes=[replace(route, stops=[early])])
    assert any("reach" in e for e in check_plan_independently(rushed, prob))


def test_every_shift_of_a_split_day_is_used():
    morning = shift(start=8, end=11)
    evening = Shift(DAY, at(17), at(21), DEPOT, DEPOT)
    t = tech("a", shifts=[morning, evening])
    visits = [visit("early", near(1), duration=60, windows=[(at(8), at(10))]),
              visit("late", near(1), duration=60, windows=[(at(18), at(20))])]
    plan = solved(problem([t], visits))
    assert not plan.unassigned
    assert len(plan.routes) == 2
    assert plan.route_of("late")[0].start >= at(17)


def test_a_visit_due_today_is_must_do_and_outranks_higher_priorities():
    t = tech("a", shifts=[shift(start=9, end=12)])
    others = [visit(f"p4_{i}", near(0.5 + 0.1 * i), duration=55, priority=4) for i in range(3)]
    due = visit("due", near(0.2), duration=55, priority=2, sla_due=at(16))
    plan = solved(problem([t], [*others, due]))
    assert plan.route_of("due") is not None
    assert len(plan.unassigned) == 1


def full_day():
    # the only installer's morning is full of minor work; a second installer is far away
    installer = tech("inst", {"install": 1}, [shift(start=8, end=12)])
    minor = [visit(f"m{i}", near(0.5 + 0.2 * i), duration=50, skills={"install": 1},
                   kind="install", priority=1, windows=[(at(8), at(12))]) for i in range(4)]
    return problem([installer], minor)


def test_insertion_refuses_an_urgent_visit_into_a_full_day_by_default():
    prob = full_day()
    plan = solved(prob)
    assert not plan.unassigned
    urgent = visit("urgent", near(1), duration=50, skills={"install": 1}, kind="install",
                   priority=5)
    after = insert_visit(plan, prob, urgent, provider=GRID)
    assert [u.visit_id for u in after.unassigned] == ["urgent"]


def test_insertion_with_displacement_moves_out_the_least_important_and_says_why():
    prob = full_day()
    plan = solved(prob)
    urgent = visit("urgent", near(1), duration=50, skills={"install": 1}, kind="install",
                   priority=5)
    after = insert_visit(plan, prob, urgent, provider=GRID, displace=True)
    full = replace(prob, visits=[*prob.visits, urgent])
    assert not check_plan_independently(after, full)
    assert after.route_of("urgent") is not None
    (out,) = after.unassigned
    reason = out.reasons[0]
    assert reason.code == "displaced_by_higher_priority"
    assert reason.details["by_visit_id"] == "urgent"


def test_a_missed_must_do_visit_is_placed_by_displacing_lesser_work():
    prob = full_day()
    plan = solved(prob)
    urgent = visit("urgent", near(1), duration=50, skills={"install": 1}, kind="install",
                   priority=5)
    full = replace(prob, visits=[*prob.visits, urgent])
    tr = translate.build(full, GRID, exact_breaks=True)
    routes = [[tr.visit_node[s.visit_id] for s in plan.routes[0].stops]]
    node = tr.visit_node["urgent"]
    left = place_displacing(tr.core, routes, [node])
    assert node in routes[0]
    assert rr.is_feasible(tr.core, routes)
    (out,) = left
    assert tr.node_visit[out].priority == 1


def test_a_cpu_clocked_benchmark_times_the_planners_deadlines_by_cpu_seconds(monkeypatch):
    modules = (explain, insertion, rr, solver, zones)
    for module in modules:
        monkeypatch.setattr(module, "time", time)  # restored after the test
    bench.cpu_clocked_planner()
    time.sleep(0.05)  # wall time passes, CPU time hardly
    for module in modules:
        cpu = time.process_time()
        assert abs(module.time.perf_counter() - cpu) < 0.01
        assert module.time.monotonic() > 0  # the rest of the module as it was
