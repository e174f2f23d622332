"""The dispatcher console in a real headless Chromium: the review-and-publish loop, figures."""

from __future__ import annotations

import time

from playwright.sync_api import expect
from sqlalchemy import select

from app.models import LockState, Visit
from tests.factories import tomorrow_at

TOMORROW = tomorrow_at(9).date().isoformat()


def watch_run(page, timeout_s: float = 30) -> list[str]:
    """Follow the progress bar until the proposal shows; returns the phases seen."""
    page.wait_for_selector("#progress")
    phases, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.locator("#publish").count():
            return phases
        phase = page.locator("#run-phase").text_content(timeout=2000) or ""
        if not phases or phases[-1] != phase:
            phases.append(phase)
        page.wait_for_timeout(100)
    raise AssertionError(f"the run did not finish within {timeout_s} s; phases seen: {phases}")


def test_a_dispatcher_reviews_locks_and_publishes_a_plan(
    signed_in,
    live_server,
    shoot,
    day_to_plan,
    session,
    app,
    settings,
    searches_use_their_time_limit,
):
    # The first run searches for its whole time limit (the shortest the board offers, 1 s), so
    # that the progress bar is seen moving.
    page = signed_in
    _, visits = day_to_plan
    page.goto(f"{live_server}/console/board?day={TOMORROW}")
    expect(page.locator("#unassigned li")).to_have_count(3)
    shoot("console-board-before")

    page.fill("#time-limit", "1")
    page.click("#run-optimizer")
    page.wait_for_selector("#progress-fill")
    assert page.locator("#progress").get_attribute("data-done") == "false"
    shoot("console-run-progress")
    phases = watch_run(page)
    assert any(p not in ("", "done") for p in phases), phases
    assert page.locator("#run-status").text_content() == "succeeded"
    assert page.locator("#kpis tr").count() > 1
    shoot("console-proposal", full_page=True)

    first = page.locator("#assignments tr[data-visit]").first
    locked_id = int(first.get_attribute("data-visit"))
    first.locator("button.lock-button").click()
    page.wait_for_selector(".flash-success")
    assert f"Visit {locked_id} locked" in page.locator(".flash-success").text_content()

    page.click("#publish")
    refused = page.wait_for_selector(".flash-conflict")
    assert "re-run the optimizer" in refused.text_content()
    shoot("console-publish-refused")

    # The re-run only has to plan the day again around the lock: the tests' iteration budget
    # does (the fixture restores these same settings at the end either way).
    app.extensions["settings"] = settings
    page.click("#rerun")
    watch_run(page)
    page.click("#publish")
    page.wait_for_selector("#board")
    assert "Published run" in page.locator(".flash-success").text_content()
    for visit in visits:
        expect(page.locator(f"#b-visit-{visit.id}")).to_have_count(1)
    assert page.locator(f"#b-visit-{locked_id}").get_attribute("data-lock") == "technician_time"
    expect(page.locator("#unassigned li")).to_have_count(0)
    shoot("console-board-published", full_page=True)

    session.expire_all()
    stored = session.scalars(select(Visit).where(Visit.id.in_([v.id for v in visits]))).all()
    assert all(v.technician_id is not None for v in stored)
    assert session.get(Visit, locked_id).lock == LockState.TECHNICIAN_TIME


def test_a_dispatcher_reads_the_figures_and_downloads_csv(
    signed_in, live_server, shoot, rated_weeks
):
    page = signed_in
    page.goto(f"{live_server}/console/board")
    page.click("#nav-metrics")
    page.wait_for_selector("#chart-csat svg polyline")
    expect(page.locator(".chart")).to_have_count(6)
    shoot("console-figures")

    page.select_option("#slice", "technician")
    page.click("#figure-filter button")
    page.wait_for_selector("#chart-csat .legend")
    legend = page.locator("#chart-csat .legend").text_content()
    assert "Wang Wei" in legend
    assert "Li Na" in legend
    assert "n=" in legend
    csat = page.locator("#tile-csat").text_content()
    assert "n=" in csat
    assert "Last week" in csat
    shoot("console-figures-by-technician", full_page=True)

    with page.expect_download() as download:
        page.click("#chart-csat a.csv")
    text = download.value.path().read_text()
    assert text.splitlines()[0] == "metric,week,slice,value,n"
    assert "Wang Wei" in text


def test_a_dispatcher_drags_a_visit_onto_a_technician_and_sees_a_refusal_explained(
    signed_in, live_server, shoot, day_to_plan, session
):
    from tests.factories import TechnicianFactory

    page = signed_in
    techs, visits = day_to_plan
    installer = TechnicianFactory(skills={"install_cabinet": 3}, name="Zhao Installer")
    page.goto(f"{live_server}/console/board?day={TOMORROW}")

    def drop(visit, technician, fraction: float) -> None:
        track = page.locator(f'.tl-row[data-technician="{technician.id}"] .tl-track')
        box = track.bounding_box()
        page.drag_and_drop(
            f'#unassigned li[data-visit="{visit.id}"]',
            f'.tl-row[data-technician="{technician.id}"] .tl-track',
            target_position={"x": box["width"] * fraction, "y": box["height"] / 2},
        )

    drop(visits[0], installer, 0.25)
    error = page.wait_for_selector("#move-error")
    assert "lacks required skill" in error.text_content()
    shoot("console-drag-refused")

    # 07:00-20:00 spans 13 hours: a quarter of the way is about 10:15.
    with page.expect_navigation():
        drop(visits[0], techs[0], 0.25)
    block = page.wait_for_selector(f"#b-visit-{visits[0].id}")
    assert block.get_attribute("data-status") == "scheduled"
    shoot("console-drag-moved")
    session.expire_all()
    moved = session.get(Visit, visits[0].id)
    assert moved.technician_id == techs[0].id
    assert moved.planned_start.astimezone(tomorrow_at(9).tzinfo).hour == 10


def test_a_dispatcher_starts_the_day_from_the_board(signed_in, live_server, shoot, session):
    from app.models import VisitStatus
    from tests.factories import TechnicianFactory, VisitFactory

    tech = TechnicianFactory(skills={"measure": 2}, name="Zhou Min")
    published = [
        VisitFactory(
            technician_id=tech.id,
            planned_start=tomorrow_at(hour, days=0),
            status=VisitStatus.SCHEDULED,
            required_skills={"measure": 1},
        )
        for hour in (10, 14)
    ]
    page = signed_in
    page.goto(f"{live_server}/console/board")
    shoot("console-board-day-start")

    page.click("#dispatch-today")  # confirmed by the page's dialog handler

    notice = page.wait_for_selector(".flash-success")
    assert "Day started: 2 visit(s)" in notice.text_content()
    shoot("console-board-day-started")
    session.expire_all()
    stored = session.scalars(select(Visit).where(Visit.id.in_([v.id for v in published]))).all()
    assert {v.status for v in stored} == {VisitStatus.DISPATCHED}

    page.click("#dispatch-today")
    assert "Nothing to dispatch" in page.wait_for_selector(".flash-success").text_content()
