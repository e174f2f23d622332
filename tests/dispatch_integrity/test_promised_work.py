"""Runs respect promised work; publishing is explicit about the published work it drops."""

import datetime as dt

from app.database import utcnow
from app.models import Role, Visit, VisitStatus
from app.services.board import edits
from tests.dispatch_integrity.conftest import TZ, assert_no_overlap, published, solve
from tests.factories import TechnicianFactory, UserFactory, VisitFactory, tomorrow_at


def _one_slot_two_visits(session):
    """A technician with room for one hour; a published minor visit and a new urgent one."""
    tech = TechnicianFactory(
        skills={"measure": 2},
        shift_pattern={
            d: [["09:00", "10:15"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    )
    minor = published(tech.id, tomorrow_at(9), priority=1)
    urgent = VisitFactory(
        priority=5,
        required_skills={"measure": 1},
        window_start=tomorrow_at(9),
        window_end=tomorrow_at(9, 10),
    )
    return tech, minor, urgent


def test_publishing_a_proposal_that_leaves_out_a_published_visit_unschedules_it(
    client, session, as_dispatcher
):
    tech, minor, urgent = _one_slot_two_visits(session)
    run = solve(session)
    dropped = run.proposal["to_unschedule"]
    assert [d["visit_id"] for d in dropped] == [minor.id]
    assert dropped[0]["reasons"][0]["message"]
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert response.status_code == 200, response.json
    assert [u["visit_id"] for u in response.json["unscheduled"]] == [minor.id]
    session.expire_all()
    left_out = session.get(Visit, minor.id)
    assert (left_out.status, left_out.technician_id, left_out.planned_start) == (
        VisitStatus.NEW,
        None,
        None,
    )
    assert session.get(Visit, urgent.id).technician_id == tech.id
    assert_no_overlap(session, tech.id)


def test_keeping_published_work_keeps_the_visit_and_plans_nothing_over_it(
    client, session, as_dispatcher
):
    tech, minor, urgent = _one_slot_two_visits(session)
    run = solve(session, keep_published=True)
    assert run.proposal["to_unschedule"] == []
    # The solver either plans the published visit again on its technician or leaves it in
    # its published slot ("kept"); either way nothing is planned over it.
    planned = {a["visit_id"]: a for a in run.proposal["assignments"]}
    kept = [k["visit_id"] for k in run.proposal["kept"]]
    assert kept == [minor.id] or planned[minor.id]["technician_id"] == tech.id
    assert urgent.id not in planned
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert response.status_code == 200, response.json
    assert response.json["unscheduled"] == []
    session.expire_all()
    assert session.get(Visit, minor.id).technician_id == tech.id
    assert session.get(Visit, urgent.id).technician_id is None
    assert_no_overlap(session, tech.id)


def test_a_filtered_run_plans_around_published_visits_of_other_kinds(
    client, session, measurer, as_dispatcher
):
    install = published(
        measurer.id,
        tomorrow_at(9),
        kind="install",
        required_skills={"install_cabinet": 1},
        duration_min=120,
    )
    measure = VisitFactory(
        required_skills={"measure": 1}, window_start=tomorrow_at(9), window_end=tomorrow_at(12)
    )
    run = solve(session, kinds=("measure",))
    placed = {a["visit_id"]: a for a in run.proposal["assignments"]}
    assert install.id not in placed
    assert [f["visit_id"] for f in run.proposal["fixed"]] == [install.id]
    start = dt.datetime.fromisoformat(placed[measure.id]["planned_start"])
    assert start >= tomorrow_at(11)
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert response.status_code == 200, response.json
    assert_no_overlap(session, measurer.id)


def test_a_filtered_run_never_plans_over_a_visit_under_way(session, measurer):
    VisitFactory(
        technician_id=measurer.id,
        planned_start=tomorrow_at(9),
        status=VisitStatus.ON_SITE,
        required_skills={"measure": 1},
        duration_min=90,
    )
    wanted = VisitFactory(
        required_skills={"measure": 1}, window_start=tomorrow_at(9), window_end=tomorrow_at(9, 30)
    )
    run = solve(session, visit_ids=(wanted.id,))
    assert run.proposal["assignments"] == []
    assert run.proposal["unassigned"][0]["visit_id"] == wanted.id


def test_publishing_is_refused_when_the_technician_was_given_other_work_meanwhile(
    client, session, measurer, as_dispatcher
):
    planned = VisitFactory(
        required_skills={"measure": 1}, window_start=tomorrow_at(9), window_end=tomorrow_at(9, 5)
    )
    run = solve(session)
    assert run.proposal["assignments"][0]["visit_id"] == planned.id
    # After the run read the day, an urgent visit is moved onto the same technician and time.
    meanwhile = VisitFactory(
        required_skills={"measure": 1}, window_start=tomorrow_at(9), window_end=tomorrow_at(10)
    )
    edits.move_visit(
        session,
        meanwhile,
        measurer.id,
        tomorrow_at(9),
        tz=board_tz(),
        actor_user_id=None,
        now=utcnow(),
    )
    session.commit()
    response = client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    assert response.status_code == 409
    assert response.json["code"] == "proposal_infeasible"
    refusal = response.json["details"]["refusals"][0]
    assert (refusal["code"], refusal["clashes_with"]) == ("technician_busy", meanwhile.id)
    session.expire_all()
    assert session.get(Visit, planned.id).status == VisitStatus.NEW
    assert_no_overlap(session, measurer.id)


def board_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(TZ)


def test_an_unscheduled_visit_leaves_the_technicians_phone(client, session, as_dispatcher, phone):
    tech, minor, _ = _one_slot_two_visits(session)
    tech.user = UserFactory(role=Role.TECHNICIAN)
    session.commit()
    device = phone(tech.user)
    device.sync()
    assert ("visit", str(minor.id)) in device.store.records()
    run = solve(session)
    client.post(f"/api/v1/dispatch/runs/{run.id}/publish", headers=as_dispatcher)
    device.sync()
    assert ("visit", str(minor.id)) not in device.store.records()
