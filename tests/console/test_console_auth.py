"""Console sign-in: dispatchers and admins only, a session cookie, CSRF on every change."""

from sqlalchemy import func, select

from app.models import DispatchRun
from tests.console.conftest import CSRF_FIELD
from tests.factories import PASSWORD


def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(client):
    response = client.get("/console/board")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=/console/board")


def test_a_dispatcher_signs_in_and_sees_the_board(console):
    response = console.get("/console/board")
    assert response.status_code == 200
    assert 'id="board"' in response.text


def test_an_admin_may_use_the_console(sign_in, admin):
    assert sign_in(admin).get("/console/board").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, dispatcher):
    token = CSRF_FIELD.search(client.get("/console/login").text).group(1)
    response = client.post(
        "/console/login",
        data={"email": dispatcher.email, "password": "wrong-wrong", "csrf_token": token},
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.text


def test_a_technician_cannot_sign_in_to_the_console(client, technician):
    token = CSRF_FIELD.search(client.get("/console/login").text).group(1)
    response = client.post(
        "/console/login",
        data={"email": technician.user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert "for dispatchers and admins" in response.text
    assert client.get("/console/board").status_code == 302


def test_a_technician_with_a_console_session_gets_403(app, session, technician):
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["user_id"] = technician.user.id
        cookie["epoch"] = technician.user.session_epoch
    assert client.get("/console/board").status_code == 403


def test_a_change_without_the_csrf_token_is_refused(console, session, crew):
    response = console.client.post(
        "/console/runs", json={"day": "2026-12-01"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["code"] == "csrf_failed"
    assert session.scalar(select(func.count()).select_from(DispatchRun)) == 0


def test_signing_out_ends_the_session(console):
    console.post("/console/logout")
    assert console.get("/console/board").status_code == 302


def test_a_script_without_a_session_gets_401_in_the_one_error_format(client, session):
    response = client.get("/console/runs/1/progress", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert set(response.json) >= {"status", "code", "message", "errors"}


def test_a_deactivated_user_loses_the_console_session(console, dispatcher, session):
    dispatcher.active = False
    session.commit()
    assert console.get("/console/board").status_code == 302
