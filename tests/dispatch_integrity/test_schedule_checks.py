"""Every hand edit of a placement is checked like a published plan, inside its day's lock."""

import threading

from sqlalchemy.orm import Session

from app.database import db
from app.models import Visit
from app.services.schedule_checks import TechnicianDay, lock_days
from tests.dispatch_integrity.conftest import assert_no_overlap, published, solve
from tests.factories import TechnicianFactory, VisitFactory, tomorrow_at

EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _patch(client, headers, visit, **changes):
    return client.patch(
        f"/api/v1/visits/{visit.id}",
        json={**changes, "version": visit.version},
        headers=headers,
    )


def _open_visit(**fields):
    defaults = {
        "required_skills": {"measure": 1},
        "window_start": tomorrow_at(9),
        "window_end": tomorrow_at(16),
    }
    return VisitFactory(**{**defaults, **fields})


def test_a_patch_onto_a_busy_technician_is_refused_naming_the_other_visit(
    client, session, measurer, as_dispatcher
):
    other = published(measurer.id, tomorrow_at(10), duration_min=60)
    visit = _open_visit()
    response = _patch(
        client,
        as_dispatcher,
        visit,
        technician_id=measurer.id,
        planned_start=tomorrow_at(10, 30).isoformat(),
    )
    assert response.status_code == 409, response.json
    assert response.json["code"] == "technician_busy"
    assert str(other.id) in response.json["message"]
    session.expire_all()
    assert session.get(Visit, visit.id).technician_id is None


def test_a_patch_starting_outside_the_customers_window_is_refused(
    client, session, measurer, as_dispatcher
):
    visit = _open_visit()
    response = _patch(
        client,
        as_dispatcher,
        visit,
        technician_id=measurer.id,
        planned_start=tomorrow_at(16, 30).isoformat(),
    )
    assert response.status_code == 422
    assert response.json["code"] == "outside_window"
    assert "planned_start" in response.json["errors"]


def test_a_patch_running_past_the_shift_end_is_refused(client, session, measurer, as_dispatcher):
    visit = _open_visit(window_end=tomorrow_at(18), duration_min=90)
    response = _patch(
        client,
        as_dispatcher,
        visit,
        technician_id=measurer.id,
        planned_start=tomorrow_at(16).isoformat(),
    )
    assert response.status_code == 422
    assert response.json["code"] == "outside_shift"


def test_a_longer_duration_that_runs_into_the_next_visit_is_refused(
    client, session, measurer, as_dispatcher
):
    first = published(measurer.id, tomorrow_at(9), duration_min=60)
    published(measurer.id, tomorrow_at(10), duration_min=60)
    response = _patch(client, as_dispatcher, first, duration_min=90)
    assert response.status_code == 409
    assert response.json["code"] == "technician_busy"


def test_the_second_shift_of_a_split_day_takes_work_and_the_gap_does_not(
    client, session, as_dispatcher
):
    split = TechnicianFactory(
        skills={"measure": 1},
        shift_pattern={d: [["08:00", "12:00"], ["14:00", "18:00"]] for d in EVERY_DAY},
    )
    visit = _open_visit()
    refused = _patch(
        client,
        as_dispatcher,
        visit,
        technician_id=split.id,
        planned_start=tomorrow_at(12, 30).isoformat(),
    )
    assert refused.status_code == 422
    assert "08:00-12:00, 14:00-18:00" in refused.json["message"]
    accepted = _patch(
        client,
        as_dispatcher,
        visit,
        technician_id=split.id,
        planned_start=tomorrow_at(14, 30).isoformat(),
    )
    assert accepted.status_code == 200, accepted.json


def test_the_planner_uses_the_second_shift_of_a_split_day(session):
    split = TechnicianFactory(
        skills={"measure": 1},
        shift_pattern={d: [["08:00", "12:00"], ["14:00", "18:00"]] for d in EVERY_DAY},
    )
    afternoon = _open_visit(window_start=tomorrow_at(14), window_end=tomorrow_at(16))
    run = solve(session)
    [assignment] = run.proposal["assignments"]
    assert (assignment["visit_id"], assignment["technician_id"]) == (afternoon.id, split.id)


