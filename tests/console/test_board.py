"""The board of a day: timelines per technician, unassigned visits with reasons, SLA marks, map."""

import datetime as dt
from zoneinfo import ZoneInfo

from app.database import utcnow
from app.jobs.dispatching import run_dispatch
from app.models import LockState, SlaAlert, VisitStatus
from app.services.board import timeline
from app.services.dispatching.runs import RunRequest, create_run
from dispatch.travel import GeodesicProvider
from tests.factories import TechnicianFactory, VisitFactory, tomorrow_at

TZ = ZoneInfo("Asia/Shanghai")
TOMORROW = tomorrow_at(9).date()
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def plan(crew, session):
    """Publish-like: the first two visits planned for the first technician."""
    for hour, visit in zip((9, 11), crew.visits[:2], strict=True):
        visit.technician_id, visit.planned_start = crew.technicians[0].id, tomorrow_at(hour)
        visit.status = VisitStatus.SCHEDULED
    session.commit()


def test_each_technician_gets_a_row_with_their_visits_in_order(session, crew):
    plan(crew, session)
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    rows = {r.technician_id: r for r in view.rows}
    first = rows[crew.technicians[0].id]
    assert [b.visit_id for b in first.blocks] == [crew.visits[0].id, crew.visits[1].id]
    assert first.blocks[0].left_pct < first.blocks[1].left_pct
    assert rows[crew.technicians[1].id].blocks == []


def test_a_visit_not_planned_is_listed_with_why(session, crew):
    plan(crew, session)
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    assert [(w.visit_id, w.reasons[0][0]) for w in view.waiting] == [
        (crew.visits[2].id, "not_planned")
    ]


def test_the_reason_comes_from_the_latest_run_when_there_is_one(session, crew):
    orphan = VisitFactory(required_skills={"stone_worktop": 3})
    run = create_run(session, RunRequest(first_day=TOMORROW, time_limit_s=1), user_id=None)
    session.commit()
    run_dispatch(run.id, "Asia/Shanghai")
    session.expire_all()
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    reasons = {w.visit_id: w.reasons for w in view.waiting}
    assert reasons[orphan.id][0][0] == "no_skilled_technician"


def test_a_visit_with_a_breach_alert_is_flagged(session, crew):
    plan(crew, session)
    session.add(
        SlaAlert(
            subject="visit",
            subject_id=crew.visits[0].id,
            target="resolution",
            level="breach",
            due_at=utcnow(),
            message="late",
        )
    )
    session.commit()
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    flags = {b.visit_id: b.flag for r in view.rows for b in r.blocks}
    assert flags[crew.visits[0].id] == "breach"
    assert view.alerts[0].subject_id == crew.visits[0].id


def test_a_visit_planned_past_its_sla_due_shows_as_at_risk(session, crew):
    plan(crew, session)
    crew.visits[1].sla_due = tomorrow_at(11, 30)  # planned 11:00 for 60 min
    session.commit()
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    states = {b.visit_id: b.sla_state for r in view.rows for b in r.blocks}
    assert states[crew.visits[1].id] == "warning"


def test_a_locked_visit_carries_its_lock(session, crew):
    plan(crew, session)
    crew.visits[0].lock = LockState.TECHNICIAN_TIME
    session.commit()
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    locks = {b.visit_id: b.lock for r in view.rows for b in r.blocks}
    assert locks[crew.visits[0].id] == "technician_time"


def test_the_map_draws_a_route_per_busy_technician_and_every_depot(session, crew):
    plan(crew, session)
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    assert [d.label for d in view.map.depots] == ["Pudong depot"]
    assert len(view.map.routes) == 1
    assert len(view.map.routes[0].stops) == 2
    assert len(view.map.waiting) == 1
    xs = [p.x for r in view.map.routes for p in r.stops] + [d.x for d in view.map.depots]
    assert all(0 <= x <= view.map.width for x in xs)


def test_the_board_page_shows_blocks_unassigned_reasons_and_the_map(console, session, crew):
    plan(crew, session)
    page = console.get(f"/console/board?day={TOMORROW}").text
    assert f'id="b-visit-{crew.visits[0].id}"' in page
    assert 'data-code="not_planned"' in page
    assert "<polyline" in page


