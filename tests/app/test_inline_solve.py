"""Without Redis a solve runs in a process of its own: the server keeps answering meanwhile."""

import re
import time

import requests

from app.models import RunStatus
from tests.conftest import wait_for_background_runs
from tests.factories import PASSWORD, TechnicianFactory, measure_visits_tomorrow, tomorrow_at

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
# the answers are timed for a second or more while the run works: its solve's time limit,
# plus loading the planner and reading the problem before it
SOLVE_S = 1.5
MEASURED_S = 1.0


def signed_in_console(base, user):
    browser = requests.Session()
    token = CSRF_FIELD.search(browser.get(f"{base}/console/login").text).group(1)
    answer = browser.post(
        f"{base}/console/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    return browser


def timed_get(http, url, **kwargs):
    started = time.perf_counter()
    response = http.get(url, timeout=10, **kwargs)
    return response, time.perf_counter() - started


def test_the_server_answers_in_under_a_second_during_a_long_solve(
    live_server, session, dispatcher, searches_use_their_time_limit
):
    for _ in range(4):
        TechnicianFactory(skills={"measure": 2})
    measure_visits_tomorrow(30)
    api = requests.Session()
    token = api.post(
        f"{live_server}/api/v1/auth/token",
        json={"email": dispatcher.email, "password": PASSWORD},
    ).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    browser = signed_in_console(live_server, dispatcher)
    timed_get(api, f"{live_server}/api/openapi.json")  # built once, then cached

    started = api.post(
        f"{live_server}/api/v1/dispatch/runs",
        json={"first_day": tomorrow_at(9).date().isoformat(), "time_limit_s": SOLVE_S},
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    slowest = {"openapi": 0.0, "api poll": 0.0, "console poll": 0.0}
    seen_running_s, first_running, status = 0.0, None, "queued"
    deadline = time.monotonic() + SOLVE_S + 60
    while status in ("queued", "running"):
        assert time.monotonic() < deadline, f"run {run_id} still {status}"
        spec, spec_s = timed_get(api, f"{live_server}/api/openapi.json")
        run, run_s = timed_get(api, f"{live_server}/api/v1/dispatch/runs/{run_id}")
        progress, progress_s = timed_get(browser, f"{live_server}/console/runs/{run_id}/progress")
        assert spec.status_code == run.status_code == progress.status_code == 200
        status = run.json()["status"]
        if status == RunStatus.RUNNING:
            first_running = first_running or time.monotonic()
            seen_running_s = time.monotonic() - first_running
            for name, took in (
                ("openapi", spec_s),
                ("api poll", run_s),
                ("console poll", progress_s),
            ):
                slowest[name] = max(slowest[name], took)
        time.sleep(0.05)
    print(f"solve watched for {seen_running_s:.1f} s; slowest answers: {slowest}")
    assert status == "succeeded", run.json()
    assert seen_running_s >= MEASURED_S, "the answers were not measured during the solve"
    assert all(took < 1.0 for took in slowest.values()), slowest
    wait_for_background_runs()