def test_locking_a_visit_that_no_longer_fits_is_refused(client, session, measurer, as_dispatcher):
    visit = published(measurer.id, tomorrow_at(9))
    measurer.active = False
    session.commit()
    response = _patch(client, as_dispatcher, visit, lock="technician_time")
    assert response.status_code == 422
    assert response.json["code"] == "technician_inactive"


def test_an_urgent_insertion_saves_the_whole_retimed_route(
    client, session, measurer, as_dispatcher
):
    first = published(measurer.id, tomorrow_at(9))
    later = published(
        measurer.id, tomorrow_at(10, 5), window_start=tomorrow_at(10), window_end=tomorrow_at(15)
    )
    urgent = _open_visit(priority=5, window_start=tomorrow_at(10), window_end=tomorrow_at(10, 10))
    response = client.post(
        "/api/v1/dispatch/insertions",
        json={"visit_id": urgent.id, "apply": True},
        headers=as_dispatcher,
    )
    assert response.status_code == 200, response.json
    assert [s["visit_id"] for s in response.json["route"]] == [first.id, urgent.id, later.id]
    session.expire_all()
    assert session.get(Visit, later.id).planned_start >= tomorrow_at(11)  # after the urgent hour
    assert_no_overlap(session, measurer.id)


def test_a_second_writer_of_a_technician_day_waits_for_the_first(session, measurer):
    day = TechnicianDay(measurer.id, tomorrow_at(9).date())
    first, second = Session(db.engine), Session(db.engine)
    got_it = threading.Event()

    def other_writer() -> None:
        lock_days(second, [day])
        got_it.set()
        second.rollback()

    try:
        lock_days(first, [day])
        waiting = threading.Thread(target=other_writer)
        waiting.start()
        assert not got_it.wait(0.5)
        first.rollback()
        assert got_it.wait(10)
        waiting.join()
    finally:
        first.close()
        second.close()


def test_a_visit_created_on_top_of_another_is_refused(client, session, measurer, as_dispatcher):
    other = published(measurer.id, tomorrow_at(10))
    template = _open_visit()
    response = client.post(
        "/api/v1/visits",
        json={
            "kind": "measure",
            "customer_id": template.customer_id,
            "site_id": template.site_id,
            "window_start": tomorrow_at(9).isoformat(),
            "window_end": tomorrow_at(12).isoformat(),
            "technician_id": measurer.id,
            "planned_start": tomorrow_at(10, 15).isoformat(),
        },
        headers=as_dispatcher,
    )
    assert response.status_code == 409
    assert response.json["details"]["refusals"][0]["clashes_with"] == other.id


def test_a_technicians_day_is_read_once_however_many_of_its_visits_are_checked(
    session, measurer
):
    from app.services.schedule_checks import refusals
    from tests.statements import statements

    visits = [published(measurer.id, tomorrow_at(hour)) for hour in (9, 10, 11, 14, 15)]
    with statements() as seen:
        found = refusals(session, visits)
    assert found == []
    technician_reads = [s for s in seen if "FROM technicians" in s.sql]
    day_reads = [s for s in seen if "FROM visits" in s.sql and "planned_start >=" in s.sql]
    assert (len(technician_reads), len(day_reads)) == (1, 1)


def test_two_visits_checked_together_still_see_each_other(session, measurer):
    from app.services.schedule_checks import refusals

    first = published(measurer.id, tomorrow_at(9), duration_min=90)
    second = published(measurer.id, tomorrow_at(10))

    found = refusals(session, [first, second])

    assert [(r.visit_id, r.code) for r in found] == [
        (first.id, "technician_busy"),
        (second.id, "technician_busy"),
    ]
