"""Settings come from the environment, with safe defaults, in one place."""

import pytest

from app.config import DEV_SECRET_KEY, ConfigError, Settings


def test_defaults_use_the_embedded_sqlite_database_and_inline_jobs():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.jobs_inline


def test_redis_url_switches_jobs_to_queues():
    assert not Settings.from_env({"REDIS_URL": "redis://127.0.0.1:6379/0"}).jobs_inline


def test_production_refuses_the_development_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"APP_ENV": "production"})


def test_production_starts_with_a_real_secret_key():
    settings = Settings.from_env(
        {"APP_ENV": "production", "SECRET_KEY": "s3cr3t-from-vault-Kq8vX2mP9rT4wZ7yB1nD"}
    )
    assert settings.secret_key != DEV_SECRET_KEY


def test_a_non_numeric_token_lifetime_is_a_clear_error():
    with pytest.raises(ConfigError, match="ACCESS_TOKEN_TTL"):
        Settings.from_env({"ACCESS_TOKEN_TTL": "soon"})


def test_chinese_is_the_default_language_and_english_a_setting_away():
    assert Settings.from_env({}).default_locale == "zh_CN"
    assert Settings.from_env({"DEFAULT_LOCALE": "en"}).default_locale == "en"
    assert Settings.from_env({"DEFAULT_LOCALE": "zh-CN"}).default_locale == "zh_CN"


def test_a_language_the_product_does_not_speak_is_refused():
    with pytest.raises(ConfigError, match="DEFAULT_LOCALE"):
        Settings.from_env({"DEFAULT_LOCALE": "fr"})


def test_a_search_iteration_budget_is_read_and_reaches_the_planner():
    from app.services.travel import solver_settings

    assert Settings.from_env({}).solver_search_iterations is None
    budgeted = Settings.from_env({"SOLVER_SEARCH_ITERATIONS": "5000"})
    assert solver_settings(budgeted, 30.0).search_iterations == 5000
    assert solver_settings(budgeted, 30.0).time_limit_s == 30.0


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_search_iteration_budget_that_is_not_a_positive_integer_is_refused(value):
    with pytest.raises(ConfigError, match="SOLVER_SEARCH_ITERATIONS"):
        Settings.from_env({"SOLVER_SEARCH_ITERATIONS": value})


def test_the_planner_plans_to_the_second_unless_told_a_coarser_time_unit():
    from app.services.travel import solver_settings

    assert solver_settings(Settings.from_env({})).time_unit_s == 1
    minutes = Settings.from_env({"PLANNER_TIME_UNIT_S": "60"})
    assert solver_settings(minutes).time_unit_s == 60


@pytest.mark.parametrize("value", ["0", "7", "90", "-5", "soon"])
def test_a_planner_time_unit_that_does_not_divide_a_minute_is_refused(value):
    with pytest.raises(ConfigError, match="PLANNER_TIME_UNIT_S"):
        Settings.from_env({"PLANNER_TIME_UNIT_S": value})
def test_priority_weights_of_the_planner_are_read_and_reach_the_planner():
    from app.services.travel import solver_settings

    assert solver_settings(Settings.from_env({})).priority_weights == (1, 10, 100, 1000, 10000)
    stated = Settings.from_env({"PLANNER_PRIORITY_WEIGHTS": "1, 3, 8, 50, 100"})
    assert solver_settings(stated, 30.0).priority_weights == (1, 3, 8, 50, 100)


@pytest.mark.parametrize("value", ["1,3,8", "1,3,x,50,100"])
def test_priority_weights_that_are_not_five_integers_are_refused(value):
    with pytest.raises(ConfigError, match="PLANNER_PRIORITY_WEIGHTS"):
        Settings.from_env({"PLANNER_PRIORITY_WEIGHTS": value})


@pytest.mark.parametrize("value", ["5,3,8,50,100", "1,3,8,50,20000"])
def test_the_app_refuses_to_start_with_priority_weights_the_planner_refuses(value):
    from app import create_app

    with pytest.raises(ConfigError, match="PLANNER_PRIORITY_WEIGHTS"):
        create_app(Settings.from_env({"PLANNER_PRIORITY_WEIGHTS": value}))


def test_run_heartbeat_timings_take_fractions_of_a_second_and_keep_their_defaults():
    defaults = Settings.from_env({})
    assert (defaults.run_heartbeat_s, defaults.run_stale_after_s, defaults.run_stale_check_s) == (
        5,
        40,
        15,
    )
    quick = Settings.from_env(
        {
            "RUN_HEARTBEAT_INTERVAL": "0.25",
            "RUN_STALE_AFTER": "1",
            "RUN_STALE_CHECK_INTERVAL": "0.5",
        }
    )
    assert (quick.run_heartbeat_s, quick.run_stale_after_s, quick.run_stale_check_s) == (
        0.25,
        1.0,
        0.5,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"RUN_HEARTBEAT_INTERVAL": "0"},
        {"RUN_HEARTBEAT_INTERVAL": "-0.5"},
        {"RUN_HEARTBEAT_INTERVAL": "nan"},
        {"RUN_STALE_CHECK_INTERVAL": "0.0"},
        {"RUN_STALE_CHECK_INTERVAL": "inf"},
        {"RUN_STALE_AFTER": "soon"},
        {"RUN_HEARTBEAT_INTERVAL": "0.75", "RUN_STALE_AFTER": "1.4"},
    ],
)
def test_run_heartbeat_timings_that_are_not_positive_or_too_tight_are_refused(env):
    with pytest.raises(ConfigError, match="RUN_"):
        Settings.from_env(env)


def test_a_fractional_stale_check_interval_is_scheduled_in_whole_seconds():
    from app.jobs.periodic import PERIODIC_JOBS
    from app.jobs.runs import STALE_RUNS_JOB_ID

    (stale,) = [p for p in PERIODIC_JOBS if p.job_id == STALE_RUNS_JOB_ID]
    assert stale.interval(Settings.from_env({})) == 15
    assert stale.interval(Settings.from_env({"RUN_STALE_CHECK_INTERVAL": "0.5"})) == 1
    assert stale.interval(Settings.from_env({"RUN_STALE_CHECK_INTERVAL": "2.5"})) == 3


def test_the_run_pages_progress_poll_is_a_setting():
    assert Settings.from_env({}).console_progress_poll_ms == 700
    assert Settings.from_env({"CONSOLE_PROGRESS_POLL_MS": "150"}).console_progress_poll_ms == 150


@pytest.mark.parametrize("value", ["0", "10", "600000", "often"])
def test_a_progress_poll_outside_its_range_is_refused(value):
    with pytest.raises(ConfigError, match="CONSOLE_PROGRESS_POLL_MS"):
        Settings.from_env({"CONSOLE_PROGRESS_POLL_MS": value})
