"""The console: dispatch today from the board, retry a failed run, proposals read like the board."""

import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.database import utcnow
from app.models import DispatchRun, RunStatus, Visit, VisitStatus
from app.services.board.timeline import Placement, build_board
from dispatch.travel import GeodesicProvider
from tests.console.test_runs import TOMORROW, finished_run, solving_jobs
from tests.factories import TechnicianFactory, VisitFactory, tomorrow_at

ROW = re.compile(r'class="tl-row" data-technician="(\d+)"')


def test_the_board_of_today_offers_dispatch_today_and_other_days_do_not(console):
    assert 'id="dispatch-today"' in console.get("/console/board").text
    assert 'id="dispatch-today"' not in console.get(f"/console/board?day={TOMORROW}").text


def test_dispatch_today_from_the_console_dispatches_todays_published_visits(console, session):
    tech = TechnicianFactory(skills={"measure": 2})
    visit = VisitFactory(
        technician_id=tech.id, planned_start=tomorrow_at(15, days=0), status=VisitStatus.SCHEDULED
    )
    response = console.post("/console/dispatch-today")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Visit, visit.id).status == VisitStatus.DISPATCHED
    board = console.get(response.headers["Location"]).text
    assert "1 visit(s)" in board
    assert "dispatched to the technicians" in board


def test_a_failed_run_page_says_why_and_offers_a_retry(
    console, session, crew, runs_wait_in_a_queue
):
    run = finished_run(session)
    run.status, run.error, run.proposal = RunStatus.FAILED, "no heartbeat since 10:00 UTC", None
    session.commit()
    page = console.get(f"/console/runs/{run.id}").text
    assert "no heartbeat since 10:00 UTC" in page
    assert 'id="retry"' in page
    response = console.post(f"/console/runs/{run.id}/retry")
    again = session.scalar(select(DispatchRun).where(DispatchRun.retry_of_run_id == run.id))
    assert response.headers["Location"] == f"/console/runs/{again.id}"
    # handed to be solved like any run (a retry solved to the end: tests/app/test_run_health.py)
    assert solving_jobs(runs_wait_in_a_queue) == [again.id]


def test_the_proposal_shows_kpis_with_units_and_no_raw_objective(console, session, crew):
    run = finished_run(session)
    page = console.get(f"/console/runs/{run.id}").text
    kpis = page[page.index('id="kpis"') : page.index("</table>", page.index('id="kpis"'))]
    assert "Driving distance" in kpis
    assert " km" in kpis
    assert " h<" in kpis
    assert " %" in kpis
    assert "cost" not in page.lower()


def test_proposal_rows_follow_the_published_board_order(console, session, crew):
    first, _ = crew.technicians
    # Published: only the first technician works tomorrow, so the board lists them first.
    VisitFactory(
        technician_id=first.id,
        planned_start=tomorrow_at(9),
        status=VisitStatus.SCHEDULED,
        required_skills={"measure": 1},
    )
    run = finished_run(session)
    page = console.get(f"/console/runs/{run.id}").text
    published_part, proposed_part = page.split("<h2>Proposal</h2>", 1)
    published_rows = ROW.findall(published_part)
    proposed_rows = ROW.findall(proposed_part.split("</section>", 1)[0])
    assert published_rows[0] == str(first.id)
    assert proposed_rows[: len(published_rows)] == published_rows


def test_row_order_is_kept_even_when_another_technician_is_busier(session, crew):
    first, second = crew.technicians
    plan = {v.id: Placement(second.id, tomorrow_at(10 + i)) for i, v in enumerate(crew.visits)}
    kwargs = {"travel": GeodesicProvider(), "plan": plan}
    day, tz = TOMORROW, ZoneInfo("Asia/Shanghai")
    natural = build_board(session, day, tz, utcnow(), **kwargs)
    ordered = build_board(session, day, tz, utcnow(), row_order=[first.id, second.id], **kwargs)
    assert [r.technician_id for r in natural.rows] == [second.id, first.id]
    assert [r.technician_id for r in ordered.rows] == [first.id, second.id]


def test_the_most_important_unassigned_visit_heads_the_list(session, crew):
    for visit, priority in zip(crew.visits, (1, 5, 3), strict=True):
        session.get(Visit, visit.id).priority = priority
    session.commit()
    board = build_board(
        session, TOMORROW, ZoneInfo("Asia/Shanghai"), utcnow(), travel=GeodesicProvider()
    )
    assert [w.priority for w in board.waiting] == [5, 3, 1]
