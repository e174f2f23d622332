"""Unscheduling: a scheduled or dispatched visit goes back to `new` and can be planned again."""

import pytest

from app.models import LockState, Visit, VisitStatus
from app.models.visits import allowed_next
from tests.factories import TechnicianFactory, VisitFactory, tomorrow_at


@pytest.mark.parametrize("status", [VisitStatus.SCHEDULED, VisitStatus.DISPATCHED])
def test_the_state_machine_lets_planned_visits_back_to_new(status):
    assert VisitStatus.NEW in allowed_next(status)


@pytest.mark.parametrize(
    "status", [VisitStatus.EN_ROUTE, VisitStatus.ON_SITE, VisitStatus.COMPLETED]
)
def test_a_visit_under_way_or_done_cannot_be_unscheduled(status):
    assert VisitStatus.NEW not in allowed_next(status)


def planned_visit(tech, status=VisitStatus.SCHEDULED):
    return VisitFactory(
        technician_id=tech.id,
        planned_start=tomorrow_at(10),
        lock=LockState.TECHNICIAN_TIME,
        status=status,
        required_skills={"measure": 1},
        window_start=tomorrow_at(9),
        window_end=tomorrow_at(16),
    )


@pytest.mark.parametrize("status", [VisitStatus.SCHEDULED, VisitStatus.DISPATCHED])
def test_unscheduling_clears_technician_time_and_lock(client, session, as_dispatcher, status):
    visit = planned_visit(TechnicianFactory(skills={"measure": 2}), status)
    response = client.post(
        f"/api/v1/visits/{visit.id}/transitions", json={"to": "new"}, headers=as_dispatcher
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "new"
    assert response.json["technician_id"] is None
    assert response.json["planned_start"] is None
    assert response.json["lock"] == "none"
    session.expire_all()
    assert session.get(Visit, visit.id).status_changes[-1].from_status == status


def test_a_technician_cannot_unschedule_a_visit(client, session, login):
    tech = TechnicianFactory(with_user=True, skills={"measure": 2})
    visit = planned_visit(tech)
    response = client.post(
        f"/api/v1/visits/{visit.id}/transitions", json={"to": "new"}, headers=login(tech.user)
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Visit, visit.id).technician_id == tech.id


def test_an_unscheduled_visit_leaves_the_technicians_phone(client, session, as_dispatcher, phone):
    tech = TechnicianFactory(with_user=True, skills={"measure": 2})
    visit = planned_visit(tech)
    device = phone(tech.user)
    device.sync()
    assert ("visit", str(visit.id)) in device.store.records()
    client.post(f"/api/v1/visits/{visit.id}/transitions", json={"to": "new"}, headers=as_dispatcher)
    device.sync()
    assert ("visit", str(visit.id)) not in device.store.records()


def test_an_unscheduled_visit_is_planned_again_by_the_next_run(client, session, as_dispatcher):
    from app.jobs.dispatching import run_dispatch
    from app.services.dispatching.runs import RunRequest, create_run

    visit = planned_visit(TechnicianFactory(skills={"measure": 2}))
    client.post(f"/api/v1/visits/{visit.id}/transitions", json={"to": "new"}, headers=as_dispatcher)
    run = create_run(
        session, RunRequest(first_day=tomorrow_at(9).date(), time_limit_s=1), user_id=None
    )
    session.commit()
    run_dispatch(run.id, "Asia/Shanghai")
    session.refresh(run)
    assert [a["visit_id"] for a in run.proposal["assignments"]] == [visit.id]
    assert run.proposal["diff"]["added"][0]["visit_id"] == visit.id
