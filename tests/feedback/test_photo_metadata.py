"""Photo metadata and bytes meet through the SHA-256, in either order; access follows the visit."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from app import models
from app.services.photos import PhotoMetadata, attach_photo, pending_photos
from tests.factories import TechnicianFactory, VisitFactory, image_bytes


def test_metadata_before_bytes_shows_pending_then_the_photo_once_bytes_arrive(
    on_site_visit, attach, upload, client, tech_headers
):
    visit = on_site_visit()
    data = image_bytes(taken="2026:11:20 10:30:00", offset="+08:00")
    photo = attach(visit, hashlib.sha256(data).hexdigest()).json
    assert photo["status"] == "pending"
    upload(data)
    after = client.get(f"/api/v1/photos/{photo['id']}", headers=tech_headers).json
    assert after["status"] == "ready"
    assert after["taken_at"] == "2026-11-20T02:30:00+00:00"


def test_bytes_before_metadata_are_found_when_the_metadata_arrives(on_site_visit, attach, upload):
    visit = on_site_visit()
    data = image_bytes(gps=(31.2, 121.5))
    upload(data)
    photo = attach(visit, hashlib.sha256(data).hexdigest()).json
    assert photo["status"] == "ready"
    assert (photo["width"], round(photo["gps_lat"], 3)) == (64, 31.2)


def test_a_photo_whose_bytes_never_come_stays_listed_as_pending(
    on_site_visit, attach, client, tech_headers, session
):
    visit = on_site_visit()
    attach(visit, "b" * 64)
    listed = client.get(f"/api/v1/visits/{visit.id}/photos", headers=tech_headers).json
    assert [p["status"] for p in listed] == ["pending"]
    assert [p.sha256 for p in pending_photos(session, visit.id)] == ["b" * 64]


def test_the_content_of_a_pending_photo_answers_photo_pending(
    on_site_visit, attach, client, tech_headers
):
    photo = attach(on_site_visit(), "c" * 64).json
    response = client.get(f"/api/v1/photos/{photo['id']}/content", headers=tech_headers)
    assert response.status_code == 404
    assert response.json["code"] == "photo_pending"


def test_attaching_the_same_photo_twice_is_harmless(on_site_visit, attach, session):
    visit = on_site_visit()
    photo_id = str(uuid.uuid4())
    assert attach(visit, "d" * 64, id=photo_id).status_code == 201
    assert attach(visit, "d" * 64, id=photo_id).status_code == 201
    assert session.query(models.Photo).filter_by(visit_id=visit.id).count() == 1


def test_reusing_a_photo_id_for_other_bytes_is_a_conflict(on_site_visit, attach):
    visit = on_site_visit()
    photo_id = str(uuid.uuid4())
    attach(visit, "d" * 64, id=photo_id)
    response = attach(visit, "e" * 64, id=photo_id)
    assert response.status_code == 409
    assert response.json["code"] == "photo_id_reused"


def test_the_visits_technician_fetches_the_photo_bytes(
    on_site_visit, attach, upload, client, tech_headers
):
    data = image_bytes()
    upload(data)
    photo = attach(on_site_visit(), hashlib.sha256(data).hexdigest()).json
    response = client.get(photo["url"], headers=tech_headers)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data == data
    assert client.get(photo["thumbnail_url"], headers=tech_headers).mimetype == "image/jpeg"


def test_another_technicians_photo_answers_404(on_site_visit, attach, client, login):
    photo = attach(on_site_visit(), "f" * 64).json
    stranger = TechnicianFactory(with_user=True)
    response = client.get(f"/api/v1/photos/{photo['id']}", headers=login(stranger.user))
    assert response.status_code == 404
    listed = client.get(f"/api/v1/visits/{photo['visit_id']}/photos", headers=login(stranger.user))
    assert listed.status_code == 404


def test_a_dispatcher_sees_every_visits_photos(on_site_visit, attach, client, as_dispatcher):
    photo = attach(on_site_visit(), "f" * 64).json
    response = client.get(f"/api/v1/photos/{photo['id']}", headers=as_dispatcher)
    assert response.status_code == 200


def test_the_service_keeps_the_phones_capture_time_over_exif(upload, session):
    data = image_bytes(taken="2026:11:20 10:30:00", offset="+08:00")
    upload(data)
    phone_time = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)
    photo = attach_photo(
        session,
        PhotoMetadata(
            id=str(uuid.uuid4()),
            visit_id=VisitFactory().id,
            sha256=hashlib.sha256(data).hexdigest(),
            taken_at=phone_time,
        ),
        user_id=None,
    )
    assert photo.taken_at == phone_time
