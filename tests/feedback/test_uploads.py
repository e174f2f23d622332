"""Photo uploads: resumable, content-addressed, verified, and only real images."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct
import uuid
import zlib
from pathlib import Path

from PIL import Image

from app import models
from app.services.photos import LocalDiskStore, thumbnail_key
from tests.factories import image_bytes


def _start(client, headers, data, sha256=None):
    return client.post(
        "/api/v1/uploads",
        json={"sha256": sha256 or hashlib.sha256(data).hexdigest(), "size": len(data)},
        headers=headers,
    )


def _put(client, headers, upload_id, offset, chunk):
    return client.put(
        f"/api/v1/uploads/{upload_id}",
        data=chunk,
        headers={**headers, "Upload-Offset": str(offset)},
        content_type="application/octet-stream",
    )


def test_an_upload_in_one_chunk_stores_the_blob_under_its_hash(upload, session, settings):
    data = image_bytes()
    response = upload(data)
    assert response.status_code == 200, response.json
    assert response.json["complete"] is True
    digest = hashlib.sha256(data).hexdigest()
    blob = session.get(models.PhotoBlob, digest)
    assert (blob.content_type, blob.width, blob.height) == ("image/jpeg", 64, 48)
    stored = LocalDiskStore(settings.upload_folder).path(digest)
    assert stored == Path(settings.upload_folder, "blobs", digest[:2], digest[2:4], digest)
    assert stored.read_bytes() == data


def test_an_upload_cut_midway_resumes_from_the_offset_the_server_has(client, tech_headers, session):
    data = image_bytes(size=(300, 200))
    upload_id = _start(client, tech_headers, data).json["id"]
    assert _put(client, tech_headers, upload_id, 0, data[:1000]).json["offset"] == 1000
    # The connection drops while the second chunk is in flight: the phone does not know
    # what arrived, asks, and resumes from there.
    state = client.get(f"/api/v1/uploads/{upload_id}", headers=tech_headers).json
    assert state == {**state, "offset": 1000, "complete": False}
    done = _put(client, tech_headers, upload_id, 1000, data[1000:])
    assert done.status_code == 200
    assert done.json["complete"] is True
    assert session.get(models.PhotoBlob, hashlib.sha256(data).hexdigest()) is not None


def test_a_chunk_at_the_wrong_offset_is_refused_with_the_offset_to_resume_from(
    client, tech_headers
):
    data = image_bytes()
    upload_id = _start(client, tech_headers, data).json["id"]
    _put(client, tech_headers, upload_id, 0, data[:100])
    response = _put(client, tech_headers, upload_id, 50, data[50:])
    assert response.status_code == 409
    assert response.json["code"] == "offset_mismatch"
    assert response.json["details"] == {"offset": 100}


def test_starting_again_for_the_same_bytes_resumes_the_open_upload(client, tech_headers):
    data = image_bytes()
    first = _start(client, tech_headers, data).json
    _put(client, tech_headers, first["id"], 0, data[:200])
    again = _start(client, tech_headers, data)
    assert again.status_code == 200
    assert (again.json["id"], again.json["offset"]) == (first["id"], 200)


def test_bytes_the_server_already_has_are_not_uploaded_again(upload, client, tech_headers):
    data = image_bytes()
    upload(data)
    again = _start(client, tech_headers, data)
    assert again.status_code == 200
    assert again.json["complete"] is True
    assert again.json["offset"] == len(data)


def test_bytes_that_do_not_match_their_hash_are_refused_and_restart_at_zero(
    client, tech_headers, session
):
    data = image_bytes()
    wrong = hashlib.sha256(b"something else").hexdigest()
    upload_id = _start(client, tech_headers, data, sha256=wrong).json["id"]
    response = _put(client, tech_headers, upload_id, 0, data)
    assert response.status_code == 422
    assert response.json["code"] == "hash_mismatch"
    assert response.json["details"]["offset"] == 0
    assert client.get(f"/api/v1/uploads/{upload_id}", headers=tech_headers).json["offset"] == 0
    assert session.get(models.PhotoBlob, wrong) is None


def test_a_png_named_as_jpeg_is_stored_as_the_png_it_is(client, tech_headers, session):
    png = image_bytes("PNG")
    digest = hashlib.sha256(png).hexdigest()
    response = client.post(
        "/api/v1/uploads", json={"sha256": digest, "size": len(png)}, headers=tech_headers
    )
    done = client.put(
        f"/api/v1/uploads/{response.json['id']}",
        data=png,
        headers={**tech_headers, "Upload-Offset": "0", "Content-Disposition": "photo.jpg"},
        content_type="image/jpeg",
    )
    assert done.status_code == 200
    assert session.get(models.PhotoBlob, digest).content_type == "image/png"


def test_a_text_file_named_jpg_is_refused(upload, session):
    text = b"this is not a photo, whatever its name says (photo.jpg)\n" * 10
    response = upload(text)
    assert response.status_code == 422
    assert response.json["code"] == "not_an_image"
    assert session.get(models.PhotoBlob, hashlib.sha256(text).hexdigest()) is None


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (all-zero rows compress to almost nothing)."""
    raw = zlib.compress(b"\x00" * (1 + width // 8) * min(height, 64), 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused(upload, session):
    bomb = _png_bomb(60_000, 60_000)
    assert len(bomb) < 10_000
    response = upload(bomb)
    assert response.status_code == 422
    assert response.json["code"] == "image_too_large"
    assert session.get(models.PhotoBlob, hashlib.sha256(bomb).hexdigest()) is None


def test_an_upload_over_the_size_limit_is_refused_before_any_byte(client, tech_headers, settings):
    response = client.post(
        "/api/v1/uploads",
        json={"sha256": "a" * 64, "size": settings.photo_max_bytes + 1},
        headers=tech_headers,
    )
    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large"


def test_a_chunk_past_the_declared_size_is_refused(client, tech_headers):
    data = image_bytes()
    upload_id = _start(client, tech_headers, data).json["id"]
    response = _put(client, tech_headers, upload_id, 0, data + b"extra")
    assert response.status_code == 422
    assert response.json["code"] == "upload_too_long"


def test_exif_capture_time_and_gps_are_kept_as_metadata(upload, session):
    data = image_bytes(taken="2026:11:20 10:30:00", offset="+08:00", gps=(31.2304, 121.4737))
    upload(data)
    blob = session.get(models.PhotoBlob, hashlib.sha256(data).hexdigest())
    assert blob.taken_at == dt.datetime(2026, 11, 20, 2, 30, tzinfo=dt.UTC)
    assert (round(blob.gps_lat, 4), round(blob.gps_lon, 4)) == (31.2304, 121.4737)


def test_exif_time_without_offset_is_read_in_the_service_time_zone(upload, session):
    data = image_bytes(taken="2026:11:20 10:30:00")
    upload(data)
    blob = session.get(models.PhotoBlob, hashlib.sha256(data).hexdigest())
    assert blob.taken_at == dt.datetime(2026, 11, 20, 2, 30, tzinfo=dt.UTC)


def test_a_thumbnail_is_made_by_the_background_job(upload, session, settings):
    data = image_bytes(size=(1200, 800))
    upload(data)
    digest = hashlib.sha256(data).hexdigest()
    session.expire_all()
    assert session.get(models.PhotoBlob, digest).thumbnail_ready is True
    store = LocalDiskStore(settings.upload_folder)
    with store.open(thumbnail_key(digest)) as thumb, Image.open(io.BytesIO(thumb.read())) as image:
        assert max(image.size) == settings.thumbnail_px


def test_uploading_needs_a_login(client):
    response = client.post("/api/v1/uploads", json={"sha256": "a" * 64, "size": 10})
    assert response.status_code == 401


def test_with_redis_the_thumbnail_is_made_by_an_rq_worker(session, settings, redis_url, tmp_path):
    from rq import SimpleWorker

    from app.jobs import connect, queue
    from app.services.photos import inspect_image, store_blob

    queued = settings.replace(redis_url=redis_url, rq_queue=f"test-thumbs-{uuid.uuid4().hex}")
    source = tmp_path / "photo.jpg"
    source.write_bytes(image_bytes(size=(900, 600)))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    store_blob(session, queued, digest, source, inspect_image(source, queued), user_id=None)
    session.commit()
    assert session.get(models.PhotoBlob, digest).thumbnail_ready is False
    connection = connect(queued)
    jobs = queue(queued, connection)
    assert jobs.count == 1
    SimpleWorker([jobs], connection=connection, serializer=jobs.serializer).work(burst=True)
    session.expire_all()
    assert session.get(models.PhotoBlob, digest).thumbnail_ready is True
    jobs.delete(delete_jobs=True)


def test_uploads_that_expired_unfinished_are_purged_with_their_partial_file(
    client, tech_headers, session, settings
):
    from app.services.photos import purge_expired_uploads

    data = image_bytes()
    upload_id = _start(client, tech_headers, data).json["id"]
    _put(client, tech_headers, upload_id, 0, data[:100])
    row = session.get(models.UploadSession, upload_id)
    row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session.commit()
    partial = LocalDiskStore(settings.upload_folder).partial_path(upload_id)
    assert partial.exists()
    assert purge_expired_uploads(session, settings) == 1
    session.commit()
    assert not partial.exists()
    assert session.get(models.UploadSession, upload_id) is None
