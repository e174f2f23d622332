"""Back-office writes that used to crash or refuse valid references."""

from tests.factories import (
    DepotFactory,
    SiteFactory,
    TechnicianFactory,
    UserFactory,
    skill,
    tomorrow_at,
)


def test_a_visit_created_for_a_skilled_technician_with_required_skills_is_created(
    client, session, as_dispatcher
):
    technician = TechnicianFactory(skills={"measure": 2})
    site = SiteFactory()
    response = client.post(
        "/api/v1/visits",
        json={
            "kind": "measure",
            "customer_id": site.customer_id,
            "site_id": site.id,
            "window_start": tomorrow_at(9).isoformat(),
            "window_end": tomorrow_at(12).isoformat(),
            "technician_id": technician.id,
            "required_skills": [{"code": "measure", "min_level": 1}],
        },
        headers=as_dispatcher,
    )
    assert response.status_code == 201, response.json
    assert response.json["technician_id"] == technician.id
    assert response.json["required_skills"] == [{"code": "measure", "min_level": 1}]


def test_a_visit_for_a_technician_lacking_a_required_skill_is_refused_not_crashed(
    client, session, as_dispatcher
):
    technician = TechnicianFactory(skills={"measure": 1})
    skill("install")
    site = SiteFactory()
    response = client.post(
        "/api/v1/visits",
        json={
            "kind": "install",
            "customer_id": site.customer_id,
            "site_id": site.id,
            "technician_id": technician.id,
            "required_skills": [{"code": "install", "min_level": 1}],
        },
        headers=as_dispatcher,
    )
    assert response.status_code in (409, 422), response.json


def test_a_technician_created_with_a_login_and_a_depot_is_created(client, session, as_dispatcher):
    user = UserFactory(role="technician")
    depot = DepotFactory()
    response = client.post(
        "/api/v1/technicians",
        json={
            "name": "Li Lei",
            "home_lat": 31.2,
            "home_lon": 121.4,
            "user_id": user.id,
            "depot_id": depot.id,
        },
        headers=as_dispatcher,
    )
    assert response.status_code == 201, response.json
    assert (response.json["user_id"], response.json["depot_id"]) == (user.id, depot.id)
