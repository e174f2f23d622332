"""City-day files: the loader keeps the fixed matrix, windows, lunch and must-today visits."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import numpy as np
import pytest

from dispatch import FixedMatrixProvider, solve
from dispatch.cityday import from_instance, instance_from_problem, load, to_check_plan
from dispatch.model import Kpis, Plan, Route, SolverSettings, Stop

H = 3600


def _instance() -> dict:
    """One depot, two technicians, three visits; travel in odd seconds on purpose."""
    depot = {"id": "D0", "lat": 31.2, "lon": 121.4, "matrix_index": 0}
    points = [(31.2, 121.4), (31.21, 121.41), (31.22, 121.42), (31.23, 121.43)]
    matrix = [[0 if i == j else 600 + 61 * abs(i - j) for j in range(4)] for i in range(4)]

    def tech(i, skills, duty=34200):
        return {"id": f"T{i}", "index": i, "depot_index": 0, "skills": skills,
                "shift": [8 * H + 1800, 18 * H], "max_duty": duty,
                "break": {"duration": H, "span": [11 * H + 1800, 13 * H + 1800],
                          "start_window": [11 * H + 1800, 12 * H + 1800]}}

    def visit(i, kind, service, skills, window, priority):
        return {"id": f"V{i}", "index": i, "matrix_index": i + 1, "lat": points[i + 1][0],
                "lon": points[i + 1][1], "kind": kind, "service": service, "skills": skills,
                "time_window": window, "priority": priority, "must_today": priority >= 4,
                "weight": {1: 1, 2: 3, 3: 8, 4: 50, 5: 100}[priority]}

    return {
        "name": "tiny", "depots": [depot],
        "technicians": [tech(0, ["measure", "repair"]), tech(1, ["install_cabinet"], 8 * H)],
        "visits": [visit(0, "measure", 2700, ["measure"], [9 * H, 11 * H], 2),
                   visit(1, "install", 3 * H, ["install_cabinet"], [9 * H, 18 * H], 5),
                   visit(2, "repair", 3600, ["repair"], [13 * H, 17 * H], 4)],
        "matrix": matrix,
    }


def test_loader_keeps_the_fixed_matrix_in_seconds():
    city = from_instance(_instance())
    visits = city.problem.visits
    _, dur = city.provider.matrix([visits[0].location, visits[2].location])
    assert dur[0, 1] == 600 + 61 * 2
    assert isinstance(city.provider, FixedMatrixProvider)


def test_a_city_day_is_planned_to_the_second_unless_settings_say_else():
    assert from_instance(_instance()).problem.settings.time_unit_s == 1
    minutes = from_instance(_instance(), settings=SolverSettings())
    assert minutes.problem.settings.time_unit_s == 60


def test_loader_keeps_windows_skills_and_durations():
    v = from_instance(_instance()).problem.visits[0]
    start, end = v.time_windows[0]
    assert (start.hour, end.hour) == (9, 11)
    assert v.duration_min == 45
    assert v.required_skills == {"measure": 1}
    assert v.kind == "measure"


def test_lunch_keeps_its_start_window_and_duration():
    shift = from_instance(_instance()).problem.technicians[0].shifts[0]
    assert (shift.break_.earliest_start.hour, shift.break_.earliest_start.minute) == (11, 30)
    # latest start 12:30 + 60 min
    assert (shift.break_.latest_end.hour, shift.break_.latest_end.minute) == (13, 30)
    assert shift.break_.duration_min == 60


def test_max_duty_counted_from_shift_start_ends_the_shift_earlier():
    shift = from_instance(_instance()).problem.technicians[1].shifts[0]
    assert shift.end - shift.start == timedelta(hours=8)


def test_must_today_visits_are_due_today_with_a_hard_sla_at_window_close():
    city = from_instance(_instance())
    v0, v1, v2 = city.problem.visits
    assert not v0.sla_hard
    assert v0.sla_due is None
    assert v1.sla_hard
    assert v1.sla_due == v1.time_windows[0][1]
    assert v1.priority == 5
    assert v2.sla_hard
    assert v2.priority == 4
    assert city.must_today == {"V1", "V2"}


def test_sub_minute_times_are_refused_with_the_field_named():
    inst = _instance()
    inst["visits"][0]["service"] = 2701
    with pytest.raises(ValueError, match="V0 service"):
        from_instance(inst)


def test_load_reads_a_file(tmp_path):
    path = tmp_path / "day.json"
    path.write_text(json.dumps(_instance()))
    assert load(path).name == "tiny"


def test_fixed_matrix_refuses_points_it_does_not_know():
    provider = FixedMatrixProvider([(31.0, 121.0), (31.1, 121.1)], [[0, 5], [5, 0]],
                                   speed_kmh=20.0)
    with pytest.raises(KeyError):
        provider.matrix([(31.0, 121.0), (31.5, 121.5)])
    dist, dur = provider.matrix([(31.1, 121.1), (31.0, 121.0)])
    assert dur.tolist() == [[0, 5], [5, 0]]
    assert dist[0, 1] == pytest.approx(5 * 20 / 3.6)


def test_fixed_matrix_refuses_a_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        FixedMatrixProvider([(31.0, 121.0)], [[0, 1], [1, 0]], speed_kmh=20.0)


def _route(city, tech, stops, brk_at, start, end):
    return Route(tech, city.problem.horizon_start, start, end, stops, brk_at)


def test_plan_export_puts_the_break_between_the_right_stops():
    city = from_instance(_instance())
    day = city.problem.visits[0].time_windows[0][0].replace(hour=0)
    t = lambda hh, mm=0: day + timedelta(hours=hh, minutes=mm)  # noqa: E731
    stops = [Stop("V0", t(9), 0, t(9), t(9, 45), 0), Stop("V2", t(13), 0, t(13), t(14), 0)]
    plan = Plan([_route(city, "T0", stops, t(11, 30), t(8, 48), t(14, 15))], [],
                Kpis(0, 0, 0, 1, 0, 2, 1))
    out = to_check_plan(city, plan)
    steps = out["routes"][0]["steps"]
    assert [s["type"] for s in steps] == ["start", "job", "break", "job", "end"]
    assert [s.get("id") for s in steps if s["type"] == "job"] == [0, 2]
    assert steps[2]["arrival"] == 11 * H + 1800
    assert out["unassigned"] == [1]
    assert out["routes"][0]["technician_index"] == 0


def test_a_solved_day_exports_every_visit_once():
    city = from_instance(_instance())
    plan = solve(city.problem, provider=city.provider, time_limit_s=1.0)
    out = to_check_plan(city, plan)
    jobs = [s["id"] for r in out["routes"] for s in r["steps"] if s["type"] == "job"]
    assert sorted(jobs + out["unassigned"]) == [0, 1, 2]
    assert all(sum(s["type"] == "break" for s in r["steps"]) == 1 for r in out["routes"])


def test_instance_from_problem_round_trips_through_the_loader():
    inst = _instance()
    city = from_instance(copy.deepcopy(inst))
    again = from_instance(instance_from_problem(city.problem, city.provider, "tiny"))
    assert again.problem.visits == city.problem.visits
    assert again.problem.technicians == city.problem.technicians
    pts = [v.location for v in city.problem.visits]
    assert np.array_equal(again.provider.matrix(pts)[1], city.provider.matrix(pts)[1])
