"""Authorization: uploads, photo bytes, password changes, the last admin, console sessions."""

from __future__ import annotations

import hashlib
import uuid

from app import models
from tests import factories
from tests.factories import TechnicianFactory, UserFactory, image_bytes


def _start(client, headers, data):
    return client.post(
        "/api/v1/uploads",
        json={"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
        headers=headers,
    )


def test_another_users_upload_answers_404_on_get_and_put(client, session, tech_headers, login):
    data = image_bytes()
    upload_id = _start(client, tech_headers, data).json["id"]
    other = login(TechnicianFactory(with_user=True).user)
    assert client.get(f"/api/v1/uploads/{upload_id}", headers=other).status_code == 404
    put = client.put(
        f"/api/v1/uploads/{upload_id}",
        data=data,
        headers={**other, "Upload-Offset": "0"},
        content_type="application/octet-stream",
    )
    assert put.status_code == 404
    mine = client.get(f"/api/v1/uploads/{upload_id}", headers=tech_headers)
    assert (mine.status_code, mine.json["offset"]) == (200, 0)


def test_another_user_starting_the_same_bytes_gets_an_upload_of_their_own(
    client, session, tech_headers, login
):
    data = image_bytes()
    first = _start(client, tech_headers, data).json["id"]
    other = login(TechnicianFactory(with_user=True).user)
    assert _start(client, other, data).json["id"] != first


def test_knowing_a_hash_does_not_reveal_another_visits_photo_bytes(
    client, session, on_site_visit, upload, tech_headers, login
):
    secret = image_bytes(color=(1, 2, 3))
    assert upload(secret).status_code == 200
    sha = hashlib.sha256(secret).hexdigest()
    visit = on_site_visit()
    client.post(  # the owner attaches the photo to the visit it was taken at
        f"/api/v1/visits/{visit.id}/photos",
        json={"id": str(uuid.uuid4()), "sha256": sha, "kind": "after"},
        headers=tech_headers,
    )
    thief = TechnicianFactory(with_user=True)
    own_visit = factories.assigned_visit(thief)
    thief_headers = login(thief.user)
    # The server does not vouch for bytes the caller never sent.
    started = _start(client, thief_headers, secret)
    assert started.json["complete"] is False
    photo_id = str(uuid.uuid4())
    attached = client.post(
        f"/api/v1/visits/{own_visit.id}/photos",
        json={"id": photo_id, "sha256": sha, "kind": "after"},
        headers=thief_headers,
    )
    assert attached.status_code == 201
    assert attached.json["status"] == "pending"
    content = client.get(f"/api/v1/photos/{photo_id}/content", headers=thief_headers)
    assert content.status_code == 404
    assert content.json["code"] == "photo_pending"
    assert (
        client.get(f"/api/v1/photos/{photo_id}/thumbnail", headers=thief_headers).status_code == 404
    )


def test_a_photo_of_a_visit_the_caller_may_not_see_answers_404(
    client, session, on_site_visit, upload, tech_headers, login
):
    data = image_bytes(color=(4, 5, 6))
    assert upload(data).status_code == 200
    visit, photo_id = on_site_visit(), str(uuid.uuid4())
    client.post(
        f"/api/v1/visits/{visit.id}/photos",
        json={"id": photo_id, "sha256": hashlib.sha256(data).hexdigest(), "kind": "after"},
        headers=tech_headers,
    )
    mine = client.get(f"/api/v1/photos/{photo_id}/content", headers=tech_headers)
    assert (mine.status_code, mine.data) == (200, data)
    stranger = login(TechnicianFactory(with_user=True).user)
    for part in ("content", "thumbnail"):
        refused = client.get(f"/api/v1/photos/{photo_id}/{part}", headers=stranger)
        assert refused.status_code == 404, part
        assert refused.json["code"] == "not_found", part


def test_bytes_uploaded_again_by_the_attaching_user_are_served(client, session, upload, login):
    data = image_bytes(color=(9, 9, 9))
    assert upload(data).status_code == 200
    other = TechnicianFactory(with_user=True)
    visit = factories.assigned_visit(other)
    headers = login(other.user)
    photo_id = str(uuid.uuid4())
    sha = hashlib.sha256(data).hexdigest()
    client.post(
        f"/api/v1/visits/{visit.id}/photos",
        json={"id": photo_id, "sha256": sha},
        headers=headers,
    )
    upload_id = _start(client, headers, data).json["id"]
    done = client.put(
        f"/api/v1/uploads/{upload_id}",
        data=data,
        headers={**headers, "Upload-Offset": "0"},
        content_type="application/octet-stream",
    )
    assert done.json["complete"] is True
    content = client.get(f"/api/v1/photos/{photo_id}/content", headers=headers)
    assert (content.status_code, content.data) == (200, data)


def test_changing_a_password_as_admin_revokes_bearer_and_device_tokens(
    client, session, admin, login, phone
):
    technician = TechnicianFactory(with_user=True)
    bearer = login(technician.user)
    device = phone(technician.user)
    response = client.patch(
        f"/api/v1/users/{technician.user.id}",
        json={"password": "a-new-password-2026"},
        headers=login(admin),
    )
    assert response.status_code == 200, response.json
    assert client.get("/api/v1/users/me", headers=bearer).status_code == 401
    live = session.query(models.AuthToken).filter(
        models.AuthToken.user_id == technician.user.id,
        models.AuthToken.revoked_at.is_(None),
    )
    assert live.count() == 0
    assert device is not None


def test_changing_ones_own_password_revokes_every_token(client, session, dispatcher, login):
    first, second = login(dispatcher), login(dispatcher)
    response = client.post(
        "/api/v1/users/me/password",
        json={"current_password": factories.PASSWORD, "new_password": "another-secret-2026"},
        headers=first,
    )
    assert response.status_code == 204, response.json
    assert client.get("/api/v1/users/me", headers=first).status_code == 401
    assert client.get("/api/v1/users/me", headers=second).status_code == 401
    token = client.post(
        "/api/v1/auth/token",
        json={"email": dispatcher.email, "password": "another-secret-2026"},
    )
    assert token.status_code == 201


def test_ones_own_password_change_needs_the_current_password(client, session, dispatcher, login):
    response = client.post(
        "/api/v1/users/me/password",
        json={"current_password": "wrong", "new_password": "another-secret-2026"},
        headers=login(dispatcher),
    )
    assert response.status_code == 422
    assert "current_password" in response.json["errors"]


def test_the_last_active_admin_cannot_demote_or_deactivate_itself(client, session, admin, login):
    headers = login(admin)
    for change in ({"role": "dispatcher"}, {"active": False}):
        response = client.patch(f"/api/v1/users/{admin.id}", json=change, headers=headers)
        assert response.status_code == 409, response.json
        assert response.json["code"] == "last_admin"
    UserFactory(role=models.Role.ADMIN)
    response = client.patch(
        f"/api/v1/users/{admin.id}", json={"role": "dispatcher"}, headers=headers
    )
    assert response.status_code == 200


def _copy_of(console, app):
    thief = app.test_client()
    thief.set_cookie("session", console.client.get_cookie("session").value)
    assert thief.get("/console/board").status_code == 200
    return thief


def test_signing_out_invalidates_every_copy_of_the_console_cookie(
    app, session, sign_in, dispatcher
):
    console = sign_in(dispatcher)
    copy = _copy_of(console, app)
    console.post("/console/logout")
    assert copy.get("/console/board").status_code == 302


def test_a_password_change_invalidates_console_cookies(
    app, client, session, sign_in, dispatcher, admin, login
):
    copy = _copy_of(sign_in(dispatcher), app)
    client.patch(
        f"/api/v1/users/{dispatcher.id}",
        json={"password": "fresh-secret-2026"},
        headers=login(admin),
    )
    assert copy.get("/console/board").status_code == 302


def test_deactivation_invalidates_console_cookies(
    app, client, session, sign_in, dispatcher, admin, login
):
    copy = _copy_of(sign_in(dispatcher), app)
    client.patch(f"/api/v1/users/{dispatcher.id}", json={"active": False}, headers=login(admin))
    client.patch(f"/api/v1/users/{dispatcher.id}", json={"active": True}, headers=login(admin))
    assert copy.get("/console/board").status_code == 302


def test_the_console_cookie_carries_no_password_hash_material(app, session, sign_in, dispatcher):
    console = sign_in(dispatcher)
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    data = serializer.loads(console.client.get_cookie("session").value)
    assert "pw" not in data
    assert not any(
        isinstance(v, str) and v and v in session.get(models.User, dispatcher.id).password_hash
        for v in data.values()
    )


def _signature_status(client, headers, visit):
    record = client.get(f"/api/v1/customers/{visit.customer_id}/record", headers=headers).json
    entry = next(e for e in record["timeline"] if e["visit_id"] == visit.id)
    return [s["status"] for s in entry["signatures"]]


def test_a_signature_naming_someone_elses_hash_shows_no_stored_image(
    client, session, upload, tech_headers, login, as_dispatcher
):
    from app.services.fieldwork import Actor, capture_signature

    secret = image_bytes(color=(4, 5, 6))
    assert upload(secret).status_code == 200  # the owner's signature image
    sha = hashlib.sha256(secret).hexdigest()
    thief = TechnicianFactory(with_user=True)
    visit = factories.assigned_visit(thief)
    capture_signature(session, visit, str(uuid.uuid4()), "Nobody", sha, Actor(thief.user.id, None))
    session.commit()

    assert _signature_status(client, as_dispatcher, visit) == ["pending"]
    # Uploading the bytes itself proves possession.
    started = _start(client, login(thief.user), secret)
    assert started.status_code in (200, 201)
    client.put(
        f"/api/v1/uploads/{started.json['id']}",
        data=secret,
        headers={**login(thief.user), "Upload-Offset": "0"},
        content_type="application/octet-stream",
    )
    assert _signature_status(client, as_dispatcher, visit) == ["stored"]
