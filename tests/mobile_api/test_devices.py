"""Devices and auth: device-bound tokens, checked on every sync call; no one reads another's."""

from __future__ import annotations

from app.models import AuthToken
from app.services.accounts import token_digest
from tests.factories import TechnicianFactory, assigned_visit
from tests.sync.phones import mutation, new_id, push_raw

ENVELOPE = {"protocol_version": 1, "schema_version": 1}


def test_registering_a_device_answers_a_token_bound_to_it(client, session, technician, login):
    response = client.post(
        "/mobile/v1/devices",
        json={"device_id": "phone-0001", "name": "Pixel", "platform": "android"},
        headers=login(technician.user),
    )
    assert response.status_code == 201, response.json
    token = (
        session.query(AuthToken)
        .filter_by(token_hash=token_digest(response.json["access_token"]))
        .one()
    )
    assert token.device_id == "phone-0001"
    assert response.json["last_acked_mutation_id"] == 0


def test_sync_with_a_sign_in_token_is_refused(client, technician, login):
    response = client.post(
        "/mobile/v1/sync/pull",
        json={"device_id": "phone-0001", **ENVELOPE},
        headers=login(technician.user),
    )
    assert response.status_code == 403
    assert response.json["code"] == "device_token_required"


def test_a_token_bound_to_one_device_cannot_sync_another(client, phone, technician):
    first, second = phone(technician.user), phone(technician.user)
    response = client.post(
        "/mobile/v1/sync/pull",
        json={"device_id": second.device_id, **ENVELOPE},
        headers={"Authorization": f"Bearer {first.token}"},
    )
    assert response.status_code == 403
    assert response.json["code"] == "device_mismatch"


def test_a_device_id_registered_to_another_technician_is_refused(client, phone, login):
    owner = TechnicianFactory(with_user=True)
    other = TechnicianFactory(with_user=True)
    device = phone(owner.user)
    response = client.post(
        "/mobile/v1/devices", json={"device_id": device.device_id}, headers=login(other.user)
    )
    assert response.status_code == 409
    assert response.json["code"] == "device_id_taken"


def test_a_dispatcher_cannot_register_a_device(client, as_dispatcher):
    response = client.post(
        "/mobile/v1/devices", json={"device_id": "phone-0002"}, headers=as_dispatcher
    )
    assert response.status_code == 403


def test_a_technician_never_pulls_another_technicians_records(session, phone):
    mine = TechnicianFactory(with_user=True)
    theirs = TechnicianFactory(with_user=True)
    own_visit = assigned_visit(mine)
    other_visit = assigned_visit(theirs)
    device = phone(mine.user)
    device.sync()
    held = device.store.records()
    assert ("visit", str(own_visit.id)) in held
    assert ("visit", str(other_visit.id)) not in held
    assert ("customer", str(other_visit.customer_id)) not in held


def test_a_technician_cannot_push_to_another_technicians_visit(session, phone):
    mine = TechnicianFactory(with_user=True)
    theirs = TechnicianFactory(with_user=True)
    other_visit = assigned_visit(theirs)
    device = phone(mine.user)
    _status, body = push_raw(
        device,
        [mutation(1, "visit.add_note", visit_id=other_visit.id, note_id=new_id(), body="x")],
    )
    assert body["results"][0]["outcome"] == "rejected"
    assert body["results"][0]["code"] == "not_found"


def test_every_mobile_endpoint_is_documented_and_declares_its_roles(app, client):
    spec = client.get("/api/openapi.json").json
    mobile = {path for path in spec["paths"] if path.startswith("/mobile/v1/")}
    assert mobile == {
        "/mobile/v1/devices",
        "/mobile/v1/devices/{device_id}",
        "/mobile/v1/sync/pull",
        "/mobile/v1/sync/push",
    }
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/mobile/"):
            view = app.view_functions[rule.endpoint]
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                handler = getattr(view.view_class, method.lower())
                assert handler._roles, rule.rule


def test_registering_again_retires_the_previous_device_token(client, phone, technician):
    first = phone(technician.user, device_id="phone-0003")
    again = phone(technician.user, device_id="phone-0003")
    old = client.post(
        "/mobile/v1/sync/pull",
        json={"device_id": "phone-0003", **ENVELOPE},
        headers={"Authorization": f"Bearer {first.token}"},
    )
    assert old.status_code == 401
    assert again.sync().pulled_pages == 1


def test_a_retired_phone_can_no_longer_sync(client, phone, technician, as_dispatcher):
    device = phone(technician.user)
    response = client.delete(f"/mobile/v1/devices/{device.device_id}", headers=as_dispatcher)
    assert response.status_code == 204
    status, _body = device.transport.post(
        "/mobile/v1/sync/pull", {"device_id": device.device_id, **ENVELOPE}, device.token
    )
    assert status == 401


def test_a_technician_cannot_retire_another_technicians_phone(client, phone, login):
    owner = TechnicianFactory(with_user=True)
    other = TechnicianFactory(with_user=True)
    device = phone(owner.user)
    response = client.delete(f"/mobile/v1/devices/{device.device_id}", headers=login(other.user))
    assert response.status_code == 404


def test_a_technician_lists_their_own_phones_and_sees_which_still_sync(
    client, phone, technician, login
):
    kept = phone(technician.user, device_id="phone-kept-01")
    lost = phone(technician.user, device_id="phone-lost-01")
    TechnicianFactory(with_user=True)  # another technician's phones never show
    headers = {"Authorization": f"Bearer {kept.token}"}
    assert client.delete(f"/mobile/v1/devices/{lost.device_id}", headers=headers).status_code == 204
    listed = client.get("/mobile/v1/devices", headers=headers)
    assert listed.status_code == 200
    states = {d["device_id"]: d["active"] for d in listed.json}
    assert states == {"phone-kept-01": True, "phone-lost-01": False}


def test_only_technicians_list_phones(client, as_dispatcher):
    assert client.get("/mobile/v1/devices", headers=as_dispatcher).status_code == 403
