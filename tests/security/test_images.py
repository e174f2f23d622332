"""Expensive images: thumbnails are made once and no request decodes a huge image."""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib

import pytest

from app import models
from app.services import thumbnails
from app.services.photos import LocalDiskStore, NotAnImage, thumbnail_key
from tests.factories import image_bytes


def _huge_png(width: int, height: int) -> bytes:
    """A real, complete 1-bit PNG of width x height pixels (black, so it compresses to KBs)."""
    raw = zlib.compress((b"\x00" + b"\x00" * ((width + 7) // 8)) * height, 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture
def renders(monkeypatch):
    """Every thumbnail rendered from here on, by blob hash."""
    seen: list[str] = []
    real = thumbnails.render_thumbnail

    def spy(store, sha256, size, max_pixels):
        seen.append(sha256)
        return real(store, sha256, size, max_pixels)

    monkeypatch.setattr(thumbnails, "render_thumbnail", spy)
    return seen


def _own_photo(client, tech_headers, on_site_visit, sha256):
    photo_id = str(uuid.uuid4())
    response = client.post(
        f"/api/v1/visits/{on_site_visit().id}/photos",
        json={"id": photo_id, "sha256": sha256, "kind": "after"},
        headers=tech_headers,
    )
    assert response.status_code == 201, response.json
    return photo_id


def test_a_missing_thumbnail_is_made_on_the_first_request_then_served_from_storage(
    client, tech_headers, upload, on_site_visit, settings, renders
):
    data = image_bytes(size=(1200, 900))
    assert upload(data).status_code == 200
    sha = hashlib.sha256(data).hexdigest()
    thumb = LocalDiskStore(settings.upload_folder).path(thumbnail_key(sha))
    thumb.unlink()  # as if the job had not run yet
    photo_id = _own_photo(client, tech_headers, on_site_visit, sha)
    renders.clear()

    first = client.get(f"/api/v1/photos/{photo_id}/thumbnail", headers=tech_headers)
    second = client.get(f"/api/v1/photos/{photo_id}/thumbnail", headers=tech_headers)

    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert thumb.exists()
    assert renders == [sha]


def test_no_request_decodes_a_40_megapixel_image(
    client, tech_headers, upload, on_site_visit, session, settings, renders, monkeypatch
):
    queued: list[dict] = []
    monkeypatch.setattr(
        "app.jobs.enqueue",
        lambda _settings, func, *args, **kwargs: queued.append({"args": args, **kwargs}),
    )
    data = _huge_png(8000, 5000)
    assert upload(data).status_code == 200
    sha = hashlib.sha256(data).hexdigest()
    # Without Redis the upload hands the dear thumbnail to a process of its own.
    assert queued == [{"args": (sha, settings.upload_folder), "long_running": True}]
    photo_id = _own_photo(client, tech_headers, on_site_visit, sha)

    response = client.get(f"/api/v1/photos/{photo_id}/thumbnail", headers=tech_headers)

    assert response.status_code == 503
    assert response.json["code"] == "thumbnail_pending"
    assert response.headers["Retry-After"] == "5"
    assert renders == []
    # The job makes it once; from then on requests serve the stored file.
    assert thumbnails.make_thumbnail(session, settings, sha) is True
    session.commit()
    again = client.get(f"/api/v1/photos/{photo_id}/thumbnail", headers=tech_headers)
    assert again.status_code == 200
    assert again.mimetype == "image/jpeg"
    assert renders == [sha]


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(settings, tmp_path):
    store = LocalDiskStore(tmp_path)
    data = image_bytes(size=(4000, 3000))
    sha = hashlib.sha256(data).hexdigest()
    store.put_bytes(sha, data)
    assert thumbnails.decoded_pixels(store, sha, 320) <= 4000 * 3000 // 64


def test_the_thumbnail_renderer_refuses_more_pixels_than_the_limit(tmp_path):
    store = LocalDiskStore(tmp_path)
    data = image_bytes(size=(400, 300))
    sha = hashlib.sha256(data).hexdigest()
    store.put_bytes(sha, data)
    with pytest.raises(NotAnImage):
        thumbnails.render_thumbnail(store, sha, 320, max_pixels=100_000)


def test_an_upload_past_the_pixel_limit_is_refused(upload, session):
    data = _huge_png(8000, 5001)
    response = upload(data)
    assert response.status_code == 422
    assert response.json["code"] == "image_too_large"
    assert session.get(models.PhotoBlob, hashlib.sha256(data).hexdigest()) is None
