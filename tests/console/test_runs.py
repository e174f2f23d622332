"""Optimizer runs from the console: start, progress, proposal beside the plan, publish."""

from sqlalchemy import select

from app.jobs.dispatching import run_dispatch
from app.models import DispatchRun, DispatchRunZone, LockState, RunStatus, Visit
from app.services.dispatching.runs import RunRequest, create_run
from tests.factories import tomorrow_at

TOMORROW = tomorrow_at(9).date()


def finished_run(session):
    run = create_run(session, RunRequest(first_day=TOMORROW, time_limit_s=1), user_id=None)
    session.commit()
    run_dispatch(run.id, "Asia/Shanghai")
    session.expire_all()
    return session.get(DispatchRun, run.id)


def solving_jobs(jobs):
    """The runs whose solve waits in ``jobs``, by id."""
    return [job.args[0] for job in jobs.jobs
            if job.func_name == "app.jobs.dispatching.run_dispatch"]


def test_starting_a_run_answers_202_with_where_to_watch_it(
    console, session, crew, runs_wait_in_a_queue
):
    response = console.post_json("/console/runs", {"day": TOMORROW.isoformat(), "time_limit_s": 1})
    assert response.status_code == 202
    run = session.scalar(select(DispatchRun))
    assert response.json["url"] == f"/console/runs/{run.id}"
    assert run.params["first_day"] == TOMORROW.isoformat()
    assert solving_jobs(runs_wait_in_a_queue) == [run.id]


def test_a_running_runs_page_polls_its_progress_as_often_as_the_settings_say(
    console, session, crew, settings, runs_wait_in_a_queue
):
    url = console.post_json("/console/runs", {"day": TOMORROW.isoformat()}).json["url"]
    page = console.get(url).text
    assert 'data-done="false"' in page
    assert f'data-poll-ms="{settings.console_progress_poll_ms}"' in page


def test_progress_reports_phase_cost_and_elapsed_time(console, session, crew):
    run = finished_run(session)
    progress = console.get(f"/console/runs/{run.id}/progress").json
    assert progress["done"] is True
    assert progress["phase"] == "done"
    assert progress["percent"] == 100
    assert progress["time_limit_s"] == 1


def test_the_run_page_shows_the_diff_and_kpi_deltas_beside_the_published_plan(
    console, session, crew
):
    run = finished_run(session)
    page = console.get(f"/console/runs/{run.id}").text
    assert 'id="kpis"' in page
    assert 'id="diff"' in page
    assert "Published plan" in page
    assert "Proposal" in page
    for visit in crew.visits:
        assert f'id="p-visit-{visit.id}"' in page


def test_publishing_from_the_console_applies_the_proposal(console, session, crew):
    run = finished_run(session)
    response = console.post(f"/console/runs/{run.id}/publish")
    assert response.headers["Location"] == f"/console/board?day={TOMORROW}"
    session.expire_all()
    assert session.get(DispatchRun, run.id).status == RunStatus.PUBLISHED
    assert all(session.get(Visit, v.id).technician_id is not None for v in crew.visits)
    board = console.get(f"/console/board?day={TOMORROW}").text
    assert "Published run" in board


def test_a_stale_proposal_is_refused_and_says_to_re_run(console, session, crew):
    run = finished_run(session)
    crew.visits[0].description = "changed meanwhile"
    session.commit()
    page = f"/console/runs/{run.id}"
    console.post(f"{page}/publish", {"next": page})
    shown = console.get(page).text
    assert "changed since run" in shown
    assert "re-run the optimizer" in shown
    assert 'id="rerun"' in shown


def test_a_stale_publish_asked_by_a_script_is_a_409_in_the_one_format(console, session, crew):
    run = finished_run(session)
    crew.visits[0].description = "changed meanwhile"
    session.commit()
    response = console.post_json(f"/console/runs/{run.id}/publish", {})
    assert response.status_code == 409
    assert response.json["code"] == "proposal_stale"


def test_locking_a_proposed_placement_pins_the_visit_there(console, session, crew):
    run = finished_run(session)
    placed = run.proposal["assignments"][0]
    console.post(
        f"/console/visits/{placed['visit_id']}/lock",
        {
            "lock": "technician_time",
            "technician_id": placed["technician_id"],
            "planned_start": placed["planned_start"],
        },
    )
    session.expire_all()
    visit = session.get(Visit, placed["visit_id"])
    assert (visit.technician_id, visit.lock) == (placed["technician_id"], LockState.TECHNICIAN_TIME)


def test_re_running_starts_a_new_run_with_the_same_request(
    console, session, crew, runs_wait_in_a_queue
):
    run = finished_run(session)
    response = console.post(f"/console/runs/{run.id}/rerun")
    again = session.scalar(select(DispatchRun).where(DispatchRun.id != run.id))
    assert response.headers["Location"] == f"/console/runs/{again.id}"
    assert again.params == run.params
    assert solving_jobs(runs_wait_in_a_queue) == [again.id]


def test_progress_and_the_run_page_show_each_zone_of_a_split_run(console, session):
    run = create_run(session, RunRequest(first_day=TOMORROW), user_id=None)
    run.status, run.phase = RunStatus.RUNNING, "zones"
    session.add_all([
        DispatchRunZone(run_id=run.id, zone=1, technicians=3, visits=8, phase="done", placed=7),
        DispatchRunZone(run_id=run.id, zone=0, technicians=3, visits=9, phase="search",
                        best_cost=1234.0),
    ])
    session.commit()
    zones = console.get(f"/console/runs/{run.id}/progress").json["zones"]
    assert [(z["zone"], z["phase"], z["best_cost"], z["placed"]) for z in zones] == [
        (0, "search", 1234.0, None),
        (1, "done", None, 7),
    ]
    page = console.get(f"/console/runs/{run.id}").text
    assert 'id="run-zones"' in page
    assert "search" in page


def test_a_run_asked_with_a_body_that_is_not_an_object_is_a_422(console, session, crew):
    for body in (
        [TOMORROW.isoformat()],
        {"day": 20261202},
        {"day": TOMORROW.isoformat(), "time_limit_s": [1]},
    ):
        response = console.post_json("/console/runs", body)
        assert response.status_code == 422, body
        assert response.json["code"] == "validation_error"
    assert session.scalar(select(DispatchRun)) is None


def test_a_run_for_a_day_more_than_a_year_away_is_a_422(console, session, crew):
    response = console.post_json("/console/runs", {"day": "0001-01-01"})
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["day"]
    assert session.scalar(select(DispatchRun)) is None
