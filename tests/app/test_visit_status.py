"""The one visit state machine: new → scheduled → dispatched → en_route → on_site → done."""

import pytest

from app.models import VisitStatus
from app.models.visits import FINAL_STATUSES, allowed_next
from tests.factories import VisitFactory

HAPPY_PATH = ["scheduled", "dispatched", "en_route", "on_site", "completed"]


@pytest.mark.parametrize(
    ("current", "following"),
    [
        ("new", "scheduled"),
        ("scheduled", "dispatched"),
        ("dispatched", "en_route"),
        ("en_route", "on_site"),
        ("on_site", "completed"),
        ("on_site", "incomplete"),
    ],
)
def test_each_forward_step_is_allowed(current, following):
    assert VisitStatus(following) in allowed_next(VisitStatus(current))


@pytest.mark.parametrize("status", sorted(set(VisitStatus) - FINAL_STATUSES))
def test_any_open_visit_can_be_cancelled(status):
    assert VisitStatus.CANCELLED in allowed_next(status)


@pytest.mark.parametrize("status", sorted(FINAL_STATUSES))
def test_final_statuses_allow_nothing(status):
    assert allowed_next(status) == frozenset()


def test_skipping_a_step_is_not_allowed():
    assert VisitStatus.ON_SITE not in allowed_next(VisitStatus.SCHEDULED)


def test_moving_backwards_is_not_allowed():
    assert VisitStatus.DISPATCHED not in allowed_next(VisitStatus.EN_ROUTE)


def transition(client, headers, visit_id, to):
    return client.post(f"/api/v1/visits/{visit_id}/transitions", json={"to": to}, headers=headers)


def test_a_visit_walks_the_happy_path_through_the_api(client, session, as_dispatcher):
    visit = VisitFactory()
    for status in HAPPY_PATH:
        response = transition(client, as_dispatcher, visit.id, status)
        assert response.status_code == 200, response.json
    assert response.json["status"] == "completed"


def test_an_illegal_move_is_refused_with_409_and_changes_nothing(client, session, as_dispatcher):
    visit = VisitFactory()
    response = transition(client, as_dispatcher, visit.id, "on_site")
    assert response.status_code == 409
    assert response.json["code"] == "invalid_transition"
    assert client.get(f"/api/v1/visits/{visit.id}", headers=as_dispatcher).json["status"] == "new"


def test_a_cancelled_visit_cannot_be_reopened(client, session, as_dispatcher):
    visit = VisitFactory()
    assert transition(client, as_dispatcher, visit.id, "cancelled").status_code == 200
    response = transition(client, as_dispatcher, visit.id, "scheduled")
    assert response.status_code == 409


def test_every_status_change_is_kept_with_who_made_it(client, session, as_dispatcher, dispatcher):
    visit = VisitFactory()
    transition(client, as_dispatcher, visit.id, "scheduled")
    history = client.get(f"/api/v1/visits/{visit.id}/history", headers=as_dispatcher).json
    assert [(h["from_status"], h["to_status"]) for h in history][-1] == ("new", "scheduled")
    assert history[-1]["actor_user_id"] == dispatcher.id


def test_a_technician_cannot_schedule_a_visit(client, session, technician, login):
    visit = VisitFactory(technician_id=technician.id)
    response = transition(client, login(technician.user), visit.id, "scheduled")
    assert response.status_code == 403


def test_a_technician_moves_their_own_visit_on_site(client, session, technician, login):
    visit = VisitFactory(technician_id=technician.id, status=VisitStatus.DISPATCHED)
    headers = login(technician.user)
    assert transition(client, headers, visit.id, "en_route").status_code == 200
    assert transition(client, headers, visit.id, "on_site").json["status"] == "on_site"


def test_a_closed_visit_cannot_be_edited(client, session, as_dispatcher):
    visit = VisitFactory(status=VisitStatus.COMPLETED)
    response = client.patch(
        f"/api/v1/visits/{visit.id}",
        json={"priority": 5, "version": visit.version},
        headers=as_dispatcher,
    )
    assert response.status_code == 409
    assert response.json["code"] == "visit_closed"


def test_a_dispatcher_edit_merges_over_a_technicians_progress_made_meanwhile(
    client, session, as_dispatcher, technician, login
):
    visit = VisitFactory(technician_id=technician.id, status=VisitStatus.DISPATCHED)
    seen = client.get(f"/api/v1/visits/{visit.id}", headers=as_dispatcher).json["version"]
    transition(client, login(technician.user), visit.id, "en_route")
    response = client.patch(f"/api/v1/visits/{visit.id}", json={"priority": 5, "version": seen},
                            headers=as_dispatcher)
    assert response.status_code == 200, response.json
    assert (response.json["priority"], response.json["status"]) == (5, "en_route")


def test_two_dispatchers_editing_the_schedule_from_one_version_conflict(
    client, session, as_dispatcher
):
    visit = VisitFactory()
    url = f"/api/v1/visits/{visit.id}"
    first = client.patch(url, json={"priority": 5, "version": 1}, headers=as_dispatcher)
    second = client.patch(url, json={"duration_min": 90, "version": 1}, headers=as_dispatcher)
    assert (first.status_code, second.status_code) == (200, 409)


def test_changing_required_skills_counts_as_a_schedule_change(client, session, as_dispatcher):
    visit = VisitFactory(required_skills={"measure": 1})
    url = f"/api/v1/visits/{visit.id}"
    client.patch(url, json={"required_skills": [{"code": "measure", "min_level": 3}],
                            "version": 1}, headers=as_dispatcher)
    response = client.patch(url, json={"priority": 1, "version": 1}, headers=as_dispatcher)
    assert response.status_code == 409
