"""The SLA API: policies (admins write), alerts, a visit's clocks, the check on demand."""

import datetime as dt

from app.database import utcnow
from tests.factories import SlaPolicyFactory, UserFactory, VisitFactory

POLICY = {
    "name": "Repair VIP",
    "kind": "repair",
    "tier": "vip",
    "response_min": 120,
    "resolution_min": 480,
}


def test_an_admin_creates_a_policy(client, as_admin):
    response = client.post("/api/v1/sla/policies", json=POLICY, headers=as_admin)
    assert response.status_code == 201
    assert (response.json["kind"], response.json["priority"], response.json["warn_before_min"]) == (
        "repair",
        None,
        60,
    )


def test_dispatchers_read_policies_but_cannot_write_them(client, as_dispatcher, session):
    SlaPolicyFactory()
    assert len(client.get("/api/v1/sla/policies", headers=as_dispatcher).json) == 1
    response = client.post("/api/v1/sla/policies", json=POLICY, headers=as_dispatcher)
    assert response.status_code == 403


def test_two_policies_for_one_scope_are_a_conflict(client, as_admin):
    client.post("/api/v1/sla/policies", json=POLICY, headers=as_admin)
    response = client.post("/api/v1/sla/policies", json=POLICY, headers=as_admin)
    assert response.status_code == 409
    assert response.json["code"] == "policy_exists"


def test_a_resolution_shorter_than_the_response_is_refused(client, as_admin):
    body = {**POLICY, "resolution_min": 60}
    response = client.post("/api/v1/sla/policies", json=body, headers=as_admin)
    assert response.status_code == 422
    assert "resolution_min" in response.json["errors"]


def test_a_visits_clocks_are_served(client, as_dispatcher, session):
    SlaPolicyFactory(response_min=60, resolution_min=120)
    visit = VisitFactory(sla_due=None)
    body = client.get(f"/api/v1/sla/visits/{visit.id}", headers=as_dispatcher).json
    assert [c["target"] for c in body["clocks"]] == ["response", "resolution"]
    assert body["clocks"][0]["state"] in ("ok", "warning")


def test_the_check_on_demand_answers_what_it_raised_and_alerts_are_listed(
    client, as_dispatcher, session
):
    UserFactory()
    visit = VisitFactory(sla_due=utcnow() - dt.timedelta(minutes=1))
    result = client.post("/api/v1/sla/check", headers=as_dispatcher).json
    assert [(a["subject_id"], a["level"]) for a in result["breaches"]] == [(visit.id, "breach")]
    listed = client.get("/api/v1/sla/alerts?level=breach", headers=as_dispatcher).json
    assert [a["subject_id"] for a in listed] == [visit.id]
