"""A technician edit never strands published work: refused with 409 naming the visits."""

from __future__ import annotations

import pytest

from app.models import Technician, VisitStatus
from tests.factories import TechnicianFactory, VisitFactory, tomorrow_at

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def published(session):
    """A technician with one published measure visit tomorrow 10:00-11:00."""
    tech = TechnicianFactory(skills={"measure": 2})
    visit = VisitFactory(
        technician_id=tech.id,
        planned_start=tomorrow_at(10),
        status=VisitStatus.SCHEDULED,
        required_skills={"measure": 1},
    )
    return tech, visit


def patch(client, headers, tech, changes):
    return client.patch(
        f"/api/v1/technicians/{tech.id}",
        json={**changes, "version": tech.version},
        headers=headers,
    )


def assert_refused(response, visit):
    assert response.status_code == 409, response.json
    assert response.json["code"] == "published_work_affected"
    assert response.json["details"]["visit_ids"] == [visit.id]
    assert str(visit.id) in response.json["message"]


def test_removing_a_skill_a_published_visit_needs_is_refused(client, session, as_dispatcher,
                                                            published):
    tech, visit = published
    response = patch(client, as_dispatcher, tech, {"skills": []})
    assert_refused(response, visit)
    session.expire_all()
    assert session.get(Technician, tech.id).skill_levels() == {"measure": 2}


def test_a_shift_that_no_longer_covers_a_published_visit_is_refused(client, session,
                                                                    as_dispatcher, published):
    tech, visit = published
    afternoons = {day: [["13:00", "18:00"]] for day in WEEK}
    response = patch(client, as_dispatcher, tech, {"shift_pattern": afternoons})
    assert_refused(response, visit)
    session.expire_all()
    assert session.get(Technician, tech.id).shift_pattern["mon"] == [["08:00", "17:00"]]


def test_a_day_off_on_a_published_visit_is_refused(client, session, as_dispatcher, published):
    tech, visit = published
    day_off = tomorrow_at(10).date().isoformat()
    response = patch(client, as_dispatcher, tech, {"days_off": [day_off]})
    assert_refused(response, visit)


def test_deactivating_a_technician_with_published_work_is_refused(client, session,
                                                                  as_dispatcher, published):
    tech, visit = published
    assert_refused(patch(client, as_dispatcher, tech, {"active": False}), visit)
    session.expire_all()
    assert session.get(Technician, tech.id).active


def test_changes_that_keep_published_work_feasible_are_accepted(client, session, as_dispatcher,
                                                                published):
    tech, _ = published
    split_day = {day: [["08:00", "12:00"], ["13:00", "18:00"]] for day in WEEK}
    response = patch(client, as_dispatcher, tech, {"shift_pattern": split_day, "name": "Li Na"})
    assert response.status_code == 200, response.json


def test_once_the_work_is_moved_off_the_technician_can_be_deactivated(client, session,
                                                                      as_dispatcher, published):
    tech, visit = published
    unscheduled = client.post(
        f"/api/v1/visits/{visit.id}/transitions", json={"to": "new"}, headers=as_dispatcher
    )
    assert unscheduled.status_code == 200, unscheduled.json
    tech = session.get(Technician, tech.id)
    response = patch(client, as_dispatcher, tech, {"active": False})
    assert response.status_code == 200, response.json
