"""Bearer tokens, roles, and technicians reaching only their own data."""

import datetime as dt

from flask import Flask

from app.database import utcnow
from app.models import AuthToken, Role, VisitStatus
from tests.factories import PASSWORD, TechnicianFactory, UserFactory, VisitFactory


def test_valid_credentials_get_an_expiring_token(client, session, dispatcher, settings):
    response = client.post(
        "/api/v1/auth/token", json={"email": dispatcher.email, "password": PASSWORD}
    )
    assert response.status_code == 201
    expires = dt.datetime.fromisoformat(response.json["expires_at"])
    assert expires - utcnow() <= dt.timedelta(seconds=settings.access_token_ttl_s)
    assert response.json["role"] == "dispatcher"


def test_wrong_password_is_a_401(client, session, dispatcher):
    response = client.post(
        "/api/v1/auth/token", json={"email": dispatcher.email, "password": "nope-nope"}
    )
    assert response.status_code == 401
    assert response.json["code"] == "invalid_credentials"


def test_passwords_are_stored_hashed(session, dispatcher):
    assert PASSWORD not in dispatcher.password_hash
    assert dispatcher.password_hash.startswith("scrypt$")


def test_a_request_without_token_is_a_401(client, session):
    assert client.get("/api/v1/visits").status_code == 401


def test_a_revoked_token_stops_working(client, session, as_dispatcher):
    assert client.delete("/api/v1/auth/token", headers=as_dispatcher).status_code == 204
    response = client.get("/api/v1/visits", headers=as_dispatcher)
    assert response.status_code == 401


def test_an_expired_token_stops_working(client, session, as_dispatcher):
    for token in session.query(AuthToken):
        token.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert client.get("/api/v1/visits", headers=as_dispatcher).status_code == 401


def test_deactivating_a_user_revokes_their_tokens(client, session, as_admin, dispatcher, login):
    headers = login(dispatcher)
    client.patch(f"/api/v1/users/{dispatcher.id}", json={"active": False}, headers=as_admin)
    assert client.get("/api/v1/visits", headers=headers).status_code == 401


def test_a_technician_cannot_create_customers(client, session, technician, login):
    response = client.post("/api/v1/customers", json={"name": "A"}, headers=login(technician.user))
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_only_admins_manage_users(client, session, as_dispatcher):
    assert client.get("/api/v1/users", headers=as_dispatcher).status_code == 403


def test_a_technician_lists_only_their_own_visits(client, session, technician, login):
    mine = VisitFactory(technician_id=technician.id)
    VisitFactory(technician_id=TechnicianFactory().id)
    VisitFactory()
    response = client.get("/api/v1/visits", headers=login(technician.user))
    assert [v["id"] for v in response.json] == [mine.id]


def test_another_technicians_visit_answers_404(client, session, technician, login):
    other = TechnicianFactory(with_user=True)
    theirs = VisitFactory(technician_id=other.id, status=VisitStatus.SCHEDULED)
    response = client.get(f"/api/v1/visits/{theirs.id}", headers=login(technician.user))
    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_another_technicians_customer_answers_404(client, session, technician, login):
    theirs = VisitFactory(technician_id=TechnicianFactory().id)
    response = client.get(f"/api/v1/customers/{theirs.customer_id}", headers=login(technician.user))
    assert response.status_code == 404


def test_a_technician_reads_the_customer_of_their_visit(client, session, technician, login):
    mine = VisitFactory(technician_id=technician.id)
    response = client.get(f"/api/v1/customers/{mine.customer_id}", headers=login(technician.user))
    assert response.status_code == 200


def test_a_technician_reads_only_their_own_technician_record(client, session, technician, login):
    other = TechnicianFactory()
    headers = login(technician.user)
    assert client.get(f"/api/v1/technicians/{technician.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/technicians/{other.id}", headers=headers).status_code == 404


def test_every_endpoint_declares_the_roles_it_admits(app: Flask):
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("api-docs."):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        handlers = (
            [getattr(view_class, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}]
            if view_class
            else [view]
        )
        undeclared += [f"{rule} {h.__name__}" for h in handlers if not hasattr(h, "_roles")]
    assert undeclared == []


def test_roles_are_documented_in_openapi(client, session):
    spec = client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/v1/visits"]["get"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert "Roles: admin, dispatcher, technician" in operation["description"]


def test_a_user_with_unknown_role_string_cannot_exist(session):
    import pytest
    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError):
        UserFactory(role="superuser")
    session.rollback()


def test_role_enum_lists_the_three_roles():
    assert {r.value for r in Role} == {"admin", "dispatcher", "technician"}


def test_a_bearer_request_reads_its_token_and_user_in_one_query(client, session, as_dispatcher):
    from tests.statements import statements

    with statements() as seen:
        response = client.get("/api/v1/users/me", headers=as_dispatcher)
    assert response.status_code == 200, response.json
    reads = [s.sql for s in seen if "FROM auth_tokens" in s.sql or "FROM users" in s.sql]
    assert len(reads) == 1, reads
