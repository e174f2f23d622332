"""The lunch break and the travel model come from settings, one of each for the whole app."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.config import ConfigError, Settings, activate, active_settings
from app.services import schedule_checks
from app.services.travel import solver_settings, travel_model
from dispatch.travel import travel_model as planner_travel_model

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 1)


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=TZ)


@pytest.fixture
def settings_active():
    before = active_settings()
    yield lambda settings: activate(settings)
    activate(before)


def test_lunch_window_and_length_are_read_from_the_environment():
    settings = Settings.from_env(
        {"LUNCH_EARLIEST": "12:00", "LUNCH_LATEST": "14:00", "LUNCH_MINUTES": "60"}
    )
    assert (settings.lunch_earliest, settings.lunch_latest) == (dt.time(12), dt.time(14))
    assert settings.lunch_minutes == 60


def test_a_lunch_longer_than_its_window_is_refused():
    with pytest.raises(ConfigError, match="LUNCH_MINUTES"):
        Settings.from_env(
            {"LUNCH_EARLIEST": "12:00", "LUNCH_LATEST": "12:30", "LUNCH_MINUTES": "45"}
        )


def test_a_lunch_time_that_is_not_a_time_is_refused():
    with pytest.raises(ConfigError, match="LUNCH_EARLIEST"):
        Settings.from_env({"LUNCH_EARLIEST": "noon"})


def test_a_shift_gets_the_lunch_break_of_the_settings(settings_active):
    settings_active(
        Settings().replace(
            lunch_earliest=dt.time(12), lunch_latest=dt.time(14, 30), lunch_minutes=30
        )
    )
    lunch = schedule_checks.lunch_of(DAY, _at(8), _at(17), TZ)
    assert (lunch.earliest_start, lunch.latest_end, lunch.duration_min) == (
        _at(12),
        _at(14, 30),
        30,
    )


def test_the_default_lunch_is_45_minutes_between_11_30_and_13_30(settings_active):
    settings_active(Settings())
    lunch = schedule_checks.lunch_of(DAY, _at(8), _at(17), TZ)
    assert (lunch.earliest_start, lunch.latest_end, lunch.duration_min) == (
        _at(11, 30),
        _at(13, 30),
        45,
    )


def test_the_planner_and_the_sla_projection_drive_the_same_minutes():
    settings = Settings().replace(sla_travel_kmh=30, travel_detour_factor=1.5)
    a, b = (31.23, 121.47), (31.30, 121.55)
    projection = travel_model(settings)
    planner = planner_travel_model(solver_settings(settings, 10.0))
    _, seconds = planner.matrix([a, b])
    assert projection.minutes(a, b) == pytest.approx(seconds[0, 1] / 60)
    assert (planner.speed_kmh, planner.detour_factor) == (30.0, 1.5)


def test_a_slower_city_makes_every_drive_longer():
    a, b = (31.23, 121.47), (31.30, 121.55)
    fast = travel_model(Settings().replace(sla_travel_kmh=40)).minutes(a, b)
    slow = travel_model(Settings().replace(sla_travel_kmh=20)).minutes(a, b)
    assert slow == pytest.approx(2 * fast)


def test_a_detour_factor_below_one_is_refused():
    with pytest.raises(ConfigError, match="TRAVEL_DETOUR_FACTOR"):
        Settings.from_env({"TRAVEL_DETOUR_FACTOR": "0.8"})


