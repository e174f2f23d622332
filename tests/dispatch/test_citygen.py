"""Generated city days: realistic durations and windows, calibrated load, same seed same day."""

from __future__ import annotations

import pytest

from dispatch import citygen


@pytest.fixture(scope="module")
def city():
    return citygen.generate(3, 30, 150)


def test_same_seed_same_day():
    assert citygen.generate(9, 12, 60) == citygen.generate(9, 12, 60)
    assert citygen.generate(9, 12, 60) != citygen.generate(10, 12, 60)


def test_durations_follow_the_kind(city):
    for v in city.visits:
        lo, hi = citygen.SERVICE_RANGE[v.kind]
        assert lo <= v.duration_min <= hi


def test_windows_last_one_hour_two_hours_or_the_day(city):
    lengths = {(v.time_windows[0][1] - v.time_windows[0][0]).seconds // 60 for v in city.visits}
    assert {60, 120} <= lengths
    assert all(n in (60, 120) or n >= 6 * 60 for n in lengths)


def test_shifts_are_08_17_or_09_18_with_an_hour_of_lunch(city):
    for t in city.technicians:
        s = t.shifts[0]
        assert (s.start.hour, s.end.hour) in ((8, 17), (9, 18))
        assert s.break_.duration_min == 60


def test_must_do_visits_are_due_today_with_a_hard_sla(city):
    must = [v for v in city.visits if v.priority >= 4]
    assert must
    assert all(v.sla_hard and v.sla_due == v.time_windows[0][1] for v in must)


@pytest.mark.parametrize(("techs", "visits"), [(30, 150), (90, 500)])
def test_balanced_and_overbooked_loads(techs, visits):
    day = citygen.generate(1, techs, visits)
    assert citygen.service_load(day) == pytest.approx(0.75, abs=0.01)
    over = citygen.overbooked(day)
    assert over.visits == day.visits
    assert citygen.service_load(over) == pytest.approx(1.35, abs=0.04)
