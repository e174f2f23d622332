"""Moving and locking visits from the console: checked against skills, windows and shifts."""

import pytest

from app.database import utcnow
from app.errors import Conflict, ValidationFailed
from app.models import LockState, Visit, VisitStatus
from app.services.board import edits
from tests.console.test_board import TZ
from tests.factories import TechnicianFactory, tomorrow_at


def move(session, visit, technician, start):
    return edits.move_visit(
        session, visit, technician.id, start, tz=TZ, actor_user_id=None, now=utcnow()
    )


def test_a_move_gives_the_visit_its_technician_and_time_and_schedules_it(session, crew):
    visit, tech = crew.visits[0], crew.technicians[1]
    move(session, visit, tech, tomorrow_at(10))
    session.commit()
    assert (visit.technician_id, visit.planned_start, visit.status) == (
        tech.id,
        tomorrow_at(10),
        VisitStatus.SCHEDULED,
    )


def test_a_move_to_a_technician_lacking_the_skill_is_refused_with_the_reason(session, crew):
    installer = TechnicianFactory(skills={"install_cabinet": 3}, name="Installer")
    with pytest.raises(ValidationFailed, match="Installer lacks required skill") as refused:
        move(session, crew.visits[0], installer, tomorrow_at(10))
    assert refused.value.code == "skill_mismatch"


def test_a_move_outside_the_customers_window_is_refused(session, crew):
    # The window bounds the arrival (as in the planner): 16:30 is after a 9:00-16:00 window.
    with pytest.raises(ValidationFailed, match="customer's window") as refused:
        move(session, crew.visits[0], crew.technicians[0], tomorrow_at(16, 30))
    assert refused.value.code == "outside_window"


def test_a_move_outside_the_technicians_shift_is_refused(session, crew):
    crew.visits[0].window_start, crew.visits[0].window_end = tomorrow_at(6), tomorrow_at(20)
    session.commit()
    with pytest.raises(ValidationFailed, match="works 08:00-17:00") as refused:
        move(session, crew.visits[0], crew.technicians[0], tomorrow_at(6, 30))
    assert refused.value.code == "outside_shift"


def test_a_visit_under_way_cannot_move(session, crew):
    crew.visits[0].status = VisitStatus.ON_SITE
    session.commit()
    with pytest.raises(Conflict):
        move(session, crew.visits[0], crew.technicians[0], tomorrow_at(10))


def test_locking_to_a_technician_needs_one(session, crew):
    with pytest.raises(ValidationFailed, match="no technician to lock"):
        edits.set_lock(session, crew.visits[0], LockState.TECHNICIAN)


def test_lock_and_unlock_from_the_visit_page(console, session, crew):
    visit = crew.visits[0]
    move(session, visit, crew.technicians[0], tomorrow_at(10))
    session.commit()
    response = console.post(
        f"/console/visits/{visit.id}/lock", {"lock": "technician_time", "version": visit.version}
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Visit, visit.id).lock == LockState.TECHNICIAN_TIME
    console.post(f"/console/visits/{visit.id}/lock", {"lock": "none"})
    session.expire_all()
    assert session.get(Visit, visit.id).lock == LockState.NONE


def test_a_refused_move_in_the_console_says_why(console, session, crew):
    installer = TechnicianFactory(skills={"install_cabinet": 3}, name="Installer")
    page = f"/console/visits/{crew.visits[0].id}"
    console.post(
        f"{page}/move",
        {
            "technician_id": installer.id,
            "date": tomorrow_at(9).date().isoformat(),
            "time": "10:00",
            "next": page,
        },
    )
    shown = console.get(page).text
    assert "lacks required skill(s): measure (level 1)" in shown
    session.expire_all()
    assert session.get(Visit, crew.visits[0].id).technician_id is None


def test_a_move_based_on_an_old_version_is_refused(console, session, crew):
    visit = crew.visits[0]
    response = console.post(
        f"/console/visits/{visit.id}/move",
        {
            "technician_id": crew.technicians[0].id,
            "date": tomorrow_at(9).date().isoformat(),
            "time": "10:00",
            "version": visit.version - 1,
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert response.json["code"] == "version_conflict"


def test_the_visit_page_links_to_the_customers_record(console, crew):
    visit = crew.visits[0]
    page = console.get(f"/console/visits/{visit.id}").text
    assert f'href="/console/customers/{visit.customer_id}"' in page
    record = console.get(f"/console/customers/{visit.customer_id}")
    assert record.status_code == 200
    assert visit.customer.name in record.text


def test_a_move_asked_by_a_script_answers_json(console, session, crew):
    visit = crew.visits[0]
    response = console.client.post(
        f"/console/visits/{visit.id}/move",
        data={
            "csrf_token": console.csrf,
            "technician_id": crew.technicians[0].id,
            "date": tomorrow_at(9).date().isoformat(),
            "time": "10:00",
        },
        headers={"Accept": "application/json", "X-Requested-With": "fetch"},
    )
    assert response.status_code == 200
    assert response.json["technician_id"] == crew.technicians[0].id


def test_the_customer_record_shows_ratings_and_photos(console, session, crew):
    from app.models import VisitStatus as Status
    from tests.factories import PhotoFactory, RatingFactory, VisitFactory

    visit = VisitFactory(site=crew.visits[0].site, status=Status.COMPLETED)
    RatingFactory(visit_id=visit.id, customer_id=visit.customer_id, csat=2, comment="Late again")
    PhotoFactory(visit_id=visit.id)
    page = console.get(f"/console/customers/{visit.customer_id}").text
    assert "Rated 2/5" in page
    assert "Late again" in page
    assert "after photo (not uploaded yet)" in page


def test_a_move_with_a_version_that_is_not_a_number_is_a_422_and_moves_nothing(
    console, session, crew
):
    visit = crew.visits[0]
    response = console.post(
        f"/console/visits/{visit.id}/move",
        {
            "technician_id": crew.technicians[0].id,
            "date": tomorrow_at(9).date().isoformat(),
            "time": "10:00",
            "version": "v3",
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert (response.json["code"], list(response.json["errors"])) == (
        "validation_error",
        ["version"],
    )
    session.expire_all()
    assert session.get(Visit, visit.id).technician_id is None


@pytest.mark.parametrize(
    ("technician", "start"), [("Wang", "2026-12-01T10:00"), ("1", "tomorrow at ten")]
)
def test_locking_a_placement_that_is_not_a_technician_and_a_time_is_a_422(
    console, session, crew, technician, start
):
    visit = crew.visits[0]
    response = console.post(
        f"/console/visits/{visit.id}/lock",
        {"lock": "technician_time", "technician_id": technician, "planned_start": start},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    session.expire_all()
    assert session.get(Visit, visit.id).lock == LockState.NONE


def test_a_placement_locked_without_an_offset_is_taken_in_local_time(console, session, crew):
    visit, tech = crew.visits[0], crew.technicians[0]
    local = tomorrow_at(10)
    response = console.post(
        f"/console/visits/{visit.id}/lock",
        {
            "lock": "technician_time",
            "technician_id": tech.id,
            "planned_start": local.replace(tzinfo=None).isoformat(),
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Visit, visit.id).planned_start == local


def test_a_move_to_a_day_more_than_ten_years_away_is_a_422(console, session, crew):
    visit = crew.visits[0]
    response = console.post(
        f"/console/visits/{visit.id}/move",
        {"technician_id": crew.technicians[0].id, "date": "0001-01-01", "time": "00:00"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["date"]