def test_an_early_visit_widens_the_timeline(session, crew):
    crew.visits[0].technician_id = crew.technicians[0].id
    crew.visits[0].planned_start = tomorrow_at(5, 30)
    session.commit()
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    assert view.hours[0][0] == "05:00"


def test_a_bad_day_is_a_friendly_error_page(console):
    response = console.get("/console/board?day=someday")
    assert response.status_code == 422
    assert "is not a date" in response.text


def test_a_day_more_than_ten_years_away_is_a_friendly_error_page(console):
    response = console.get("/console/board?day=0001-01-01")
    assert response.status_code == 422
    assert "more than ten years from today" in response.text


def test_the_board_runs_the_sla_check_when_jobs_run_inline(console, session, crew):
    plan(crew, session)
    crew.visits[0].sla_due = utcnow() - dt.timedelta(minutes=5)
    session.commit()
    console.get(f"/console/board?day={TOMORROW}")
    session.expire_all()
    assert session.query(SlaAlert).filter_by(subject_id=crew.visits[0].id).one().level == "breach"


def test_open_complaints_show_with_their_stage_clock(session):
    from app.models import ComplaintStage
    from tests.factories import ComplaintFactory, CustomerFactory

    overdue = ComplaintFactory(
        customer_id=CustomerFactory().id,
        stage=ComplaintStage.ASSIGNED,
        due_at=utcnow() - dt.timedelta(hours=1),
    )
    ComplaintFactory(customer_id=CustomerFactory().id, stage=ComplaintStage.CLOSED)
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    assert [(c.complaint_id, c.clock.state) for c in view.complaints] == [(overdue.id, "breached")]


def test_a_split_day_shows_every_shift_on_the_row(console, session):
    split = {d: [["08:00", "12:00"], ["14:00", "18:00"]] for d in EVERY_DAY}
    tech = TechnicianFactory(name="Split", shift_pattern=split)
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    [row] = [r for r in view.rows if r.technician_id == tech.id]
    hours = [(s.start.astimezone(TZ).hour, s.end.astimezone(TZ).hour) for s in row.shifts]
    assert hours == [(8, 12), (14, 18)]
    assert row.shifts[0].left_pct + row.shifts[0].width_pct < row.shifts[1].left_pct
    page = console.get(f"/console/board?day={TOMORROW}").text
    track = page.split(f'data-technician="{tech.id}"')[1].split("tl-row")[0]
    assert track.count('class="tl-shift"') == 2


def test_an_evening_shift_widens_the_timeline_to_its_end(session):
    evening = {d: [["09:00", "12:00"], ["18:00", "22:00"]] for d in EVERY_DAY}
    tech = TechnicianFactory(name="Evening", shift_pattern=evening)
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=GeodesicProvider())
    [row] = [r for r in view.rows if r.technician_id == tech.id]
    assert view.hours[-1][0] == "21:00"
    assert row.shifts[1].left_pct + row.shifts[1].width_pct == 100


def test_the_drive_shows_in_whole_minutes_and_a_gap_shorter_than_the_exact_drive_is_tight(
    session,
):
    """A drive of 10.4 min before a visit 10 min after the shift starts: shown as 10 min, and
    tight (the gap is shorter than the drive itself, not than its rounded figure)."""
    tech = TechnicianFactory()
    site = (31.2754, 121.4737)
    at_default = GeodesicProvider().minutes((tech.home_lat, tech.home_lon), site)
    travel = GeodesicProvider(speed_kmh=GeodesicProvider().speed_kmh * at_default / 10.4)
    VisitFactory(
        site__lat=site[0],
        site__lon=site[1],
        technician_id=tech.id,
        status=VisitStatus.SCHEDULED,
        planned_start=tomorrow_at(8, 10),
        window_start=None,
        window_end=None,
    )
    view = timeline.build_board(session, TOMORROW, TZ, utcnow(), travel=travel)
    [block] = next(r for r in view.rows if r.technician_id == tech.id).blocks
    assert (block.travel_min, block.tight) == (10, True)
