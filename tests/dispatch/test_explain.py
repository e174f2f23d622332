"""Every unassigned visit says why, with a stable code and a sentence naming the culprit."""

from __future__ import annotations

from datetime import timedelta

from dispatch import Dependency, Visit, solve
from dispatch.explain import precheck
from tests.dispatch.conftest import DAY, at, near, problem, shift, tech, visit


def _reasons(plan, vid):
    return next(u.reasons for u in plan.unassigned if u.visit_id == vid)


def test_visit_needing_an_unheld_skill_is_explained_with_the_skill_name():
    prob = problem([tech("a", {"repair": 2})], [visit("v", skills={"glass": 1})])
    reason = _reasons(solve(prob), "v")[0]
    assert reason.code == "no_skilled_technician"
    assert "glass" in reason.message
    assert reason.details["missing"]["glass"]["required"] == 1


def test_visit_whose_windows_miss_every_shift_is_explained():
    tomorrow = DAY + timedelta(days=1)
    prob = problem(
        [tech("a")],
        [visit("v", windows=[(at(19), at(21)), (at(6, day=tomorrow), at(7, day=tomorrow))])],
    )
    reason = _reasons(solve(prob), "v")[0]
    assert reason.code == "window_outside_shifts"
    assert "v" in reason.message


def test_visit_without_location_is_explained():
    unlocated = Visit("v", "repair", None, 30, {"repair": 1})
    prob = problem([tech("a")], [unlocated, visit("w")])
    plan = solve(prob)
    assert _reasons(plan, "v")[0].code == "missing_location"
    assert plan.route_of("w") is not None


def test_dependency_longer_than_horizon_is_explained_and_blocks_its_follower():
    prob = problem(
        [tech("a", {"measure": 1, "install": 1})],
        [
            visit("m", skills={"measure": 1}, kind="measure"),
            visit("i", skills={"install": 1}, kind="install", depends_on=Dependency("m", 3)),
        ],
    )
    reasons = precheck(prob)
    assert reasons["i"][0].code == "dependency_unsatisfiable"
    assert "3 day" in reasons["i"][0].message


def test_follower_of_an_impossible_visit_is_unsatisfiable_too():
    prob = problem(
        [tech("a", {"repair": 1})],
        [visit("m", skills={"glass": 1}), visit("i", depends_on=Dependency("m", 0))],
    )
    plan = solve(prob)
    assert _reasons(plan, "m")[0].code == "no_skilled_technician"
    assert _reasons(plan, "i")[0].code == "dependency_unsatisfiable"


def test_visit_too_long_for_any_shift_is_shift_too_short():
    prob = problem([tech("a", shifts=[shift(start=9, end=11)])], [visit("v", duration=150)])
    reason = _reasons(solve(prob), "v")[0]
    assert reason.code == "shift_too_short"
    assert "a" in reason.details["technician_id"]


def test_visit_reachable_only_after_its_window_is_window_conflict():
    far = near(60)  # about 3 h away at city speed
    prob = problem(
        [tech("a", shifts=[shift(start=8, end=23)])], [visit("v", far, windows=[(at(8), at(9))])]
    )
    reason = _reasons(solve(prob), "v")[0]
    assert reason.code == "window_conflict"
    assert "a" in reason.message


def test_every_unassigned_visit_in_an_overloaded_day_has_a_reason(check_plan):
    visits = [
        visit(f"v{i}", near(i % 5, i % 3), duration=60, priority=1 + i % 5) for i in range(20)
    ]
    prob = problem([tech("a"), tech("b")], visits)
    plan = solve(prob)
    check_plan(plan, prob)
    assert plan.unassigned
    assert all(u.reasons for u in plan.unassigned)
