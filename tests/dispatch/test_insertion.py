"""insert_visit: cheapest feasible insertion into an existing day."""

from __future__ import annotations

from dataclasses import replace

from dispatch import citygen, insert_visit, solve
from tests.dispatch.conftest import at, near, problem, tech, visit


def test_new_visit_goes_to_the_cheapest_feasible_route(check_plan):
    techs = [
        tech(
            "north",
            shifts=[
                tech("x")
                .shifts[0]
                .__class__(tech("x").shifts[0].day, at(8), at(17), near(10), near(10))
            ],
        ),
        tech("south"),
    ]
    prob = problem(techs, [visit("a", near(10.5)), visit("b", near(0.5))])
    plan = solve(prob)
    new = visit("c", near(10.2))
    after = insert_visit(plan, prob, new)
    full = replace(prob, visits=[*prob.visits, new])
    check_plan(after, full)
    assert after.route_of("c")[0].technician_id == "north"


def test_visit_that_fits_nowhere_is_returned_unassigned_with_a_reason():
    prob = problem([tech("a")], [visit("a1")])
    plan = solve(prob)
    after = insert_visit(plan, prob, visit("x", skills={"glass": 1}))
    assert after.unassigned[0].visit_id == "x"
    assert after.unassigned[0].reasons[0].code == "no_skilled_technician"


def test_a_visit_inserted_into_a_50_technician_day_is_placed_validly_or_said_why_not(check_plan):
    # how fast an insertion is on such a day is measured in bench (dispatch.bench insertion)
    prob = citygen.generate(3, 50, 300)
    prob = replace(prob, settings=replace(prob.settings, search_iterations=200))
    plan = solve(prob)
    new = replace(citygen.generate(4, 1, 1).visits[0], id="NEW")
    after = insert_visit(plan, prob, new)
    check_plan(after, replace(prob, visits=[*prob.visits, new]))
    assert after.route_of("NEW") is not None or after.unassigned[-1].visit_id == "NEW"
